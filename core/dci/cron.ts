// Cron expressions of subscription `frequency`: Unix (5 fields), or Quartz as the standard's example
// ("0 0 0 5,15 * ? *": seconds first, `?` for "any", an optional year). Seconds are ignored (a run is per minute);
// L, W and # are not supported. Times are UTC.

interface Schedule {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number> | null; // null: any
  months: Set<number>;
  weekdays: Set<number> | null; // 0 = Sunday
  years: Set<number> | null;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The schedule of an expression, or an error message naming what is wrong. */
export function parseCron(expression: string): Schedule | string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 7) return 'frequency must be a cron expression of 5 (Unix) or 6-7 (Quartz) fields.';
  const quartz = fields.length >= 6;
  const [, minute, hour, day, month, weekday, year] = quartz ? fields : ['0', ...fields];
  try {
    const weekdays = field(weekday, quartz ? 1 : 0, 7, DAYS, quartz ? 1 : 0);
    return {
      minutes: field(minute, 0, 59)!,
      hours: field(hour, 0, 23)!,
      days: field(day, 1, 31),
      months: field(month, 1, 12, MONTHS, 1)!,
      // Quartz counts 1 = Sunday, Unix 0 (and 7) = Sunday
      weekdays: weekdays && new Set([...weekdays].map((d) => (quartz ? d - 1 : d % 7))),
      years: year === undefined ? null : field(year, 1970, 2199),
    };
  } catch (err) {
    return `frequency: ${(err as Error).message}`;
  }
}

/** The first run strictly after `after` (to the minute), or null within the next five years. */
export function nextRun(schedule: Schedule, after: Date): Date | null {
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
  while (t.getTime() < limit) {
    if (!matchesDay(schedule, t)) {
      t.setUTCHours(0, 0, 0, 0);
      t.setUTCDate(t.getUTCDate() + 1);
      continue;
    }
    if (schedule.hours.has(t.getUTCHours()) && schedule.minutes.has(t.getUTCMinutes())) return t;
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  return null;
}

function matchesDay(s: Schedule, t: Date): boolean {
  if (s.years && !s.years.has(t.getUTCFullYear())) return false;
  if (!s.months.has(t.getUTCMonth() + 1)) return false;
  const dayOk = s.days === null || s.days.has(t.getUTCDate());
  const weekdayOk = s.weekdays === null || s.weekdays.has(t.getUTCDay());
  // as in cron: when both are restricted, either may match
  if (s.days !== null && s.weekdays !== null) return dayOk || weekdayOk;
  return dayOk && weekdayOk;
}

/** One field -> its values; null for `*` / `?` on the day fields (any). */
function field(text: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> | null {
  if (text === '?' || (text === '*' && (max === 31 || max === 7))) return null;
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in ${part}`);
    let [lo, hi] = [min, max];
    if (range !== '*') {
      const [a, b] = range.split('-');
      lo = value(a, names, nameBase);
      hi = b === undefined ? (stepText === undefined ? lo : max) : value(b, names, nameBase);
    }
    if (lo < min || hi > max || lo > hi) throw new Error(`${part} is out of range ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

function value(text: string, names: string[], nameBase: number): number {
  const named = names.indexOf(text.toUpperCase());
  if (named >= 0) return named + nameBase;
  if (!/^\d+$/.test(text)) throw new Error(`${text} is not a number`);
  return Number(text);
}
