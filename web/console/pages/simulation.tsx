// Policy simulation (#/simulation): pick an active program, move its threshold, indicator weights or benefit amounts,
// run. POST /api/v1/simulations answers 202 with a Location; the page polls it until the simulation is done, then
// shows the scenario against the baseline: eligible households, cost, and who is newly included or excluded by area.
import './insight.css';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatNumber } from '../../shared/i18n.js';
import { Button, ErrorNotice, Loading, Notice, Table, useAsync } from '../../shared/ui.js';
import { DivergingBars } from '../charts/bars.js';
import { hasScope, type PageProps } from '../context.js';

interface Program {
  id: string;
  code: string;
  name: string;
  model_id: string | null;
  max_households: number | null;
  budget: number | null;
  benefit_per_household: number;
  benefit_per_member: number;
  eligible_households: number;
}
interface Indicator { name: string; feature: string; weight?: number }
interface ModelDefinition { intercept: number; threshold?: number | null; indicators: Indicator[] }
/** GET /api/v1/programs/{id}/policy: what a scenario changes. */
interface Policy {
  program_id: string;
  benefit_per_household: number;
  benefit_per_member: number;
  model: { id: string; name: string; version: number; definition: ModelDefinition } | null;
}
interface Totals { households: number; persons: number; cost: number }
interface AreaDelta { area_code: string; baseline_households: number; scenario_households: number; newly_included: number; newly_excluded: number; baseline_cost: number; scenario_cost: number }
export interface Simulation {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  error: string | null;
  result: null | {
    baseline: Totals;
    scenario: Totals;
    delta: { households: number; persons: number; cost: number; newly_included: { households: number }; newly_excluded: { households: number } };
    by_area: AreaDelta[];
  };
}

/** The values the user can move, by name: threshold, benefits, weights (`weight.<indicator>`). */
type Settings = Record<string, number>;

const POLL_MS = 400;
const num = (n: number) => formatNumber(n);
const money = (n: number) => formatNumber(n, { maximumFractionDigits: 2 });
const signed = (n: number, f = num) => (n > 0 ? `+${f(n)}` : n < 0 ? `−${f(-n)}` : f(0));
const minus = (n: number) => (n > 0 ? `−${num(n)}` : num(0));
const plus = (n: number) => (n > 0 ? `+${num(n)}` : num(0));

export function SimulationPage(props: PageProps) {
  const { api, t } = props;
  const programs = useAsync(() => api.get<{ items: Program[] }>('/api/v1/programs?status=active'), []);
  const [programId, setProgramId] = useState<string>();
  const program = programs.data?.items.find((p) => p.id === programId) ?? programs.data?.items[0];
  const policy = useAsync(async () => (program ? api.get<Policy>(`/api/v1/programs/${program.id}/policy`) : null), [program?.id]);
  const definition = policy.data?.model?.definition;
  const baseline = useMemo(() => baselineOf(policy.data ?? undefined), [policy.data]);
  const areaNames = useAreaNames(props);

  return (
    <>
      <h1>{t('sim.title')}</h1>
      <p class="muted">{t('sim.intro')}</p>
      <ErrorNotice error={programs.error} />
      {programs.loading && !programs.data && <Loading label={t('loading')} />}
      {programs.data && programs.data.items.length === 0 && <Notice>{t('sim.no_programs')}</Notice>}
      {program && (
        <>
          <label class="inline-field">{t('sim.program')}{' '}
            <select data-testid="sim-program" value={program.id} onChange={(e) => setProgramId((e.target as HTMLSelectElement).value)}>
              {programs.data!.items.map((p) => <option value={p.id}>{p.name}</option>)}
            </select>
          </label>
          <ErrorNotice error={policy.error} />
          {policy.data && policy.data.program_id === program.id && (
            <Scenario key={program.id} {...props} program={program} definition={definition} baseline={baseline} areaNames={areaNames} />
          )}
        </>
      )}
    </>
  );
}

/** Area names by code for labels, when the user may list areas (registry.read); codes otherwise. */
function useAreaNames({ api, session }: PageProps): Map<string, string> {
  const areas = useAsync(
    async () => (hasScope(session, 'registry.read') ? (await api.get<{ items: { code: string; name: string }[] }>('/api/v1/admin-areas')).items : []),
    [],
  );
  return useMemo(() => new Map((areas.data ?? []).map((a) => [a.code, a.name])), [areas.data]);
}

