// Hands outbox events to consumers (DCI subscriptions, connectors, re-assessment), each event once per consumer,
// in commit order (ids follow commit order: see emitEvents). A consumer handles a batch inside the transaction that moves its cursor: what it writes there
// (a delivery, a job) commits with the cursor or not at all, so a crash neither loses nor repeats an event.
import type { Db } from '../db/index.js';
import type { Logger } from '../log.js';
import type { OutboxEvent } from './events.js';

export interface OutboxConsumer {
  /** Stable: the cursor is kept under this name. */
  name: string;
  /** The topics it wants; the others pass by. */
  topics: readonly string[];
  handle(tx: Db, events: OutboxEvent[]): Promise<void>;
}

export interface Outbox {
  register(consumer: OutboxConsumer): void;
  /** Handles everything committed so far, for every consumer; resolves when no consumer has more (tests, shutdown). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

interface EventRow {
  id: number;
  topic: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: Record<string, unknown>;
  created_at: Date | string;
}

const BATCH = 500;
const POLL_MS = 200;
const MAX_BACKOFF_MS = 30_000;

export function createOutbox(db: Db, log: Logger, options: { pollMs?: number } = {}): Outbox {
  const consumers: OutboxConsumer[] = [];
  const failures = new Map<string, { count: number; retryAt: number }>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;
  let stopped = false;

  /** One batch for one consumer; true when it handled a full batch (there may be more). */
  async function step(consumer: OutboxConsumer): Promise<boolean> {
    const failure = failures.get(consumer.name);
    if (failure && Date.now() < failure.retryAt) return false;
    try {
      const full = await db.transaction(async (tx) => {
        await tx.query('insert into outbox_consumer (name) values ($1) on conflict (name) do nothing', [consumer.name]);
        // another instance holding the row is handling this consumer now
        const [cursor] = await tx.query<{ last_id: number }>(
          'select last_id from outbox_consumer where name = $1 for update skip locked',
          [consumer.name],
        );
        if (!cursor) return false;
        const rows = await tx.query<EventRow>(
          `select id, topic, aggregate_type, aggregate_id, payload, created_at from outbox_event
           where id > $1 order by id limit $2`,
          [cursor.last_id, BATCH],
        );
        if (rows.length === 0) return false;
        const wanted = rows.filter((r) => consumer.topics.includes(r.topic)).map(toEvent);
        if (wanted.length) await consumer.handle(tx, wanted);
        const last = rows[rows.length - 1];
        await tx.query('update outbox_consumer set last_id = $2, updated_at = now() where name = $1', [consumer.name, last.id]);
        return rows.length === BATCH;
      });
      failures.delete(consumer.name);
      return full;
    } catch (err) {
      // the batch is retried whole, later: backing off keeps a failing consumer from spinning
      const count = (failure?.count ?? 0) + 1;
      const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** count);
      failures.set(consumer.name, { count, retryAt: Date.now() + delay });
      log.warn({ consumer: consumer.name, err: (err as Error).message, retry_in_ms: delay }, 'outbox consumer failed');
      return false;
    }
  }

  /**
   * One pass over every consumer; true when any may have more. Consumers whose cursor is already at the newest event
   * are not stepped: an idle hub polls with this one read instead of a transaction per consumer (five statements
   * each, eleven consumers, five times a second, on the pool that serves requests: docs/benchmarks.md). The cursors
   * are read, not remembered, so another instance's progress and a cursor set back (a replay) are seen at once.
   */
  async function pass(): Promise<boolean> {
    let behind: Set<string>;
    try {
      const rows = await db.query<{ name: string }>(
        `select c.name from unnest($1::text[]) as c(name) left join outbox_consumer oc on oc.name = c.name
         where oc.last_id is null or oc.last_id < (select coalesce(max(id), 0) from outbox_event)`,
        [consumers.map((c) => c.name)],
      );
      behind = new Set(rows.map((r) => r.name));
    } catch (err) {
      // the database is away: the next poll asks again
      log.warn({ err: (err as Error).message }, 'outbox poll failed');
      return false;
    }
    let more = false;
    for (const consumer of consumers) if (behind.has(consumer.name) && (await step(consumer))) more = true;
    return more;
  }

  function runPass(): Promise<boolean> {
    // one pass at a time in this process: the poller and drain() share it
    running ??= pass()
      .catch((err) => {
        // the database is gone or full (the newest-event read failed): the next poll tries again
        log.warn({ err: (err as Error).message }, 'outbox pass failed');
        return false;
      })
      .finally(() => (running = undefined));
    return running;
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(async () => {
      const more = await runPass();
      schedule(more ? 0 : (options.pollMs ?? POLL_MS));
    }, delay);
    timer.unref();
  }

  return {
    register(consumer) {
      if (consumers.some((c) => c.name === consumer.name)) throw new Error(`outbox consumer ${consumer.name} is registered twice`);
      consumers.push(consumer);
      if (!timer) schedule(0);
    },
    async drain() {
      if (running) await running;
      while (await runPass());
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (running) await running;
    },
  };
}

function toEvent(row: EventRow): OutboxEvent {
  return {
    id: String(row.id),
    topic: row.topic,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    payload: row.payload,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Deletes events older than the retention that every consumer has passed. */
export async function purgeConsumedEvents(db: Db, retentionDays: number): Promise<number> {
  const rows = await db.query(
    `delete from outbox_event e
     where e.created_at < now() - make_interval(days => $1)
       and not exists (select 1 from outbox_consumer c where c.last_id < e.id)
     returning e.id`,
    [retentionDays],
  );
  return rows.length;
}

