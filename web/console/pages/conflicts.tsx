// Offline-sync conflicts (GET /api/v1/sync/conflicts): one field a device and the server both changed, shown side
// by side; the officer keeps the device's value, the server's, or types another (POST .../resolve).
import { useState } from 'preact/hooks';
import type { PageProps } from '../context.js';
import { formatDateTime } from '../../shared/i18n.js';
import { Button, ErrorNotice, Field, Loading, useAsync } from '../../shared/ui.js';
import { JsonEditor, parseJson, pretty, useAction } from './kit.js';

const PURPOSE = 'sync conflict review';

export function ConflictsPage({ api, t, route }: PageProps) {
  const status = route.query.get('status') ?? 'open';
  const list = useAsync(() => api.get(`/api/v1/sync/conflicts?status=${status}&limit=100`, { purpose: PURPOSE }), [status]);
  return (
    <>
      <h1>{t('conflicts.title')}</h1>
      <p>{t('conflicts.intro')}</p>
      <Field id="conflict-status" label={t('ops.status')}>
        <select id="conflict-status" class="compact" value={status} onChange={(e) => (location.hash = `#/conflicts?status=${(e.target as HTMLSelectElement).value}`)}>
          <option value="open">{t('conflicts.open')}</option>
          <option value="resolved">{t('conflicts.resolved')}</option>
        </select>
      </Field>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? <Loading label={t('loading')} /> : list.data && (
        list.data.items.length === 0 ? <p class="empty">{t('conflicts.empty')}</p>
          : list.data.items.map((c: any) => <ConflictCard key={c.id} conflict={c} api={api} t={t} onDone={list.reload} />)
      )}
    </>
  );
}

function ConflictCard({ conflict: c, api, t, onDone }: { conflict: any; api: PageProps['api']; t: PageProps['t']; onDone: () => void }) {
  const action = useAction();
  const [other, setOther] = useState(pretty(c.mine ?? null));
  const [editing, setEditing] = useState(false);
  const resolve = async (choice: 'mine' | 'theirs' | 'value') => {
    const body = choice === 'value' ? { choice, value: parseJson(other) ?? null } : { choice };
    const done = await action.run(() => api.post(`/api/v1/sync/conflicts/${c.id}/resolve`, body, { purpose: PURPOSE }));
    if (done) onDone();
  };
  return (
    <article class="card" data-testid="conflict-card" data-conflict-id={c.id}>
      <h2>{t(`conflicts.entity.${c.entity}`)} · <code>{c.field}</code></h2>
      <p class="muted">{t('conflicts.household')}: <code>{c.household_id}</code> · {t('conflicts.versions', { base: c.base_version, server: c.server_version })} · {formatDateTime(c.created_at)}</p>
      <div class="grid-2">
        <section><h3>{t('conflicts.mine')}</h3><pre class="json">{pretty(c.mine ?? null)}</pre></section>
        <section><h3>{t('conflicts.theirs')}</h3><pre class="json">{pretty(c.theirs ?? null)}</pre></section>
      </div>
      <ErrorNotice error={action.error} />
      {c.status === 'open' ? (
        <>
          <div class="actions">
            <Button onClick={() => resolve('mine')} disabled={action.busy} data-testid="resolve-mine">{t('conflicts.keep_mine')}</Button>
            <Button onClick={() => resolve('theirs')} disabled={action.busy} data-testid="resolve-theirs">{t('conflicts.keep_theirs')}</Button>
            <Button variant="secondary" onClick={() => setEditing(!editing)} aria-expanded={editing}>{t('conflicts.other')}</Button>
          </div>
          {editing && (
            <>
              <JsonEditor id={`value-${c.id}`} label={t('conflicts.value')} value={other} onChange={setOther} rows={4} />
              <Button onClick={() => resolve('value')} disabled={action.busy || parseJson(other) === undefined}>{t('conflicts.set_value')}</Button>
            </>
          )}
        </>
      ) : (
        <p>{t('conflicts.resolved_as', { choice: c.resolution ?? '', by: c.resolved_by ?? '' })}</p>
      )}
    </article>
  );
}