function baselineOf(policy: Policy | undefined): Settings {
  if (!policy) return {};
  const out: Settings = { benefit_per_household: policy.benefit_per_household, benefit_per_member: policy.benefit_per_member };
  const definition = policy.model?.definition;
  if (definition && typeof definition.threshold === 'number') out.threshold = definition.threshold;
  for (const ind of definition?.indicators ?? []) if (typeof ind.weight === 'number') out[`weight.${ind.name}`] = ind.weight;
  return out;
}

/** The scenario body: only what differs from the baseline. */
export function scenarioOf(settings: Settings, baseline: Settings): Record<string, unknown> {
  const scenario: Record<string, any> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value === baseline[key]) continue;
    if (key === 'threshold') (scenario.model ??= {}).threshold = value;
    else if (key.startsWith('weight.')) ((scenario.model ??= {}).weights ??= {})[key.slice('weight.'.length)] = value;
    else scenario[key] = value;
  }
  return scenario;
}

function Scenario({ api, t, program, definition, baseline, areaNames }: PageProps & { program: Program; definition?: ModelDefinition; baseline: Settings; areaNames: Map<string, string> }) {
  const [settings, setSettings] = useState<Settings>(baseline);
  const [simulation, setSimulation] = useState<Simulation>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);
  const set = (key: string, value: number) => Number.isFinite(value) && setSettings((s) => ({ ...s, [key]: value }));

  const run = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setSimulation(undefined);
    try {
      const accepted = await api.send<Simulation>('POST', '/api/v1/simulations', {
        name: `${program.name} (console)`,
        program_id: program.id,
        scenario: scenarioOf(settings, baseline),
        group_level: 2,
      });
      let current = accepted.body;
      const location = accepted.headers.get('location') ?? `/api/v1/simulations/${current.id}`;
      setSimulation(current);
      while (alive.current && (current.status === 'queued' || current.status === 'running')) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        current = await api.get<Simulation>(location);
        if (alive.current) setSimulation(current);
      }
    } catch (e) {
      setError(e);
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  const weights = (definition?.indicators ?? []).filter((i) => typeof i.weight === 'number');
  return (
    <>
      <form onSubmit={run} class="scenario" aria-labelledby="scenario-title">
        <h2 id="scenario-title">{t('sim.scenario')}</h2>
        <fieldset>
          <legend>{t('sim.benefits')}</legend>
          <Slider id="benefit_per_household" label={t('sim.benefit_household')} value={settings.benefit_per_household} base={baseline.benefit_per_household} min={0} max={range(baseline.benefit_per_household, 100)} step={1} onChange={set} t={t} />
          <Slider id="benefit_per_member" label={t('sim.benefit_member')} value={settings.benefit_per_member} base={baseline.benefit_per_member} min={0} max={range(baseline.benefit_per_member, 50)} step={1} onChange={set} t={t} />
        </fieldset>
        {definition && (
          <fieldset>
            <legend>{t('sim.model')}</legend>
            {'threshold' in baseline && (
              <Slider id="threshold" label={t('sim.threshold')} value={settings.threshold} base={baseline.threshold} {...around(baseline.threshold)} onChange={set} t={t} />
            )}
            {weights.map((ind) => {
              const key = `weight.${ind.name}`;
              return <Slider id={key} label={t('sim.weight', { name: ind.name, feature: ind.feature })} value={settings[key]} base={baseline[key]} {...around(baseline[key])} onChange={set} t={t} />;
            })}
          </fieldset>
        )}
        <div class="actions">
          <Button type="submit" disabled={busy} data-testid="sim-run">{busy ? t('sim.running') : t('sim.run')}</Button>
          <Button variant="secondary" disabled={busy} onClick={() => setSettings(baseline)}>{t('sim.reset')}</Button>
        </div>
      </form>
      <ErrorNotice error={error} />
      {simulation && simulation.status !== 'done' && simulation.status !== 'failed' && <Loading label={t(`sim.status.${simulation.status}`)} />}
      {simulation?.status === 'failed' && <Notice kind="error">{t('sim.failed', { error: simulation.error ?? '' })}</Notice>}
      {simulation?.status === 'done' && simulation.result && <Result simulation={simulation} t={t} areaNames={areaNames} />}
    </>
  );
}

const range = (base: number | undefined, floor: number) => Math.max(floor, Math.ceil(((base ?? 0) * 3) / 10) * 10);
function around(base: number | undefined) {
  const span = Math.max(Math.abs(base ?? 0), 1);
  const step = Number((span / 50).toPrecision(1));
  return { min: Number(((base ?? 0) - 2 * span).toFixed(2)), max: Number(((base ?? 0) + 2 * span).toFixed(2)), step };
}

