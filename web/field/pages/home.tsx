// Home: what is on the device, the Sync button, the queue (waiting for the hub) and the hub's answers per item
// (accepted, duplicate, conflict, rejected with the field errors), with a way to correct a rejected registration.
import { currentLanguage, formatDateTime, formatNumber } from '../../shared/i18n.js';
import { href, navigate } from '../../shared/router.js';
import { Button, Loading, Notice, useAsync } from '../../shared/ui.js';
import { t } from '../i18n/index.js';
import { answerPathOf, labelOf } from '../record.js';
import { startSync, useAppState, type AppState } from '../state.js';
import { store, type RecordedResult, type StoredForm, type StoredHousehold } from '../store.js';
import { sessionValid } from '../sync.js';

export function HomePage() {
  const state = useAppState();
  const data = useAsync(async () => {
    const [queue, results, households, forms, meta] = await Promise.all([store.queue(), store.results(), store.households(), store.forms(), store.sync()]);
    return { queue, results, households, forms, meta };
  }, [state.revision]);
  if (!data.data) return <Loading label={t('loading')} />;
  const { queue, results, households, forms, meta } = data.data;
  const canSync = state.online && !state.syncing && sessionValid(state.session);
  return (
    <>
      <h1>{t('home.title')}</h1>
      {state.flash && <div data-testid="saved"><Notice kind="success">{t(state.flash)}</Notice></div>}
      <div class="cards">
        <div class="card"><div class="value" data-testid="count-households">{formatNumber(households.length)}</div><div class="label">{t('home.households')}</div></div>
        <div class="card"><div class="value" data-testid="count-queued">{formatNumber(queue.length)}</div><div class="label">{t('home.queued')}</div></div>
        <div class="card"><div class="value small">{meta.pulled_at ? formatDateTime(meta.pulled_at) : '—'}</div><div class="label">{t('home.last_sync')}</div></div>
      </div>
      <div class="actions">
        <Button onClick={() => navigate('/register')} data-testid="register">{t('home.register')}</Button>
        <Button variant="secondary" onClick={() => void startSync()} disabled={!canSync} data-testid="sync">{state.syncing ? t('sync.running') : t('sync.button')}</Button>
      </div>
      <SyncStatus state={state} queued={queue.length} />

      <h2>{t('queue.title')}</h2>
      {queue.length === 0 ? <p class="empty">{t('queue.empty')}</p> : (
        <ul class="items" data-testid="queue">
          {queue.map((q) => (
            <li class="item" data-testid="queued-item" data-client-id={q.client_id}>
              <strong>{q.summary}</strong> <span class="badge badge-queued">{t(q.item.kind === 'new' ? 'kind.new' : 'kind.update')}</span>
              <div class="meta">{t('queue.captured', { at: formatDateTime(q.item.captured_at) })}{q.last_attempt && <> · {t('queue.unanswered')}</>}</div>
            </li>
          ))}
        </ul>
      )}

      <h2>{t('results.title')}</h2>
      {results.length === 0 ? <p class="empty">{t('results.empty')}</p> : (
        <ul class="items" data-testid="results">
          {results.slice(0, 100).map((r) => <ResultItem r={r} forms={forms} households={households} />)}
        </ul>
      )}
    </>
  );
}

function SyncStatus({ state, queued }: { state: AppState; queued: number }) {
  const last = state.last;
  const kind = state.syncing ? 'syncing' : last?.kind ?? 'idle';
  let message = '';
  if (state.syncing) message = t('sync.progress', { n: state.progress });
  else if (!last) message = !state.online ? t('sync.offline_waiting', { n: queued }) : '';
  else if (last.kind === 'done') message = t('sync.done', { pushed: last.pushed, pulled: last.pulled, accepted: last.counts.accepted, duplicate: last.counts.duplicate, conflict: last.counts.conflict, rejected: last.counts.rejected });
  else if (last.kind === 'offline') message = t('sync.offline_waiting', { n: queued });
  else if (last.kind === 'signin_needed') message = t('sync.signin_needed');
  else message = `${t('sync.interrupted', { n: queued })} (${last.message})`;
  if (!message) return <p data-testid="sync-status" data-state={kind} data-syncs={state.syncs} class="visually-hidden" />;
  return (
    <div data-testid="sync-status" data-state={kind} data-syncs={state.syncs}>
      <Notice kind={kind === 'interrupted' || kind === 'signin_needed' ? 'error' : kind === 'done' && last?.kind === 'done' && last.counts.rejected + last.counts.conflict === 0 ? 'success' : 'info'}>{message}</Notice>
    </div>
  );
}

function ResultItem({ r, forms, households }: { r: RecordedResult; forms: StoredForm[]; households: StoredHousehold[] }) {
  const status = r.result.status;
  const form = forms.find((f) => f.form_id === r.item.form.id);
  const language = currentLanguage();
  const base = r.item.household_id ? households.find((h) => h.id === r.item.household_id) : undefined;
  const label = (field: string) => labelOf(form?.definition, answerPathOf(field, r.item, base), language, (n) => t('form.member', { n }));
  const personLabel = (personId: string, field: string) => {
    const index = base?.members.findIndex((m) => m.person_id === personId) ?? -1;
    return index < 0 ? field : labelOf(form?.definition, `members[${index}].person.${field}`, language, (n) => t('form.member', { n }));
  };
  return (
    <li class="item" data-testid="result-item" data-client-id={r.client_id} data-status={status}>
      <strong>{r.summary}</strong> <span class="badge badge-kind">{t(r.item.kind === 'new' ? 'kind.new' : 'kind.update')}</span> <span class={`badge badge-${status}`}>{t(`status.${status}`)}</span>
      {status === 'duplicate' && r.result.first_status && <span class="meta"> ({t('status.first', { status: t(`status.${r.result.first_status}`) })})</span>}
      <div class="meta">{t('results.answered', { at: formatDateTime(r.answered_at) })}{r.case_status && <> · {t('results.case', { status: r.case_status })}</>}</div>
      {(status === 'accepted' || r.result.first_status === 'accepted') && r.item.kind === 'new' && <p class="meta">{t(r.case_status === 'registered' ? 'results.registered' : 'results.accepted_new')}</p>}
      {r.result.conflicts && r.result.conflicts.length > 0 && (
        <div class="conflicts" data-testid="conflicts">
          <p>{t('results.conflicts')}</p>
          <ul>{r.result.conflicts.map((c) => <li>{c.entity === 'household' ? label(`body.items[0].changes.household.${c.field}`) : personLabel(c.entity_id, c.field)}</li>)}</ul>
        </div>
      )}
      {r.result.errors && r.result.errors.length > 0 && (
        <div class="result-errors" data-testid="result-errors">
          <p>{t('results.rejected')}</p>
          <ul>{r.result.errors.map((e) => <li><strong>{label(e.field) || t('results.whole')}</strong>: {e.message}</li>)}</ul>
          {r.replaced_by ? <p class="meta">{t('results.replaced')}</p> : r.item.kind === 'new' ? (
            <a class="btn btn-secondary" href={href(`/register?from=${r.client_id}`)} data-testid="correct">{t('results.correct')}</a>
          ) : r.item.household_id ? (
            <a class="btn btn-secondary" href={href(`/households/${r.item.household_id}`)}>{t('results.edit_again')}</a>
          ) : null}
        </div>
      )}
    </li>
  );
}
