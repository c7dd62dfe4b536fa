// The executive dashboard (#/dashboard): the key numbers of GET /api/v1/dashboard, a coverage map by admin area, the
// age-sex pyramid, registrations over time by channel and eligible households per program. Every figure comes from
// the reports API, already limited to the user's areas and with small counts withheld (null).
import './insight.css';
import { useState } from 'preact/hooks';
import { formatDateTime, formatNumber } from '../../shared/i18n.js';
import { ErrorNotice, Loading } from '../../shared/ui.js';
import { BarChart } from '../charts/bars.js';
import { StackedColumns } from '../charts/columns.js';
import { ChoroplethMap, type AreaFeature } from '../charts/map.js';
import { Pyramid } from '../charts/pyramid.js';
import type { PageProps } from '../context.js';
import { useAsync } from '../../shared/ui.js';

export interface Dashboard {
  generated_at: string;
  min_cell: number;
  areas: string[] | null;
  households: number | null;
  persons: number | null;
  population: number | null;
  population_year: number | null;
  coverage: number | null;
  verified_persons: number | null;
  share_verified: number | null;
  new_this_month: { households: number | null; persons: number | null };
  eligible_per_program: { program_id: string; code: string; name: string; eligible_households: number | null }[];
  trend: { month: string; households: number | null; persons: number | null }[];
}

type Row = Record<string, string | number | boolean | null> & { suppressed: string[] };
export interface ReportTable {
  columns: string[];
  rows: Row[];
  min_cell: number;
}

const CHANNELS = ['online', 'mobile', 'in_person', 'bulk_import', 'connector'];
const num = (n: number) => formatNumber(n);
const pct = (n: number) => formatNumber(n, { style: 'percent', maximumFractionDigits: 1 });

export function DashboardPage(props: PageProps) {
  const { api, t } = props;
  const dashboard = useAsync(() => api.get<Dashboard>('/api/v1/dashboard'), []);
  return (
    <>
      <h1>{t('dash.title')}</h1>
      {dashboard.loading && !dashboard.data && <Loading label={t('loading')} />}
      <ErrorNotice error={dashboard.error} />
      {dashboard.data && <KeyNumbers d={dashboard.data} t={t} />}
      <CoverageMap {...props} />
      <div class="grid-2">
        <AgeSex {...props} />
        <Registrations {...props} />
      </div>
      {dashboard.data && (
        <BarChart
          id="chart-eligible" title={t('dash.eligible.title')} description={t('dash.eligible.desc')} tableLabel={t('chart.table')}
          valueLabel={t('dash.eligible.households')} withheld={t('chart.withheld')} format={num} empty={t('dash.eligible.none')}
          items={dashboard.data.eligible_per_program.map((p) => ({ key: p.program_id, label: p.name, value: p.eligible_households }))}
        />
      )}
      {dashboard.data && <p class="muted" data-testid="dashboard-generated">{t('dash.generated', { when: formatDateTime(dashboard.data.generated_at), k: dashboard.data.min_cell })}</p>}
    </>
  );
}

function KeyNumbers({ d, t }: { d: Dashboard; t: PageProps['t'] }) {
  const cards: { id: string; label: string; value: number | null; format: (n: number) => string; hint?: string; missing?: string }[] = [
    { id: 'households', label: t('dash.kpi.households'), value: d.households, format: num },
    { id: 'persons', label: t('dash.kpi.persons'), value: d.persons, format: num },
    { id: 'coverage', label: t('dash.kpi.coverage'), value: d.coverage, format: pct, hint: d.population === null ? t('dash.kpi.no_population') : t('dash.kpi.population', { n: num(d.population), year: d.population_year ?? '' }),
      missing: d.population === null ? t('chart.not_available') : undefined },
    { id: 'verified', label: t('dash.kpi.verified'), value: d.verified_persons, format: num, hint: d.share_verified === null ? undefined : pct(d.share_verified) },
    { id: 'new-households', label: t('dash.kpi.new_households'), value: d.new_this_month.households, format: num },
    { id: 'new-persons', label: t('dash.kpi.new_persons'), value: d.new_this_month.persons, format: num },
  ];
  return (
    <section aria-labelledby="kpi-title">
      <h2 id="kpi-title" class="visually-hidden">{t('dash.kpi.title')}</h2>
      <div class="cards">
        {cards.map((c) => (
          <div class="card" data-testid={`kpi-${c.id}`} data-value={c.value === null ? '' : String(c.value)}>
            <div class="label">{c.label}</div>
            <div class="value">{c.value === null ? (c.missing ?? t('chart.withheld')) : c.format(c.value)}</div>
            {c.hint && <div class="hint">{c.hint}</div>}
          </div>
        ))}
      </div>
    </section>
  );
}

const METRICS = ['households', 'persons', 'person_coverage'] as const;

