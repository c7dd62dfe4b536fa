// Data quality (GET /api/v1/data-quality): the metrics by area, field worker or form; the thresholds (edited with
// reports.manage) and the alerts they raised, with a check on request.
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../context.js';
import { hasScope } from '../context.js';
import { formatDateTime, formatNumber } from '../../shared/i18n.js';
import { Button, ErrorNotice, Field, Loading, Notice, useAsync } from '../../shared/ui.js';
import { fieldError, JsonEditor, parseJson, pretty, useAction } from './kit.js';

export function QualityPage({ api, t, session, route }: PageProps) {
  const by = route.query.get('by') ?? 'area';
  const level = route.query.get('level') ?? '0';
  const metrics = useAsync(() => api.get(`/api/v1/data-quality?by=${by}${by === 'area' ? `&level=${level}` : ''}`), [by, level]);
  const go = (next: Record<string, string>) => (location.hash = `#/quality?${new URLSearchParams({ by, level, ...next })}`);
  const manage = hasScope(session, 'reports.manage');
  const m = metrics.data;
  return (
    <>
      <h1>{t('quality.title')}</h1>
      <div class="filters">
        <Field id="quality-by" label={t('quality.by')}>
          <select id="quality-by" class="compact" value={by} onChange={(e) => go({ by: (e.target as HTMLSelectElement).value })}>
            {['area', 'field_worker', 'form'].map((b) => <option value={b}>{t(`quality.by.${b}`)}</option>)}
          </select>
        </Field>
        {by === 'area' && (
          <Field id="quality-level" label={t('quality.level')}>
            <select id="quality-level" class="compact" value={level} onChange={(e) => go({ level: (e.target as HTMLSelectElement).value })}>
              {['0', '1', '2', '3'].map((l) => <option value={l}>{t(`quality.level.${l}`)}</option>)}
            </select>
          </Field>
        )}
      </div>
      <ErrorNotice error={metrics.error} />
      {metrics.loading && !m ? <Loading label={t('loading')} /> : m && (
        <>
          <p class="muted">{formatDateTime(m.generated_at)}</p>
          <MetricsTable table={m} t={t} />
          {m.validation_failures_by_field.length > 0 && (
            <>
              <h2>{t('quality.failures_by_field')}</h2>
              <ul class="plain">{m.validation_failures_by_field.map((f: any) => <li><code>{f.field}</code>: {formatNumber(f.failures)}</li>)}</ul>
            </>
          )}
        </>
      )}
      <Thresholds api={api} t={t} manage={manage} />
      {manage && <Alerts api={api} t={t} />}
    </>
  );
}

// one row per metric, one column per group: there are many metrics and few groups at a level
const GROUP_COLUMNS = ['area_code', 'area_name', 'area_level', 'rows_cover', 'field_worker', 'form'];

function MetricsTable({ table, t }: { table: any; t: PageProps['t'] }) {
  const metrics = (table.columns as string[]).filter((c) => !GROUP_COLUMNS.includes(c));
  const heading = (row: any) => row.area_name ?? row.field_worker ?? row.form ?? row.area_code ?? '—';
  if (table.rows.length === 0) return <p class="empty">{t('quality.no_rows')}</p>;
  return (
    <div class="table-wrap">
      <table class="metrics" data-testid="quality-table">
        <thead><tr><th scope="col">{t('quality.metric')}</th>{table.rows.map((row: any) => <th scope="col" class="num">{heading(row)}</th>)}</tr></thead>
        <tbody>{metrics.map((metric) => (
          <tr><th scope="row">{metric}</th>{table.rows.map((row: any) => <td class="num">{metric.startsWith('complete.') ? share(row[metric]) : cell(row[metric])}</td>)}</tr>
        ))}</tbody>
      </table>
    </div>
  );
}

