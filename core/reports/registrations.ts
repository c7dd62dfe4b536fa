// Registration over time by channel: households (or persons) registered per day, week or month, as they were
// registered (a household deregistered later still counts in the period it was registered).
import type { Ctx } from '../server/context.js';
import { unprocessable } from '../server/errors.js';
import { inPlan, planAreas, selectAreas } from './areas.js';
import { suppressCellsOfRow, type Suppressible } from './suppression.js';
import type { ReportRow, ReportTable } from './table.js';

export const CHANNELS = ['online', 'mobile', 'in_person', 'bulk_import', 'connector'];
const BUCKETS = { day: 1, week: 7, month: 31 } as const;
type Bucket = keyof typeof BUCKETS;
const MAX_PERIODS = 1000;
const DAY_MS = 86_400_000;

export async function registrationsReport(ctx: Ctx, query: Record<string, unknown>): Promise<ReportTable> {
  const selection = await selectAreas(ctx.db, ctx.principal, { area_code: query.area_code });
  const bucket = (query.bucket as Bucket | undefined) ?? 'month';
  const measure = (query.measure as 'households' | 'persons' | undefined) ?? 'households';
  const to = typeof query.to === 'string' ? query.to : new Date().toISOString().slice(0, 10);
  const defaultDays = { day: 31, week: 7 * 12, month: 365 }[bucket];
  const from = typeof query.from === 'string' ? query.from : new Date(Date.parse(to) - defaultDays * DAY_MS).toISOString().slice(0, 10);
  if (from > to) throw unprocessable('report.invalid', [{ field: 'query.from', message: `must not be after to (${to})` }], 'The period is empty.');
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS / BUCKETS[bucket] > MAX_PERIODS) {
    throw unprocessable('report.invalid', [{ field: 'query.from', message: `more than ${MAX_PERIODS} ${bucket}s: choose a later from or a larger bucket` }], 'Too many periods.');
  }
  const minCell = ctx.config.reports.minCell;
  // households by their own channel and creation; persons by theirs, placed through their current household
  const source = measure === 'households'
    ? `select h.created_at, h.channel from household h where ${inPlan('h.area_code', 1)}`
    : `select p.created_at, p.channel from person p
       join membership ms on ms.person_id = p.id and ms.end_date is null
       join household h on h.id = ms.household_id where ${inPlan('h.area_code', 1)}`;
  // the rows of area_code's children (and area_code itself when it holds households), or of the roots: every area
  // the caller may see under it
  const plan = await planAreas(ctx.db, selection);
  const counts = await ctx.db.query<{ period: string; channel: string; n: number }>(
    `with registered as (${source})
     select to_char(date_trunc($2::text, created_at at time zone 'UTC'), 'YYYY-MM-DD') as period, channel, count(*)::int8 as n
     from registered
     where created_at >= ($3::date)::timestamp at time zone 'UTC' and created_at < ($4::date + 1)::timestamp at time zone 'UTC'
     group by 1, 2`,
    [plan.codes, bucket, from, to],
  );
  const rows: Suppressible[] = periods(from, to, bucket).map((period) => {
    const row: Suppressible = { period, suppressed: [] };
    let total = 0;
    for (const c of CHANNELS) {
      const n = counts.find((x) => x.period === period && x.channel === c)?.n ?? 0;
      row[c] = n;
      total += n;
    }
    row.total = total;
    suppressCellsOfRow(row, CHANNELS, minCell, 'total');
    return row;
  });
  return {
    report: 'registrations',
    generated_at: new Date().toISOString(),
    min_cell: minCell,
    parameters: { bucket, measure, from, to, area_code: selection.under },
    columns: ['period', ...CHANNELS, 'total'],
    rows: rows as ReportRow[],
    notes: [
      `${measure} registered per ${bucket} (UTC; weeks start on Monday), by the channel they were registered through.`,
      measure === 'households'
        ? 'Every household registered in the period counts, including those deregistered since.'
        : 'Persons registered in the period who are current members of a household in the area (deceased included); persons in no household are not placed in an area.',
      `Counts from 1 to ${minCell - 1} are withheld, with further cells so that a withheld cell cannot be worked out from the period's total (docs/reports.md).`,
    ],
  };
}

/** Every period start from the one containing `from` to the one containing `to` (zeros included). */
function periods(from: string, to: string, bucket: Bucket): string[] {
  const start = new Date(`${from}T00:00:00Z`);
  if (bucket === 'week') start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7));
  if (bucket === 'month') start.setUTCDate(1);
  const end = new Date(`${to}T00:00:00Z`);
  const out: string[] = [];
  for (const d = start; d <= end; ) {
    out.push(d.toISOString().slice(0, 10));
    if (bucket === 'day') d.setUTCDate(d.getUTCDate() + 1);
    else if (bucket === 'week') d.setUTCDate(d.getUTCDate() + 7);
    else d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return out;
}