/** A range input and a number input bound to one value; the label names both. */
function Slider(props: { id: string; label: string; value: number | undefined; base: number | undefined; min: number; max: number; step: number; onChange: (key: string, value: number) => void; t: PageProps['t'] }) {
  const domId = `sim-${props.id.replace(/\W/g, '-')}`;
  const value = props.value ?? 0;
  const changed = props.value !== props.base;
  return (
    <div class={`slider${changed ? ' slider-changed' : ''}`}>
      <label id={`${domId}-label`} for={domId}>{props.label}</label>
      <div class="slider-inputs">
        <input type="range" aria-labelledby={`${domId}-label`} min={Math.min(props.min, value)} max={Math.max(props.max, value)} step={props.step} value={value}
          onInput={(e) => props.onChange(props.id, Number((e.target as HTMLInputElement).value))} />
        <input type="number" id={domId} data-testid={domId} step="any" value={value}
          onInput={(e) => props.onChange(props.id, Number((e.target as HTMLInputElement).value))} />
      </div>
      <span class="hint">{props.t('sim.baseline_value', { value: props.base ?? '—' })}</span>
    </div>
  );
}

function Result({ simulation, t, areaNames }: { simulation: Simulation; t: PageProps['t']; areaNames: Map<string, string> }) {
  const r = simulation.result!;
  const areaLabel = (code: string) => (areaNames.has(code) ? `${areaNames.get(code)} (${code})` : code);
  const rows = [
    { key: 'households', label: t('sim.eligible_households'), base: r.baseline.households, scen: r.scenario.households, delta: r.delta.households, f: num },
    { key: 'persons', label: t('sim.eligible_persons'), base: r.baseline.persons, scen: r.scenario.persons, delta: r.delta.persons, f: num },
    { key: 'cost', label: t('sim.cost'), base: r.baseline.cost, scen: r.scenario.cost, delta: r.delta.cost, f: money },
  ];
  return (
    <section aria-labelledby="result-title" data-testid="sim-result" data-simulation-id={simulation.id}>
      <h2 id="result-title">{t('sim.result')}</h2>
      <div class="cards">
        {rows.map((row) => (
          <div class="card" data-testid={`sim-${row.key}`} data-baseline={row.base} data-scenario={row.scen}>
            <div class="label">{row.label}</div>
            <div class="value">{row.f(row.scen)}</div>
            <div class="hint">{t('sim.vs_baseline', { base: row.f(row.base), delta: signed(row.delta, row.f) })}</div>
          </div>
        ))}
        <div class="card" data-testid="sim-included" data-value={r.delta.newly_included.households}>
          <div class="label">{t('sim.included')}</div><div class="value gain">{plus(r.delta.newly_included.households)}</div>
        </div>
        <div class="card" data-testid="sim-excluded" data-value={r.delta.newly_excluded.households}>
          <div class="label">{t('sim.excluded')}</div><div class="value loss">{minus(r.delta.newly_excluded.households)}</div>
        </div>
      </div>
      <DivergingBars
        id="chart-sim-areas" title={t('sim.by_area_title')} description={t('sim.by_area_desc')} tableLabel={t('chart.table')} legendLabel={t('chart.legend')}
        valueLabel={t('dash.area')} gainLabel={t('sim.included')} lossLabel={t('sim.excluded')} withheld={t('chart.withheld')} format={num}
        items={r.by_area.map((a) => ({ key: a.area_code, label: areaLabel(a.area_code), gain: a.newly_included, loss: a.newly_excluded }))} empty={t('chart.empty')}
      />
      <Table
        caption={t('sim.by_area_table')} testId="sim-area-table" rows={r.by_area}
        columns={[
          { label: t('dash.area'), value: (a) => areaLabel(a.area_code) },
          { label: t('sim.baseline'), value: (a) => num(a.baseline_households), numeric: true },
          { label: t('sim.scenario_col'), value: (a) => num(a.scenario_households), numeric: true },
          { label: t('sim.included'), value: (a) => plus(a.newly_included), numeric: true },
          { label: t('sim.excluded'), value: (a) => minus(a.newly_excluded), numeric: true },
          { label: t('sim.baseline_cost'), value: (a) => money(a.baseline_cost), numeric: true },
          { label: t('sim.scenario_cost'), value: (a) => money(a.scenario_cost), numeric: true },
        ]}
      />
    </section>
  );
}