const share = (v: unknown) => (typeof v === 'number' ? formatNumber(v, { style: 'percent', maximumFractionDigits: 1 }) : cell(v));
const cell = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? formatNumber(v, { maximumFractionDigits: 3 }) : String(v));

function Thresholds({ api, t, manage }: Pick<PageProps, 'api' | 't'> & { manage: boolean }) {
  const thresholds = useAsync(() => api.get('/api/v1/data-quality/thresholds'), []);
  const [text, setText] = useState('');
  const action = useAction();
  const stored = (items: any[]) => pretty(items.map(({ metric, field, limit, months, level }) => ({ metric, field, limit, months, level })));
  useEffect(() => {
    if (thresholds.data) setText(stored(thresholds.data.items));
  }, [thresholds.data]);
  const save = async () => {
    if (await action.run(() => api.put('/api/v1/data-quality/thresholds', { thresholds: parseJson(text) }), t('ops.saved'))) thresholds.reload();
  };
  return (
    <section aria-labelledby="thresholds-heading">
      <h2 id="thresholds-heading">{t('quality.thresholds')}</h2>
      <ErrorNotice error={thresholds.error} />
      {thresholds.data && (manage ? (
        <>
          {action.message && <Notice kind="success">{action.message}</Notice>}
          <ErrorNotice error={action.error} />
          <JsonEditor id="thresholds" label={t('quality.thresholds_json')} hint={t('quality.thresholds_hint')} value={text} onChange={setText} rows={10} error={fieldError(action.error, 'body.thresholds')} />
          <Button onClick={save} disabled={action.busy || parseJson(text) === undefined}>{t('ops.save')}</Button>
        </>
      ) : (
        thresholds.data.items.length === 0 ? <p class="empty">{t('quality.no_thresholds')}</p>
          : <ul class="plain">{thresholds.data.items.map((th: any) => <li>{th.metric}{th.field ? ` (${th.field})` : ''}: {th.limit}</li>)}</ul>
      ))}
    </section>
  );
}

function Alerts({ api, t }: Pick<PageProps, 'api' | 't'>) {
  const [status, setStatus] = useState('open');
  const alerts = useAsync(() => api.get(`/api/v1/data-quality/alerts?status=${status}`), [status]);
  const action = useAction();
  const evaluate = async () => {
    const result = await action.run(() => api.post('/api/v1/data-quality/alerts:evaluate'));
    if (result) alerts.reload();
  };
  return (
    <section aria-labelledby="alerts-heading">
      <h2 id="alerts-heading">{t('quality.alerts')}</h2>
      <Field id="alert-status" label={t('ops.status')}>
        <select id="alert-status" class="compact" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
          {['open', 'resolved', 'all'].map((s) => <option value={s}>{t(`quality.alerts.${s}`)}</option>)}
        </select>
      </Field>
      <Button variant="secondary" onClick={evaluate} disabled={action.busy} data-testid="evaluate-alerts">{t('quality.evaluate')}</Button>
      <ErrorNotice error={action.error ?? alerts.error} />
      {alerts.data && (alerts.data.items.length === 0 ? <p class="empty">{t('quality.no_alerts')}</p> : (
        <div class="table-wrap">
          <table data-testid="alerts-table">
            <thead><tr><th scope="col">{t('quality.metric')}</th><th scope="col">{t('ops.area')}</th><th scope="col" class="num">{t('quality.value')}</th><th scope="col" class="num">{t('quality.limit')}</th><th scope="col">{t('quality.raised')}</th><th scope="col">{t('quality.resolved')}</th></tr></thead>
            <tbody>{alerts.data.items.map((a: any) => (
              <tr><td>{a.metric}{a.field ? ` (${a.field})` : ''}</td><td>{a.area_code}</td><td class="num">{cell(a.value)}</td><td class="num">{cell(a.limit)}</td><td>{formatDateTime(a.raised_at)}</td><td>{a.resolved_at ? formatDateTime(a.resolved_at) : '—'}</td></tr>
            ))}</tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
