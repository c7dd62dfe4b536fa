// The audit log (GET /api/v1/audit): search by person, actor, record, action, outcome and time, newest first, page by
// page; and the hash chain's verification (GET /api/v1/audit/verify) with its result. Both are recorded in the log.
import { useState } from 'preact/hooks';
import type { PageProps } from '../context.js';
import { formatDateTime, formatNumber } from '../../shared/i18n.js';
import { Button, ErrorNotice, Field, Loading, Notice } from '../../shared/ui.js';
import { fieldError, useAction } from './kit.js';

const FILTERS = ['subject_person_id', 'actor', 'entity', 'entity_id', 'action', 'outcome', 'from', 'to'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

export function AuditPage({ api, t }: PageProps) {
  const [filters, setFilters] = useState<Filters>({});
  const [entries, setEntries] = useState<any[]>();
  const [cursor, setCursor] = useState<string | null>(null);
  const search = useAction();
  const verify = useAction();
  const [verification, setVerification] = useState<any>();

  const load = async (more: boolean) => {
    const query = new URLSearchParams({ limit: '50' });
    for (const [name, value] of Object.entries(filters)) {
      if (!value) continue;
      // the datetime-local inputs give local times; the API takes ISO instants
      query.set(name, name === 'from' || name === 'to' ? new Date(value).toISOString() : value.trim());
    }
    if (more && cursor) query.set('cursor', cursor);
    const page = await search.run(() => api.get(`/api/v1/audit?${query}`, { purpose: 'audit review' }));
    if (page) (setEntries(more ? [...(entries ?? []), ...page.items] : page.items), setCursor(page.next_cursor));
  };
  const runVerify = async () => {
    setVerification(undefined);
    const result = await verify.run(() => api.get('/api/v1/audit/verify', { purpose: 'audit chain verification' }));
    if (result) setVerification(result);
  };
  const input = (name: (typeof FILTERS)[number], type = 'text') => (
    <Field id={`audit-${name}`} label={t(`audit.${name}`)} error={fieldError(search.error, `query.${name}`)}>
      {name === 'outcome' ? (
        <select id={`audit-${name}`} class="compact" value={filters.outcome ?? ''} onChange={(e) => setFilters({ ...filters, outcome: (e.target as HTMLSelectElement).value })}>
          <option value="">{t('ops.all')}</option>
          {['success', 'denied', 'error'].map((o) => <option value={o}>{o}</option>)}
        </select>
      ) : (
        <input id={`audit-${name}`} type={type} value={filters[name] ?? ''} onInput={(e) => setFilters({ ...filters, [name]: (e.target as HTMLInputElement).value })} />
      )}
    </Field>
  );

  return (
    <>
      <h1>{t('audit.title')}</h1>
      <section aria-labelledby="verify-heading" class="panel">
        <h2 id="verify-heading">{t('audit.verify_title')}</h2>
        <p>{t('audit.verify_intro')}</p>
        <Button onClick={runVerify} disabled={verify.busy} data-testid="audit-verify">{verify.busy ? t('audit.verifying') : t('audit.verify')}</Button>
        <ErrorNotice error={verify.error} />
        {verification && (
          <div data-testid="audit-verify-result" data-valid={String(verification.valid)}>
            {verification.valid ? (
              <Notice kind="success">
                <p>{t('audit.valid', { entries: formatNumber(verification.entries) })}</p>
                {verification.head && <p>{t('audit.head', { id: verification.head.id })} <code class="hash">{verification.head.hash}</code></p>}
                <p class="hint">{t('audit.head_note')}</p>
              </Notice>
            ) : (
              <Notice kind="error">
                <p>{t('audit.broken', { id: verification.first_broken.id, reason: verification.first_broken.reason })}</p>
                <p>{verification.first_broken.detail}</p>
                <p>{t('audit.checked', { entries: formatNumber(verification.entries_checked) })}</p>
              </Notice>
            )}
          </div>
        )}
      </section>
      <section aria-labelledby="search-heading">
        <h2 id="search-heading">{t('audit.search')}</h2>
        <form class="filters" onSubmit={(e) => (e.preventDefault(), load(false))}>
          {input('subject_person_id')}{input('actor')}{input('entity')}{input('entity_id')}{input('action')}{input('outcome')}
          {input('from', 'datetime-local')}{input('to', 'datetime-local')}
          <div class="actions"><Button type="submit" disabled={search.busy} data-testid="audit-search">{t('audit.search_button')}</Button></div>
        </form>
        <ErrorNotice error={search.error} />
        {search.busy && !entries && <Loading label={t('loading')} />}
        {entries && (entries.length === 0 ? <p class="empty">{t('audit.none')}</p> : (
          <div class="table-wrap">
            <table data-testid="audit-table">
              <thead><tr>
                <th scope="col" class="num">#</th><th scope="col">{t('audit.at')}</th><th scope="col">{t('audit.actor')}</th><th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.entity')}</th><th scope="col">{t('audit.fields')}</th><th scope="col">{t('audit.purpose')}</th><th scope="col">{t('audit.outcome')}</th>
              </tr></thead>
              <tbody>
                {entries.map((e) => (
                  <tr data-testid="audit-row">
                    <td class="num">{e.id}</td><td>{formatDateTime(e.at)}</td><td>{e.actor}</td><td>{e.action}</td>
                    <td>{e.entity}{e.entity_id ? <><br /><code>{e.entity_id}</code></> : null}{e.subject_person_id ? <><br /><span class="muted">{t('audit.subject')}: <code>{e.subject_person_id}</code></span></> : null}</td>
                    <td>{(e.fields ?? []).join(', ')}</td><td>{e.purpose ?? '—'}</td><td>{e.outcome}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
        {cursor && <Button variant="secondary" onClick={() => load(true)} disabled={search.busy}>{t('audit.more')}</Button>}
      </section>
    </>
  );
}
