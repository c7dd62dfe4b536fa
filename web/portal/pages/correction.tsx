// Asking for a correction: the person edits what is wrong (their own details, or a head their household's address);
// only the changed answers go to the registry, as a change request an officer reviews.
import { useState } from 'preact/hooks';
import { newUuid } from '../../shared/api.js';
import { href } from '../../shared/router.js';
import { ErrorNotice, Field, Loading, Notice, useAsync } from '../../shared/ui.js';
import type { PageProps } from '../context.js';
import { t } from '../i18n/index.js';

const PERSON_FIELDS = [
  { name: 'given_name', type: 'text' },
  { name: 'family_name', type: 'text' },
  { name: 'other_names', type: 'text' },
  { name: 'birth_date', type: 'date' },
  { name: 'phone', type: 'tel' },
  { name: 'email', type: 'email' },
] as const;

type Values = Record<string, string>;

export function CorrectionPage({ api }: PageProps) {
  const record = useAsync(() => api.get<{ person: Record<string, unknown> & { version: number }; household: null | { version: number; address: string | null; my_relationship: string } }>('/api/v1/me/record'), []);
  const [edited, setEdited] = useState<Values>({});
  const [address, setAddress] = useState<string>();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [sent, setSent] = useState<{ reference: string }[]>();
  const [busy, setBusy] = useState(false);
  // one id per page visit: a retried send records the request once
  const [refs] = useState(() => ({ person: newUuid(), household: newUuid() }));

  if (record.loading && !record.data) return <Loading label={t('loading')} />;
  if (record.error) return <ErrorNotice error={record.error} />;
  const { person, household } = record.data!;
  const current = (name: string) => (person[name] === null || person[name] === undefined ? '' : String(person[name]));
  const personChanges = Object.fromEntries(Object.entries(edited).filter(([name, value]) => value.trim() !== current(name)).map(([name, value]) => [name, value.trim() === '' ? null : value.trim()]));
  const head = household?.my_relationship === 'SELF';
  const addressChanged = head && address !== undefined && address.trim() !== (household?.address ?? '');
  const nothing = Object.keys(personChanges).length === 0 && !addressChanged;

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const done: { reference: string }[] = [];
      const why = reason.trim() ? { reason: reason.trim() } : {};
      if (Object.keys(personChanges).length) {
        done.push(await api.post('/api/v1/me/change-requests', { kind: 'update_person', changes: personChanges, base_version: person.version, client_ref: refs.person, ...why }));
      }
      if (addressChanged) {
        done.push(await api.post('/api/v1/me/change-requests', { kind: 'update_household', changes: { address: address!.trim() }, base_version: household!.version, client_ref: refs.household, ...why }));
      }
      setSent(done);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (sent) {
    return (
      <>
        <h1>{t('correct.title')}</h1>
        <Notice kind="success">
          <p data-testid="correction-sent">{t('correct.sent', { references: sent.map((s) => s.reference).join(', ') })}</p>
        </Notice>
        <p><a href={href('/requests')}>{t('correct.follow')}</a></p>
      </>
    );
  }
  return (
    <>
      <h1>{t('correct.title')}</h1>
      <p class="lead">{t('correct.intro')}</p>
      <form onSubmit={submit} class="portal-form" noValidate>
        <fieldset>
          <legend>{t('household.me')}</legend>
          {PERSON_FIELDS.map((f) => (
            <Field id={`c-${f.name}`} label={t(`person.${f.name}`)}>
              <input id={`c-${f.name}`} type={f.type} value={edited[f.name] ?? current(f.name)} data-testid={`correct-${f.name}`}
                onInput={(e) => setEdited({ ...edited, [f.name]: (e.target as HTMLInputElement).value })} />
            </Field>
          ))}
        </fieldset>
        {head && (
          <fieldset>
            <legend>{t('household.household')}</legend>
            <Field id="c-address" label={t('household.address')}>
              <input id="c-address" type="text" value={address ?? household?.address ?? ''} onInput={(e) => setAddress((e.target as HTMLInputElement).value)} />
            </Field>
          </fieldset>
        )}
        <Field id="c-reason" label={t('correct.reason')} hint={t('correct.reason_hint')}>
          <textarea id="c-reason" rows={3} maxLength={500} value={reason} aria-describedby="c-reason-hint" onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <ErrorNotice error={error} />
        <button type="submit" class="btn btn-primary btn-wide" disabled={busy || nothing} data-testid="send-correction">{t('correct.send')}</button>
        {nothing && <p class="muted">{t('correct.nothing')}</p>}
      </form>
    </>
  );
}
