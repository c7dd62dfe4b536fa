// Computes queued simulations in the background, each exactly once across hub instances:
//   1. claim (a short transaction): the oldest queued simulation, or a running one whose lease ran out, becomes
//      `running` with attempts + 1 and a lease; FOR UPDATE SKIP LOCKED lets instances claim different rows;
//   2. compute: the stored household features are refreshed (a short transaction of their own), then one transaction
//      holding the row's lock throughout checks the claim is still this one's, runs the simulation over temporary
//      tables, writes its changes and result and makes the row `done`.
// While step 2 holds the lock no other instance can claim the row, however long it takes; if the instance dies the
// transaction rolls back, the lock goes, the lease runs out and another instance (or this one restarted) takes it.
// The lease only covers the moment between the two steps. A simulation failing MAX_ATTEMPTS times becomes `failed`.
import { refreshFeatures } from '../assessment/features-store.js';
import type { Bus } from '../cache/index.js';
import type { Db } from '../db/db.js';
import type { Logger } from '../log.js';
import { SIMULATION_QUEUED } from './service.js';
import { simulate, type SimulationInput } from './simulate.js';

export interface SimulationWorker {
  /** Computes every simulation waiting now, until none is (tests, the command line). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface SimulationWorkerOptions {
  pollMs?: number;
  /** How long a claim stays this instance's before its compute transaction holds the row. */
  leaseMs?: number;
}

export const MAX_ATTEMPTS = 3;
const DEFAULT_LEASE_MS = 5 * 60_000;

export interface Claim {
  id: string;
  attempts: number;
  plan: SimulationInput;
}

/** Claims the next simulation waiting (queued, or running with its lease run out and its row not held). */
export async function claimSimulation(db: Db, leaseMs = DEFAULT_LEASE_MS): Promise<Claim | undefined> {
  const [row] = await db.query<Claim>(
    `update simulation set status = 'running', attempts = attempts + 1, lease_until = now() + make_interval(secs => $1),
       started_at = now(), error = null
     where id = (
       select id from simulation
       where status = 'queued' or (status = 'running' and lease_until < now())
       order by created_at, id limit 1 for update skip locked)
     returning id, attempts, plan`,
    [leaseMs / 1000],
  );
  return row;
}

/**
 * Computes a claimed simulation and stores its result in one transaction that holds the row; false when the claim
 * is no longer this one's (another instance took it after the lease ran out).
 */
export async function computeClaimed(db: Db, claim: Claim): Promise<boolean> {
  // the stored features brought up to date in a short transaction of their own (it holds the refresh lock)
  await db.transaction((tx) => refreshFeatures(tx));
  return db.transaction(async (tx) => {
    const [mine] = await tx.query<{ id: string }>(
      `select id from simulation where id = $1 and status = 'running' and attempts = $2 for update skip locked`,
      [claim.id, claim.attempts],
    );
    if (!mine) return false;
    const result = await simulate(tx, claim.plan, async (changes) => {
      await tx.query(
        `insert into simulation_change (simulation_id, household_id, change, area_code)
         select $1::uuid, c.household_id, c.change, c.area_code from (${changes}) c`,
        [claim.id],
      );
    });
    await tx.query(
      `update simulation set status = 'done', result = $2, lease_until = null, finished_at = now() where id = $1`,
      [claim.id, JSON.stringify(result)],
    );
    return true;
  });
}

/** After a failed attempt: queued again for another, or failed for good after MAX_ATTEMPTS (if still this claim's). */
async function recordFailure(db: Db, claim: Claim, err: unknown): Promise<void> {
  // the SQLSTATE only: a database message can quote data
  const code = (err as { code?: unknown })?.code;
  const reason = `the simulation could not be computed${typeof code === 'string' ? ` (database error ${code})` : ''}`;
  await db.query(
    `update simulation set
       status = case when attempts >= $3 then 'failed' else 'queued' end,
       error = case when attempts >= $3 then $4 else null end,
       finished_at = case when attempts >= $3 then now() end,
       lease_until = null
     where id = $1 and status = 'running' and attempts = $2`,
    [claim.id, claim.attempts, MAX_ATTEMPTS, reason],
  );
}

/** Claims and computes one simulation; false when none was waiting. */
export async function runOneSimulation(db: Db, log: Logger, leaseMs = DEFAULT_LEASE_MS): Promise<boolean> {
  const claim = await claimSimulation(db, leaseMs);
  if (!claim) return false;
  try {
    await computeClaimed(db, claim);
  } catch (err) {
    log.warn({ simulation_id: claim.id, attempt: claim.attempts, err: (err as Error)?.name, code: (err as { code?: unknown })?.code }, 'simulation failed');
    await recordFailure(db, claim, err).catch(() => undefined);
  }
  return true;
}

export function startSimulationWorker(deps: { db: Db; log: Logger; bus: Bus }, options: SimulationWorkerOptions = {}): SimulationWorker {
  const { db, log, bus } = deps;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  // one simulation at a time per instance: each is a heavy query over the whole registry
  const drain = () =>
    (running ??= (async () => {
      try {
        while (!stopped && (await runOneSimulation(db, log, leaseMs)));
      } catch (err) {
        log.warn({ err: (err as Error)?.name, code: (err as { code?: unknown })?.code }, 'simulation worker could not claim; retrying at the next poll');
      }
    })().finally(() => (running = undefined)));
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(async () => {
      await drain();
      schedule();
    }, options.pollMs ?? 1000);
    timer.unref();
  };
  schedule();
  const unsubscribe = bus.subscribe(SIMULATION_QUEUED, () => void drain()).catch((err) => {
    log.warn({ err: (err as Error)?.name }, 'simulation worker not subscribed to the bus; polling only');
    return async () => undefined;
  });

  return {
    async settle() {
      if (running) await running;
      while (await runOneSimulation(db, log, leaseMs));
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await (await unsubscribe)();
      if (running) await running;
    },
  };
}
