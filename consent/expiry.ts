// The daily expiry job: given consents past valid_until become `expired` (a revision each) and the outbox gets a
// `consent.expired` event per consent for the notification connector. Decisions stopped counting them at valid_until
// already (policy.ts checks time at decision time); this only records it. Every instance may run it (rows are taken
// with skip locked).
import type { Ctx } from '../core/server/context.js';
import { expireConsents } from './records.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** One run; the tests call it directly. */
export async function runConsentExpiry(ctx: Ctx): Promise<number> {
  const expired = await expireConsents(ctx);
  if (expired.length) ctx.log.info({ expired: expired.length }, 'consents expired');
  return expired.length;
}

/** Runs now and then daily; returns the timer to clear on stop. */
export function startConsentExpiry(ctx: Ctx): NodeJS.Timeout {
  const run = () => runConsentExpiry(ctx).catch((err) => ctx.log.warn({ err: (err as Error).message }, 'consent expiry failed'));
  void run();
  const timer = setInterval(run, DAY_MS);
  timer.unref();
  return timer;
}
