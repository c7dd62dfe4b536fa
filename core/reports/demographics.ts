// Demographics by admin area, over the persons coverage counts (current members of active households, alive):
// the age-sex pyramid in 5-year bands, the household size distribution and disability by Washington Group domain.
import type { Ctx } from '../server/context.js';
import { areaColumns, inPlan, planAreas, REGISTERED_PERSONS, REGISTERED_PERSONS_WHERE, rollUp, selectAreas, type AreaSelection } from './areas.js';
import { suppressCellsOfRow, suppressGroupCells, suppressSingles, withholdAll, type Suppressible } from './suppression.js';
import type { ReportRow, ReportTable } from './table.js';

const AREA_COLUMNS = ['area_code', 'area_name', 'area_level', 'rows_cover'];
const SEXES = ['male', 'female', 'other', 'unknown'];
const BANDS = [...Array.from({ length: 20 }, (_, i) => `${i * 5}-${i * 5 + 4}`), '100+', 'unknown'];
export const DISABILITY_DOMAINS = ['VIS_SS', 'HEAR_SS', 'MOB_SS', 'COG_SS', 'SC_SS', 'COM_SS'];
// the first birth date of each band, oldest first (100 years ago + 1 day, 95 ..., 5): width_bucket then gives the band
// from the top without computing anyone's age (age() per row was most of the query's time)
const BAND_BOUNDS = `(select array_agg((current_date - make_interval(years => 100 - 5 * j))::date + 1 order by j) from generate_series(0, 19) j)`;
const SIZES = ['size_0', 'size_1', 'size_2', 'size_3', 'size_4', 'size_5', 'size_6', 'size_7', 'size_8', 'size_9', 'size_10_plus'];

const suppressionNote = (minCell: number) =>
  `Counts from 1 to ${minCell - 1} are withheld, with further cells so that a withheld cell cannot be worked out from the area's total (docs/reports.md).`;

function table(report: string, ctx: Ctx, selection: AreaSelection, columns: string[], rows: Suppressible[], notes: string[]): ReportTable {
  return {
    report,
    generated_at: new Date().toISOString(),
    min_cell: ctx.config.reports.minCell,
    parameters: { level: selection.level, area_code: selection.under },
    columns,
    rows: rows as ReportRow[],
    notes: [...notes, suppressionNote(ctx.config.reports.minCell)],
  };
}

/** Persons by 5-year age band (age today) and sex: one row per area and band; an area's cells are one line. */
export async function ageSexReport(ctx: Ctx, query: Record<string, unknown>): Promise<ReportTable> {
  const selection = await selectAreas(ctx.db, ctx.principal, query);
  const minCell = ctx.config.reports.minCell;
  const plan = await planAreas(ctx.db, selection);
  const counts = await ctx.db.query<{ area_code: string; band: number; male: number; female: number; other: number; unknown: number }>(
    `select h.area_code,
            case when p.birth_date is null then 21 else 20 - width_bucket(p.birth_date, ${BAND_BOUNDS}) end as band,
            count(*) filter (where p.sex = 'male')::int8 as male,
            count(*) filter (where p.sex = 'female')::int8 as female,
            count(*) filter (where p.sex = 'other')::int8 as other,
            count(*) filter (where p.sex is null or p.sex = 'unknown')::int8 as unknown
     from ${REGISTERED_PERSONS} where ${REGISTERED_PERSONS_WHERE} and ${inPlan('h.area_code', 1)} group by 1, 2`,
    [plan.codes],
  );
  const byKey = rollUp(plan, counts, ['band'], ['male', 'female', 'other', 'unknown']);
  const rows: Suppressible[] = plan.targets.flatMap((t) =>
    BANDS.map((band, i) => {
      const c = byKey.get(`${t.row_key}|${i}`);
      return { ...areaColumns(t), age_band: band, male: c?.male ?? 0, female: c?.female ?? 0, other: c?.other ?? 0, unknown: c?.unknown ?? 0, suppressed: [] };
    }),
  );
  suppressGroupCells(rows, SEXES, (r) => r.area_code as string, minCell);
  return table('age-sex', ctx, selection, [...AREA_COLUMNS, 'age_band', ...SEXES], rows, [
    'Persons: current members of active households who are alive; age in completed years today; band 100+ is 100 and over; unknown: no birth date.',
    "sex 'unknown' includes persons with no sex recorded.",
  ]);
}

