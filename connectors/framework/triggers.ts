// What starts runs besides a person: cron schedules (each slot claimed once across instances by moving the
// schedule row's next_run_at forward in the same transaction that records the run), outbox events (a consumer per
// connector job records runs in the consumer's transaction; they are queued once committed), and the sweeper that
// queues again runs nobody picked up or whose instance died.
import type { Db } from '../../core/db/index.js';
import type { Secrets } from '../../core/keys/secrets.js';
import type { Logger } from '../../core/log.js';
import type { Outbox } from '../../core/outbox/dispatcher.js';
import { configStore } from './configuration.js';
import { isValidCron, nextSlot } from './cron.js';
import type { RunQueue } from './queue.js';
import { MAX_CLAIMS } from './runner.js';
import { runStore } from './store.js';
import type { Connector } from './types.js';

export interface TriggerDeps {
  db: Db;
  secrets: Secrets;
  log: Logger;
  connectors: ReadonlyMap<string, Connector>;
  queue: RunQueue;
  outbox: Outbox;
  tickMs?: number;
}

export interface Triggers {
  start(): void;
  /** Fires due schedules, recovers abandoned runs, queues runs left queued. */
  tick(): Promise<void>;
  /** Queues the runs recorded by outbox consumers whose transaction has committed. */
  flushPending(): Promise<void>;
  stop(): Promise<void>;
}

const TICK_MS = 15_000;
// a queued run older than this was lost on its way to the queue (or the queue lost it): queue it again
const LOST_AFTER_MS = 30_000;
// a run recorded by a consumer whose transaction has not committed after this is left to the sweeper
const PENDING_GIVE_UP_MS = 10_000;

export function createTriggers(deps: TriggerDeps): Triggers {
  const { db, secrets, log, connectors, queue } = deps;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let stopped = false;
  // runs recorded in an outbox consumer's transaction: queued once the row is visible (committed)
  const pending = new Map<string, number>();
  let flushTimer: NodeJS.Timeout | undefined;

  for (const connector of connectors.values()) {
    for (const [job, manifest] of Object.entries(connector.manifest.jobs)) {
      const topics = manifest.triggers.events ?? [];
      if (!topics.length) continue;
      const connectorId = connector.manifest.id;
      deps.outbox.register({
        name: `connector:${connectorId}:${job}`,
        topics,
        async handle(tx, events) {
          // a disabled connector lets events pass: it picks up what happens after it is enabled
          const [config] = await tx.query<{ enabled: boolean }>('select enabled from connector_config where connector_id = $1', [connectorId]);
          if (!config?.enabled) return;
          const row = await runStore.insert(tx, secrets, {
            connectorId,
            job,
            trigger: 'event',
            // payloads carry ids and area codes, never personal data (see core/outbox/events.ts)
            input: events.map((e) => ({ ...e.payload, event: { id: e.id, topic: e.topic, aggregateType: e.aggregateType, aggregateId: e.aggregateId, createdAt: e.createdAt } })),
            requestedBy: 'outbox',
          });
          pending.set(row.id, Date.now());
          scheduleFlush();
        },
      });
    }
  }

  function scheduleFlush(delay = 20) {
    if (flushTimer || stopped) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      void flushPending().catch((err) => log.warn({ err: (err as Error).message }, 'connector runs not queued; the sweeper will'));
    }, delay);
    flushTimer.unref();
  }

  async function flushPending(): Promise<void> {
    if (!pending.size) return;
    const ids = [...pending.keys()];
    const visible = await db.query<{ id: string }>('select id from connector_run where id = any($1::uuid[])', [ids]);
    for (const { id } of visible) {
      pending.delete(id);
      await queue.add(id);
    }
    const now = Date.now();
    for (const [id, since] of pending) if (now - since > PENDING_GIVE_UP_MS) pending.delete(id); // rolled back, or the sweeper's
    if (pending.size) scheduleFlush(100);
  }

  async function fireSchedules(): Promise<void> {
    const enabled = await configStore.enabledIds(db);
    for (const connector of connectors.values()) {
      const connectorId = connector.manifest.id;
      if (!enabled.has(connectorId)) continue;
      const row = await configStore.row(db, connectorId);
      for (const [job, manifest] of Object.entries(connector.manifest.jobs)) {
        const cron = row?.schedules?.[job] ?? manifest.triggers.schedule;
        if (!cron || !isValidCron(cron)) {
          await db.query('delete from connector_schedule where connector_id = $1 and job = $2', [connectorId, job]);
          continue;
        }
        const now = new Date();
        // a new or changed schedule starts at its next slot from now (a change never fires a backlog)
        await db.query(
          `insert into connector_schedule (connector_id, job, cron, next_run_at) values ($1, $2, $3, $4)
           on conflict (connector_id, job) do update set cron = excluded.cron, next_run_at = excluded.next_run_at
           where connector_schedule.cron <> excluded.cron`,
          [connectorId, job, cron, nextSlot(cron, now)],
        );
        const runId = await db.transaction(async (tx) => {
          // only one instance moves the slot forward: the others find next_run_at already in the future
          const [slot] = await tx.query<{ connector_id: string }>(
            `update connector_schedule set next_run_at = $4
             where connector_id = $1 and job = $2 and cron = $3 and next_run_at <= now() returning connector_id`,
            [connectorId, job, cron, nextSlot(cron, now)],
          );
          if (!slot) return undefined;
          const run = await runStore.insert(tx, secrets, { connectorId, job, trigger: 'schedule', input: undefined, requestedBy: 'schedule' });
          return run.id;
        });
        if (runId) await queue.add(runId);
      }
    }
  }

  async function sweep(): Promise<void> {
    const ids = [...connectors.keys()];
    for (const id of await runStore.recoverAbandoned(db, MAX_CLAIMS, ids)) await queue.add(id);
    for (const id of await runStore.queuedIds(db, LOST_AFTER_MS, ids)) await queue.add(id);
  }

  async function tick(): Promise<void> {
    // one tick at a time in this process
    ticking ??= (async () => {
      try {
        await fireSchedules();
        await sweep();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'connector schedules or sweeper failed; retried next tick');
      }
    })().finally(() => (ticking = undefined));
    return ticking;
  }

  return {
    start() {
      const loop = () => {
        if (stopped) return;
        timer = setTimeout(async () => {
          await tick();
          loop();
        }, deps.tickMs ?? TICK_MS);
        timer.unref();
      };
      void tick();
      loop();
    },
    tick,
    flushPending,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(flushTimer);
      if (ticking) await ticking;
    },
  };
}