interface CoverageMapAnswer {
  features: (AreaFeature & { properties: AreaFeature['properties'] & Record<(typeof METRICS)[number], number | null> })[];
  unmapped: string[];
}

/** GET /api/v1/reports/coverage-map: the coverage report's rows as boundaries (reports.read is enough). */
function CoverageMap({ api, t }: PageProps) {
  const [level, setLevel] = useState(2);
  const [metric, setMetric] = useState<(typeof METRICS)[number]>('households');
  const data = useAsync(() => api.get<CoverageMapAnswer>(`/api/v1/reports/coverage-map?level=${level}`), [level]);
  const features = data.data?.features ?? [];
  const rows = features.map((f) => ({ code: f.properties.code, name: f.properties.name, value: f.properties[metric] }));
  const format = metric === 'person_coverage' ? pct : num;
  return (
    <section aria-labelledby="map-title">
      <h2 id="map-title">{t('dash.map.heading')}</h2>
      <div class="controls">
        <label>{t('dash.map.level')}{' '}
          <select value={level} onChange={(e) => setLevel(Number((e.target as HTMLSelectElement).value))} data-testid="map-level">
            <option value={1}>{t('dash.map.regions')}</option>
            <option value={2}>{t('dash.map.districts')}</option>
          </select>
        </label>
        <label>{t('dash.map.metric')}{' '}
          <select value={metric} onChange={(e) => setMetric((e.target as HTMLSelectElement).value as typeof metric)} data-testid="map-metric">
            {METRICS.map((m) => <option value={m}>{t(`dash.map.metric.${m}`)}</option>)}
          </select>
        </label>
      </div>
      {data.loading && !data.data && <Loading label={t('loading')} />}
      <ErrorNotice error={data.error} />
      {data.data && data.data.unmapped.length > 0 && <p class="muted">{t('dash.map.unmapped', { areas: data.data.unmapped.join(', ') })}</p>}
      {data.data && (
        <ChoroplethMap
          id="chart-coverage-map" title={t('dash.map.title', { metric: t(`dash.map.metric.${metric}`) })} description={t('dash.map.desc')}
          tableLabel={t('chart.table')} legendLabel={t('chart.legend')} areaLabel={t('dash.area')} valueLabel={t(`dash.map.metric.${metric}`)}
          noData={t('chart.no_data')} withheld={t('chart.withheld')} features={features} rows={rows} format={format} empty={t('dash.map.no_boundaries')}
        />
      )}
    </section>
  );
}

function AgeSex({ api, t }: PageProps) {
  const report = useAsync(() => api.get<ReportTable>('/api/v1/reports/age-sex'), []);
  // level 0: one line of bands per root area (or per granted area): add them up band by band; withheld stays withheld
  const bands = new Map<string, { band: string; male: number | null; female: number | null }>();
  for (const r of report.data?.rows ?? []) {
    const band = String(r.age_band);
    const b = bands.get(band) ?? { band, male: 0, female: 0 };
    b.male = b.male === null || r.male === null ? null : b.male + Number(r.male);
    b.female = b.female === null || r.female === null ? null : b.female + Number(r.female);
    bands.set(band, b);
  }
  return (
    <section>
      <ErrorNotice error={report.error} />
      {report.loading && !report.data && <Loading label={t('loading')} />}
      {report.data && (
        <Pyramid
          id="chart-pyramid" title={t('dash.pyramid.title')} description={t('dash.pyramid.desc')} tableLabel={t('chart.table')} legendLabel={t('chart.legend')}
          bandLabel={t('dash.pyramid.band')} maleLabel={t('dash.male')} femaleLabel={t('dash.female')} withheld={t('chart.withheld')} format={num}
          rows={[...bands.values()].filter((b) => b.band !== 'unknown')} empty={t('chart.empty')}
        />
      )}
    </section>
  );
}

function Registrations({ api, t }: PageProps) {
  const report = useAsync(() => api.get<ReportTable>('/api/v1/reports/registrations?bucket=month&measure=households'), []);
  const rows = (report.data?.rows ?? []).map((r) => ({
    key: String(r.period),
    label: String(r.period).slice(0, 7),
    values: Object.fromEntries(CHANNELS.map((c) => [c, r[c] as number | null])),
    total: r.total as number | null,
  }));
  return (
    <section>
      <ErrorNotice error={report.error} />
      {report.loading && !report.data && <Loading label={t('loading')} />}
      {report.data && (
        <StackedColumns
          id="chart-registrations" title={t('dash.registrations.title')} description={t('dash.registrations.desc')} tableLabel={t('chart.table')}
          legendLabel={t('chart.legend')} periodLabel={t('dash.registrations.month')} totalLabel={t('dash.total')} withheld={t('chart.withheld')}
          series={CHANNELS.map((c) => ({ key: c, label: t(`channel.${c}`) }))} rows={rows} format={num} empty={t('chart.empty')}
        />
      )}
    </section>
  );
}
