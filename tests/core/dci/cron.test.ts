// Subscription frequencies: Unix and Quartz cron expressions and their next run (UTC).
import { nextRun, parseCron } from '../../../core/dci/cron.js';

const next = (expression: string, after: string) => {
  const schedule = parseCron(expression);
  if (typeof schedule === 'string') throw new Error(schedule);
  return nextRun(schedule, new Date(after))?.toISOString() ?? null;
};

describe('cron frequencies', () => {
  it('reads the standard example (Quartz, seconds first, ? and a year): 00:00 on the 5th and 15th', () => {
    expect(next('0 0 0 5,15 * ? *', '2026-01-05T00:00:00Z')).toBe('2026-01-15T00:00:00.000Z');
    expect(next('0 0 0 5,15 * ? *', '2026-01-15T00:00:30Z')).toBe('2026-02-05T00:00:00.000Z');
  });

  it('reads Unix expressions with steps, ranges and names', () => {
    expect(next('*/15 * * * *', '2026-03-01T10:07:00Z')).toBe('2026-03-01T10:15:00.000Z');
    expect(next('30 9 * * MON-FRI', '2026-11-27T10:00:00Z')).toBe('2026-11-30T09:30:00.000Z'); // Friday after 9:30 -> Monday
    expect(next('0 0 1 JAN *', '2026-06-01T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('0 12 * * 0', '2026-11-25T00:00:00Z')).toBe('2026-11-29T12:00:00.000Z'); // Sunday
  });

  it('counts Quartz weekdays from 1 = Sunday', () => {
    expect(next('0 0 12 ? * 1', '2026-11-25T00:00:00Z')).toBe('2026-11-29T12:00:00.000Z');
  });

  it('matches either day of month or weekday when both are restricted, as cron does', () => {
    expect(next('0 0 13 * 5', '2026-11-01T00:00:00Z')).toBe('2026-11-06T00:00:00.000Z'); // Friday the 6th before the 13th
  });

  it('gives null past a year limit and refuses what it cannot read', () => {
    expect(next('0 0 0 1 1 ? 2020', '2026-01-01T00:00:00Z')).toBeNull();
    for (const bad of ['every tuesday', '* * *', '61 * * * *', '0 0 L * ?', '5-1 * * * *', '*/0 * * * *']) {
      expect(typeof parseCron(bad)).toBe('string');
    }
  });
});
