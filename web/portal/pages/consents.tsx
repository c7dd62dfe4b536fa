// My consents in plain words: who receives which of my data, for what, until when; withdraw one, give one the
// registry asks for, and download the signed receipt.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { newUuid } from '../../shared/api.js';
import { formatDate } from '../../shared/i18n.js';
import { Button, ErrorNotice, Loading, Notice, useAsync } from '../../shared/ui.js';
import type { PageProps } from '../context.js';
import { t } from '../i18n/index.js';
import { textIn } from './answers.js';

interface Agreement {
  id: string; code: string; version: number; purpose_code: string; purpose_text: Record<string, string>; lawful_basis: string;
  categories: string[]; recipients: string[]; controller: { name: string; contact?: string }; retention_days: number; max_validity_days: number;
}
interface Consent { id: string; agreement_id: string; state: string; in_force: boolean; valid_from: string; valid_until: string; categories: string[]; recipients: string[]; channel: string }

// agreements resting on these need each person's consent; the others (a legal duty, a public task) cover everyone
const NEEDS_CONSENT = ['consent', 'contract', 'legitimate_interest'];

export function ConsentsPage({ api }: PageProps) {
  const data = useAsync(async () => {
    const [consents, agreements] = await Promise.all([
      api.get<{ items: Consent[] }>('/api/v1/me/consents?limit=100'),
      api.get<{ items: Agreement[] }>('/api/v1/consent/agreements?state=published'),
    ]);
    return { consents: consents.items, agreements: new Map(agreements.items.map((a) => [a.id, a])) };
  }, []);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const [confirming, setConfirming] = useState<string>();

  if (data.loading && !data.data) return <Loading label={t('loading')} />;
  if (data.error) return <ErrorNotice error={data.error} />;
  const { consents, agreements } = data.data!;
  const current = consents.filter((c) => c.in_force);
  const past = consents.filter((c) => !c.in_force);
  const given = new Set(current.map((c) => c.agreement_id));
  const offered = [...agreements.values()].filter((a) => NEEDS_CONSENT.includes(a.lawful_basis) && !given.has(a.id));

  const act = async (id: string, work: () => Promise<string>) => {
    setBusy(id);
    setError(undefined);
    setNotice(undefined);
    try {
      setNotice(await work());
      data.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(undefined);
    }
  };
  const withdraw = (c: Consent) => act(c.id, async () => {
    await api.post(`/api/v1/me/consents/${c.id}/withdraw`, {});
    return t('consents.withdrawn');
  });
  const grant = (a: Agreement) => act(a.id, async () => {
    await api.post('/api/v1/me/consents', { agreement_id: a.id, channel: 'online' }, { idempotencyKey: newUuid() });
    return t('consents.given');
  });
  const receipt = (c: Consent) => act(c.id, async () => {
    const body = await api.get(`/api/v1/me/consents/${c.id}/receipt`);
    const url = URL.createObjectURL(new Blob([JSON.stringify(body, null, 2)], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `consent-receipt-${c.id}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    return t('consents.receipt_saved');
  });

  return (
    <>
      <h1>{t('consents.title')}</h1>
      <p class="lead">{t('consents.intro')}</p>
      {notice && <Notice kind="success">{notice}</Notice>}
      <ErrorNotice error={error} />
      <h2>{t('consents.current')}</h2>
      {current.length === 0 && <p class="muted">{t('consents.none')}</p>}
      {current.map((c) => (
        <ConsentCard consent={c} agreement={agreements.get(c.agreement_id)}>
          {confirming === c.id ? (
            <div class="confirm" role="group" aria-label={t('consents.withdraw_confirm')}>
              <p>{t('consents.withdraw_confirm')}</p>
              <Button variant="danger" disabled={busy === c.id} data-testid="withdraw-confirm" onClick={() => (setConfirming(undefined), withdraw(c))}>{t('consents.withdraw_yes')}</Button>
              <Button variant="secondary" onClick={() => setConfirming(undefined)}>{t('consents.withdraw_no')}</Button>
            </div>
          ) : (
            <>
              <Button variant="danger" disabled={busy === c.id} data-testid="withdraw-consent" onClick={() => setConfirming(c.id)}>{t('consents.withdraw')}</Button>
              <Button variant="secondary" disabled={busy === c.id} data-testid="consent-receipt" onClick={() => receipt(c)}>{t('consents.receipt')}</Button>
            </>
          )}
        </ConsentCard>
      ))}
      {offered.length > 0 && <h2>{t('consents.offered')}</h2>}
      {offered.map((a) => (
        <ConsentCard agreement={a}>
          <Button disabled={busy === a.id} data-testid="give-consent" onClick={() => grant(a)}>{t('consents.give')}</Button>
        </ConsentCard>
      ))}
      {past.length > 0 && (
        <details>
          <summary>{t('consents.past', { count: past.length })}</summary>
          {past.map((c) => (
            <ConsentCard consent={c} agreement={agreements.get(c.agreement_id)}>
              <Button variant="secondary" disabled={busy === c.id} onClick={() => receipt(c)}>{t('consents.receipt')}</Button>
            </ConsentCard>
          ))}
        </details>
      )}
    </>
  );
}

function ConsentCard(props: { consent?: Consent; agreement?: Agreement; children: ComponentChildren }) {
  const { consent, agreement } = props;
  const categories = consent?.categories ?? agreement?.categories ?? [];
  const recipients = consent?.recipients ?? agreement?.recipients ?? [];
  return (
    <article class="portal-card consent" data-testid="consent" data-state={consent?.state ?? 'offered'}>
      <h3>{agreement ? textIn(agreement.purpose_text, agreement.purpose_code) : t('consents.unknown_agreement')}</h3>
      <dl class="facts">
        <div class="fact"><dt>{t('consents.organisation')}</dt><dd>{agreement?.controller.name ?? '—'}</dd></div>
        <div class="fact"><dt>{t('consents.shared_with')}</dt><dd>{recipients.join(', ')}</dd></div>
        <div class="fact"><dt>{t('consents.data')}</dt><dd>{categories.map((c) => t(`category.${c}`)).join(', ')}</dd></div>
        {consent ? (
          <>
            <div class="fact"><dt>{t('consents.status')}</dt><dd><span class={`tag state-${consent.state}`}>{t(`consent_state.${consent.state}`)}</span></dd></div>
            <div class="fact"><dt>{t('consents.until')}</dt><dd>{formatDate(consent.valid_until)}</dd></div>
          </>
        ) : (
          agreement && <div class="fact"><dt>{t('consents.for_how_long')}</dt><dd>{t('consents.days', { days: agreement.max_validity_days })}</dd></div>
        )}
        {agreement?.controller.contact && <div class="fact"><dt>{t('consents.contact')}</dt><dd>{agreement.controller.contact}</dd></div>}
      </dl>
      <div class="portal-actions">{props.children}</div>
    </article>
  );
}
