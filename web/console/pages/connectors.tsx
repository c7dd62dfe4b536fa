// Connectors (GET /api/v1/connectors): each one's health (last success, error rate, circuit breaker), its runs, a
// run's log and dead-lettered items (errors only, never content), and a re-run of those items.
import type { PageProps } from '../context.js';
import { formatDateTime, formatNumber } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { Button, ErrorNotice, Loading, Notice, useAsync } from '../../shared/ui.js';
import { Badge, useAction } from './kit.js';

export function ConnectorsPage(props: PageProps) {
  const [, id, runId] = props.route.parts;
  if (id && runId) return <Run {...props} id={id} runId={runId} />;
  if (id) return <Connector {...props} id={id} />;
  return <ConnectorList {...props} />;
}

function ConnectorList({ api, t }: PageProps) {
  const list = useAsync(async () => {
    const { items, rejected } = await api.get('/api/v1/connectors');
    const health = await Promise.all(items.map((c: any) => api.get(`/api/v1/connectors/${c.id}/health`)));
    return { items: items.map((c: any, i: number) => ({ ...c, health: health[i] })), rejected };
  }, []);
  return (
    <>
      <h1>{t('connectors.title')}</h1>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? <Loading label={t('loading')} /> : list.data && (
        <>
          <div class="cards">
            {list.data.items.map((c: any) => (
              <a class="card card-link" href={href(`/connectors/${c.id}`)} data-testid="connector-card">
                <strong>{c.name}</strong> <Badge kind={c.enabled ? 'ok' : 'info'}>{c.enabled ? t('connectors.enabled') : t('connectors.disabled')}</Badge>
                <HealthSummary health={c.health} t={t} />
              </a>
            ))}
          </div>
          {list.data.rejected.length > 0 && (
            <Notice kind="error"><p>{t('connectors.rejected')}</p><ul>{list.data.rejected.map((r: any) => <li><code>{r.folder}</code>: {r.problems.join('; ')}</li>)}</ul></Notice>
          )}
        </>
      )}
    </>
  );
}

function HealthSummary({ health: h, t }: { health: any; t: PageProps['t'] }) {
  const breaker = h.breaker.state === 'closed' ? 'ok' : h.breaker.state === 'open' ? 'bad' : 'warn';
  return (
    <dl class="facts small">
      <dt>{t('connectors.last_success')}</dt><dd>{h.last_success_at ? formatDateTime(h.last_success_at) : '—'}</dd>
      <dt>{t('connectors.error_rate', { hours: h.window_hours })}</dt><dd>{formatNumber(h.error_rate, { style: 'percent' })} ({h.runs_failed}/{h.runs_finished})</dd>
      <dt>{t('connectors.waiting')}</dt><dd>{h.runs_queued} / {h.runs_running}</dd>
      <dt>{t('connectors.breaker')}</dt><dd><Badge kind={breaker}>{h.breaker.state}</Badge></dd>
    </dl>
  );
}

function Connector({ api, t, id }: PageProps & { id: string }) {
  const data = useAsync(async () => {
    const [connector, health, runs] = await Promise.all([api.get(`/api/v1/connectors/${id}`), api.get(`/api/v1/connectors/${id}/health`), api.get(`/api/v1/connectors/${id}/runs?limit=50`)]);
    return { connector, health, runs: runs.items };
  }, [id]);
  const action = useAction();
  const d = data.data;
  if (data.loading && !d) return <Loading label={t('loading')} />;
  if (!d) return <><p><a href={href('/connectors')}>{t('connectors.back')}</a></p><ErrorNotice error={data.error} /></>;
  const toggle = async () => {
    if (await action.run(() => api.post(`/api/v1/connectors/${id}/${d.connector.enabled ? 'disable' : 'enable'}`))) data.reload();
  };
  return (
    <>
      <p><a href={href('/connectors')}>{t('connectors.back')}</a></p>
      <h1>{d.connector.name} <code>{id}</code></h1>
      <p>{d.connector.description}</p>
      <ErrorNotice error={action.error} />
      <Button variant={d.connector.enabled ? 'danger' : 'primary'} onClick={toggle} disabled={action.busy}>{d.connector.enabled ? t('connectors.disable') : t('connectors.enable')}</Button>
      <h2>{t('connectors.health')}</h2>
      <HealthSummary health={d.health} t={t} />
      <h2>{t('connectors.runs')}</h2>
      {d.runs.length === 0 ? <p class="empty">{t('connectors.no_runs')}</p> : <RunTable runs={d.runs} id={id} t={t} />}
    </>
  );
}

