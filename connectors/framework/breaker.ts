// The circuit breaker of a connector, kept in the database so every hub instance sees the same state: closed ->
// open after N consecutive failed calls -> after the cool-down one instance wins the half-open probe -> closed when
// the probe succeeds, open again (for another cool-down) when it fails. While open, calls fail at once.
import type { Db } from '../../core/db/index.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export class BreakerOpenError extends Error {
  readonly retryable = false;
  constructor(readonly connectorId: string) {
    super(`The circuit breaker of connector ${connectorId} is open (the external system failed repeatedly); calls resume after the cool-down.`);
  }
}

export interface BreakerView {
  state: BreakerState;
  failures: number;
  openedAt?: string;
}

export interface Breaker {
  /** Before a call: resolves when the call may go out (closed, or this caller won the half-open probe), else throws BreakerOpenError. */
  admit(): Promise<void>;
  success(): Promise<void>;
  failure(): Promise<void>;
}

// A probe that never reports back (its instance died) is given up after this, so another may probe.
const PROBE_LEASE_MS = 60_000;

export function createBreaker(db: Db, connectorId: string, limits: { failures: number; cooldownMs: number }): Breaker {
  return {
    async admit() {
      const [row] = await db.query<{ state: BreakerState }>('select state from connector_breaker where connector_id = $1', [connectorId]);
      if (!row || row.state === 'closed') return;
      // open past its cool-down (or a half-open probe that went silent): one caller becomes the probe
      const [probe] = await db.query(
        `update connector_breaker set state = 'half_open', probe_at = now(), updated_at = now()
         where connector_id = $1
           and ((state = 'open' and opened_at <= now() - make_interval(secs => $2::double precision / 1000))
             or (state = 'half_open' and probe_at <= now() - make_interval(secs => $3::double precision / 1000)))
         returning connector_id`,
        [connectorId, limits.cooldownMs, PROBE_LEASE_MS],
      );
      if (!probe) throw new BreakerOpenError(connectorId);
    },
    async success() {
      await db.query(
        `update connector_breaker set state = 'closed', failures = 0, opened_at = null, probe_at = null, updated_at = now()
         where connector_id = $1 and (state <> 'closed' or failures <> 0)`,
        [connectorId],
      );
    },
    async failure() {
      // a failed probe re-opens at once; otherwise the N-th consecutive failure opens
      await db.query(
        `insert into connector_breaker as b (connector_id, state, failures, opened_at)
         values ($1, case when $2::int <= 1 then 'open' else 'closed' end, 1, case when $2::int <= 1 then now() end)
         on conflict (connector_id) do update set
           failures = b.failures + 1,
           state = case when b.state = 'half_open' or b.failures + 1 >= $2::int then 'open' else b.state end,
           opened_at = case when b.state = 'half_open' or (b.state = 'closed' and b.failures + 1 >= $2::int) then now() else b.opened_at end,
           probe_at = null,
           updated_at = now()`,
        [connectorId, limits.failures],
      );
    },
  };
}

export async function breakerView(db: Db, connectorId: string): Promise<BreakerView> {
  const [row] = await db.query<{ state: BreakerState; failures: number; opened_at: Date | string | null }>(
    'select state, failures, opened_at from connector_breaker where connector_id = $1',
    [connectorId],
  );
  if (!row) return { state: 'closed', failures: 0 };
  return { state: row.state, failures: row.failures, ...(row.opened_at ? { openedAt: new Date(row.opened_at).toISOString() } : {}) };
}
