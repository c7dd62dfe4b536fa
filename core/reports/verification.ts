// Verification status by admin area: each registered person (as coverage counts them) by the result of their latest
// identity verification (core/verification: person_verification), or never verified.
import type { Ctx } from '../server/context.js';
import { areaColumns, inPlan, planAreas, REGISTERED_PERSONS, REGISTERED_PERSONS_WHERE, rollUp, selectAreas } from './areas.js';
import { existingTables } from './optional-tables.js';
import { suppressCellsOfRow, withholdAll, type Suppressible } from './suppression.js';
import type { ReportRow, ReportTable } from './table.js';

const STATUSES = ['verified', 'mismatch', 'not_found', 'error', 'never_verified'];

/** SQL: the latest verification result per person (distinct on, newest first). */
export const LATEST_VERIFICATION = `select distinct on (v.person_id) v.person_id, v.result
  from person_verification v where v.person_id is not null order by v.person_id, v.verified_at desc, v.id desc`;

export async function verificationReport(ctx: Ctx, query: Record<string, unknown>): Promise<ReportTable> {
  const selection = await selectAreas(ctx.db, ctx.principal, query);
  const minCell = ctx.config.reports.minCell;
  const hasRecords = (await existingTables(ctx.db, ['person_verification'])).has('person_verification');
  const latest = hasRecords ? LATEST_VERIFICATION : 'select null::uuid as person_id, null::text as result where false';
  const plan = await planAreas(ctx.db, selection);
  const counts = await ctx.db.query<{ area_code: string; persons: number; verified: number; mismatch: number; not_found: number; error: number }>(
    `with latest as (${latest})
     select h.area_code, count(*)::int8 as persons,
            count(*) filter (where l.result = 'match')::int8 as verified,
            count(*) filter (where l.result = 'mismatch')::int8 as mismatch,
            count(*) filter (where l.result = 'not_found')::int8 as not_found,
            count(*) filter (where l.result = 'error')::int8 as error
     from ${REGISTERED_PERSONS} left join latest l on l.person_id = p.id
     where ${REGISTERED_PERSONS_WHERE} and ${inPlan('h.area_code', 1)} group by 1`,
    [plan.codes],
  );
  const byRow = rollUp(plan, counts, [], ['persons', 'verified', 'mismatch', 'not_found', 'error']);
  const rows = plan.targets.map((t) => {
    const c = byRow.get(t.row_key);
    const persons = c?.persons ?? 0;
    const row: Suppressible = { ...areaColumns(t), persons, verified: c?.verified ?? 0, mismatch: c?.mismatch ?? 0,
      not_found: c?.not_found ?? 0, error: c?.error ?? 0, suppressed: [] };
    row.never_verified = persons - (row.verified as number) - (row.mismatch as number) - (row.not_found as number) - (row.error as number);
    if (persons > 0 && persons < minCell) withholdAll(row, [...STATUSES, 'persons']);
    else suppressCellsOfRow(row, STATUSES, minCell, 'persons');
    row.share_verified = typeof row.verified === 'number' && persons > 0 && !row.suppressed.includes('persons')
      ? Math.round(((row.verified as number) / persons) * 10_000) / 10_000 : null;
    return row;
  });
  return {
    report: 'verification',
    generated_at: new Date().toISOString(),
    min_cell: minCell,
    parameters: { level: selection.level, area_code: selection.under },
    columns: ['area_code', 'area_name', 'area_level', 'rows_cover', 'persons', ...STATUSES, 'share_verified'],
    rows: rows as ReportRow[],
    notes: [
      'Persons: as in coverage. Each counts once, under the result of their latest verification (match = verified).',
      hasRecords ? 'Verification records: core/verification (person_verification).' : 'No verification records exist in this hub: everyone is never_verified.',
      `Counts from 1 to ${minCell - 1} are withheld, with further cells so that a withheld cell cannot be worked out from the area's total (docs/reports.md).`,
    ],
  };
}