/** Active households by number of living current members (0 to 9, then 10 and more). */
export async function householdSizeReport(ctx: Ctx, query: Record<string, unknown>): Promise<ReportTable> {
  const selection = await selectAreas(ctx.db, ctx.principal, query);
  const minCell = ctx.config.reports.minCell;
  const plan = await planAreas(ctx.db, selection);
  const counts = await ctx.db.query<{ area_code: string; size: number; households: number }>(
    `with sizes as (
       select h.area_code, h.id, count(p.id)::int as n
       from household h
       left join membership ms on ms.household_id = h.id and ms.end_date is null
       left join person p on p.id = ms.person_id and p.death_date is null
       where h.deregistered_at is null and ${inPlan('h.area_code', 1)}
       group by h.area_code, h.id)
     select area_code, least(n, 10) as size, count(*)::int8 as households from sizes group by 1, 2`,
    [plan.codes],
  );
  const bySize = rollUp(plan, counts, ['size'], ['households']);
  const rows = plan.targets.map((t) => {
    const row: Suppressible = { ...areaColumns(t), households: 0, suppressed: [] };
    SIZES.forEach((s, size) => {
      row[s] = bySize.get(`${t.row_key}|${size}`)?.households ?? 0;
      (row.households as number) += row[s] as number;
    });
    return row;
  });
  for (const row of rows) {
    if ((row.households as number) < minCell) withholdAll(row, [...SIZES, 'households']);
    else suppressCellsOfRow(row, SIZES, minCell, 'households');
  }
  return table('household-size', ctx, selection, [...AREA_COLUMNS, 'households', ...SIZES], rows, [
    'Active households by their number of living current members; size_0: no living current member.',
  ]);
}

/** Persons with a disability (a_lot_of_difficulty or cannot_do in a Washington Group domain), by domain. */
export async function disabilityReport(ctx: Ctx, query: Record<string, unknown>): Promise<ReportTable> {
  const selection = await selectAreas(ctx.db, ctx.principal, query);
  const minCell = ctx.config.reports.minCell;
  const domainCounts = DISABILITY_DOMAINS.map((d, i) => `count(*) filter (where p.disabilities @> $${2 + i}::jsonb)::int8 as "${d}"`).join(',\n');
  const plan = await planAreas(ctx.db, selection);
  const counts = await ctx.db.query<Record<string, number> & { area_code: string }>(
    `select h.area_code, count(*)::int8 as persons,
            count(*) filter (where jsonb_array_length(p.disabilities) > 0)::int8 as any_disability,
            ${domainCounts}
     from ${REGISTERED_PERSONS} where ${REGISTERED_PERSONS_WHERE} and ${inPlan('h.area_code', 1)} group by 1`,
    [plan.codes, ...DISABILITY_DOMAINS.map((d) => JSON.stringify([d]))],
  );
  const byRow = rollUp(plan, counts, [], ['persons', 'any_disability', ...DISABILITY_DOMAINS]);
  const rows = plan.targets.map((t) => {
    const c = byRow.get(t.row_key);
    const persons = c?.persons ?? 0;
    const row: Suppressible = { ...areaColumns(t), persons, any_disability: c?.any_disability ?? 0, no_disability: persons - (c?.any_disability ?? 0), suppressed: [] };
    for (const d of DISABILITY_DOMAINS) row[d] = c?.[d] ?? 0;
    // any + none = persons (public): one line; a domain count can equal `any`, so a withheld `any` takes the domains along
    suppressCellsOfRow(row, ['any_disability', 'no_disability'], minCell, 'persons');
    if (row.suppressed.includes('any_disability')) withholdAll(row, DISABILITY_DOMAINS);
    suppressSingles(row, DISABILITY_DOMAINS, minCell);
    return row;
  });
  return table('disability', ctx, selection, [...AREA_COLUMNS, 'persons', 'any_disability', 'no_disability', ...DISABILITY_DOMAINS], rows, [
    'Persons: as in coverage. A person counts in every domain they have difficulty in, so the domains add up to more than any_disability.',
    'Domains are the SPDCI DisabilityType codes of the Washington Group short set (VIS seeing, HEAR hearing, MOB walking, COG cognition, SC self-care, COM communication).',
  ]);
}