function RunTable({ runs, id, t }: { runs: any[]; id: string; t: PageProps['t'] }) {
  return (
    <div class="table-wrap">
      <table data-testid="runs-table">
        <thead><tr><th scope="col">{t('connectors.job')}</th><th scope="col">{t('ops.status')}</th><th scope="col">{t('connectors.trigger')}</th><th scope="col">{t('connectors.queued')}</th><th scope="col" class="num">{t('connectors.dead_letters')}</th><th scope="col">{t('connectors.error')}</th></tr></thead>
        <tbody>
          {runs.map((r) => (
            <tr>
              <td><a href={href(`/connectors/${id}/${r.id}`)}>{r.job}</a></td>
              <td><Badge kind={r.status === 'succeeded' ? 'ok' : r.status === 'failed' ? 'bad' : 'warn'}>{r.status}</Badge></td>
              <td>{r.trigger}{r.rerun_of ? ` (${t('connectors.rerun_of')})` : ''}</td>
              <td>{formatDateTime(r.queued_at)}</td><td class="num">{r.dead_letters}</td><td>{r.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Run({ api, t, id, runId }: PageProps & { id: string; runId: string }) {
  const run = useAsync(() => api.get(`/api/v1/connectors/${id}/runs/${runId}`), [id, runId]);
  const action = useAction();
  const r = run.data;
  if (run.loading && !r) return <Loading label={t('loading')} />;
  if (!r) return <><p><a href={href(`/connectors/${id}`)}>{t('connectors.back_runs')}</a></p><ErrorNotice error={run.error} /></>;
  const waiting = r.dead_letter_items.filter((d: any) => !d.rerun_id).length;
  const rerun = async () => {
    const again = await action.run(() => api.post(`/api/v1/connectors/${id}/runs/${runId}/rerun`));
    if (again) location.hash = href(`/connectors/${id}/${again.id}`);
  };
  return (
    <>
      <p><a href={href(`/connectors/${id}`)}>{t('connectors.back_runs')}</a></p>
      <h1>{r.job} <Badge kind={r.status === 'succeeded' ? 'ok' : r.status === 'failed' ? 'bad' : 'warn'}>{r.status}</Badge></h1>
      <p>{t('connectors.trigger')}: {r.trigger} · {formatDateTime(r.queued_at)}{r.finished_at ? ` → ${formatDateTime(r.finished_at)}` : ''} · {t('connectors.attempts')}: {r.attempts}</p>
      {r.error && <Notice kind="error">{r.error}</Notice>}
      <p>{Object.entries(r.counts).map(([k, v]) => <Badge>{k}: {String(v)}</Badge>)}</p>
      <h2>{t('connectors.dead_letters')}</h2>
      <ErrorNotice error={action.error} />
      {r.dead_letter_items.length === 0 ? <p class="empty">{t('connectors.no_dead_letters')}</p> : (
        <>
          <ul class="plain">{r.dead_letter_items.map((d: any) => <li>#{d.id} {formatDateTime(d.created_at)}: {d.error}{d.rerun_id ? ` (${t('connectors.taken_by_rerun')})` : ''}</li>)}</ul>
          {waiting > 0 && <Button onClick={rerun} disabled={action.busy || !r.finished_at}>{t('connectors.rerun', { count: waiting })}</Button>}
        </>
      )}
      <h2>{t('connectors.log')}</h2>
      <ol class="history">{r.log.map((l: any) => <li>{formatDateTime(l.at)} {l.message}</li>)}</ol>
    </>
  );
}
