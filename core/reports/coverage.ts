// Coverage by admin area: registered households and persons against the population denominators, one row per
// area at the chosen level (its subtree rolled up). Registered = active households (not deregistered) and their
// current members still alive; deregistered households and deceased members are shown in columns of their own.
import { refreshFeatures } from '../assessment/features-store.js';
import type { Ctx } from '../server/context.js';
import { unprocessable } from '../server/errors.js';
import { inPlan, planAreas, rollUp, selectAreas, siblingGroup, type TargetRow } from './areas.js';
import { populationFor } from './population.js';
import { suppressColumns, suppressSingles, withholdAll, type Suppressible } from './suppression.js';
import type { ReportRow, ReportTable } from './table.js';

const COUNTS = ['households', 'persons', 'deregistered_households', 'deceased_persons'];
export const COVERAGE_COLUMNS = ['area_code', 'area_name', 'area_level', 'rows_cover', ...COUNTS, 'population', 'population_households',
  'person_coverage', 'household_coverage'];

interface CoverageSqlRow extends TargetRow {
  households: number;
  persons: number;
  deregistered_households: number;
  deceased_persons: number;
  population: number | null;
  population_households: number | null;
}

export async function coverageReport(ctx: Ctx, query: Record<string, unknown>): Promise<ReportTable> {
  const selection = await selectAreas(ctx.db, ctx.principal, query);
  const year = typeof query.year === 'number' ? query.year : null;
  const minCell = ctx.config.reports.minCell;
  const plan = await planAreas(ctx.db, selection);
  // the active households' counts from their stored features (one narrow row each, no member join), brought up to
  // date first; the deregistered ones from household (a partial index holds them)
  await ctx.db.transaction((tx) => refreshFeatures(tx));
  const [deregistered, active, population] = await Promise.all([
    ctx.db.query<{ area_code: string; deregistered_households: number }>(
      `select h.area_code, count(*)::int8 as deregistered_households
       from household h where h.deregistered_at is not null and ${inPlan('h.area_code', 1)} group by 1`,
      [plan.codes],
    ),
    ctx.db.query<{ area_code: string; households: number; persons: number; deceased_persons: number }>(
      `select f.area_code, count(*)::int8 as households, sum(f.household_size)::int8 as persons, sum(f.deceased_members)::int8 as deceased_persons
       from household_features f where ${inPlan('f.area_code', 1)} group by 1`,
      [plan.codes],
    ),
    populationFor(ctx.db, selection, year),
  ]);
  const hh = rollUp(plan, deregistered, [], ['deregistered_households']);
  const pp = rollUp(plan, active, [], ['households', 'persons', 'deceased_persons']);
  if (year !== null && population.byRow.size === 0 && plan.targets.length) {
    const [loaded] = await ctx.db.query<{ n: number }>('select count(*)::int8 as n from area_population where year = $1', [year]);
    if (!loaded.n) throw unprocessable('report.invalid', [{ field: 'query.year', message: `no population figures are loaded for ${year}` }], 'No denominators for that year.');
  }
  const usedYear = population.year;
  const rows: CoverageSqlRow[] = plan.targets.map((t) => ({
    ...t,
    households: pp.get(t.row_key)?.households ?? 0,
    deregistered_households: hh.get(t.row_key)?.deregistered_households ?? 0,
    persons: pp.get(t.row_key)?.persons ?? 0,
    deceased_persons: pp.get(t.row_key)?.deceased_persons ?? 0,
    population: population.byRow.get(t.row_key)?.population ?? null,
    population_households: population.byRow.get(t.row_key)?.population_households ?? null,
  }));

  const built: Suppressible[] = rows.map((r) => ({
    area_code: r.code,
    area_name: r.name,
    area_level: r.level,
    rows_cover: r.kind,
    households: r.households,
    persons: r.persons,
    deregistered_households: r.deregistered_households,
    deceased_persons: r.deceased_persons,
    population: r.kind === 'direct' ? null : r.population,
    population_households: r.kind === 'direct' ? null : r.population_households,
    group: siblingGroup(r),
    suppressed: [] as string[],
  }));
  const totals: Suppressible = { area_code: null, area_name: null, area_level: null, rows_cover: null, suppressed: [] };
  for (const c of [...COUNTS, 'population', 'population_households']) {
    const values = built.map((r) => r[c] as number | null);
    totals[c] = c.startsWith('population') && values.every((v) => v === null) ? null : values.reduce<number>((a, v) => a + (v ?? 0), 0);
  }

  // a row describing fewer households than the threshold says nothing about its people either
  for (const row of built) if ((row.households as number) > 0 && (row.households as number) < minCell) withholdAll(row, COUNTS);
  suppressColumns(built, COUNTS, (r) => r.group as string, minCell);
  suppressSingles(totals, COUNTS, minCell);
  for (const row of [...built, totals]) addRates(row);

  return {
    report: 'coverage',
    generated_at: new Date().toISOString(),
    min_cell: minCell,
    parameters: { level: selection.level, area_code: selection.under, year: usedYear },
    columns: COVERAGE_COLUMNS,
    rows: built.map(({ group: _group, ...row }) => row as ReportRow),
    totals: totals as ReportRow,
    notes: [
      'households: active households (not deregistered); persons: their current members who are alive.',
      'deregistered_households and deceased_persons are shown apart and are not in households or persons.',
      'Persons registered without a household have no area and are in no row.',
      "rows_cover 'subtree': the area and everything under it; 'direct': households registered at that area itself (above the chosen level).",
      'population: the figure loaded for the area and year, or the sum of the nearest figures under it; null when none is loaded.',
      `Counts from 1 to ${minCell - 1} are withheld, with further cells so that a withheld cell cannot be worked out (docs/reports.md).`,
    ],
  };
}

function addRates(row: Suppressible): void {
  row.person_coverage = rate(row.persons, row.population);
  row.household_coverage = rate(row.households, row.population_households);
}

function rate(count: unknown, denominator: unknown): number | null {
  if (typeof count !== 'number' || typeof denominator !== 'number' || denominator <= 0) return null;
  return Math.round((count / denominator) * 10_000) / 10_000;
}
