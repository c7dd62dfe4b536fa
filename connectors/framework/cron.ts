// Cron expressions (5 fields, UTC) of scheduled jobs: validation and the next slot after a time.
import { CronExpressionParser } from 'cron-parser';

export function isValidCron(expression: string): boolean {
  if (expression.trim().split(/\s+/).length !== 5) return false;
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

export function nextSlot(expression: string, after: Date): Date {
  return CronExpressionParser.parse(expression, { currentDate: after, tz: 'UTC' }).next().toDate();
}
