// Sends the queued messages: claims the due ones (a lease, so a crashed instance's claims come back), prepares each
// (its kind may sign or encrypt it), POSTs it, and records the outcome; failures retry with exponential backoff
// and jitter until the attempts run out, then wait as `failed` for an administrator's re-run.
import type { Db } from '../db/index.js';
import type { Secrets } from '../keys/secrets.js';
import type { Logger } from '../log.js';
import { EgressRefused, egressRequest, type EgressPolicy } from '../net/egress.js';
import { openBody } from './queue.js';

export interface OutgoingMessage {
  id: string;
  kind: string;
  url: string;
  body: unknown;
  attempts: number;
}

export type Preparer = (message: OutgoingMessage) => Promise<{ body: unknown; headers?: Record<string, string>; url?: string }>;

export interface DeliveryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  /** Messages sent at once by this instance. */
  concurrency?: number;
  pollMs?: number;
  /** Which addresses messages may go to (receivers name their URLs: private ones need allow-listing). */
  egress: EgressPolicy;
}

export interface Deliveries {
  /** Registers how messages of a kind are prepared; only kinds with a preparer are sent (others wait in the queue). */
  prepare(kind: string, preparer: Preparer): void;
  /** Sends everything due now, until nothing is; resolves then (tests, shutdown). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

interface ClaimedRow {
  id: string;
  kind: string;
  url: string;
  body: string;
  attempts: number;
}

type Outcome = { delivered: true; status: number } | { delivered: false; status: number | null; error: string; permanent: boolean };

const LEASE_EXTRA_MS = 30_000;
// a receiver's acknowledgement is small; its body is not used
const RECEIPT_MAX_BYTES = 64 * 1024;

export function createDeliveries(db: Db, secrets: Secrets, log: Logger, options: DeliveryOptions): Deliveries {
  const preparers = new Map<string, Preparer>();
  const concurrency = options.concurrency ?? 8;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  async function claim(): Promise<ClaimedRow[]> {
    // a kind this instance cannot prepare (its capability not started yet, or an older version) is left to wait:
    // sending it unprepared would post an unsigned, internal body
    if (preparers.size === 0) return [];
    const leaseMs = options.timeoutMs + LEASE_EXTRA_MS;
    return db.query<ClaimedRow>(
      `with due as (
         select d.id from delivery d
         where d.status = 'pending' and d.next_attempt_at <= now() and d.kind = any($3::text[])
           and (d.ordering_key is null or not exists (
             select 1 from delivery e where e.ordering_key = d.ordering_key and e.status = 'pending' and e.seq < d.seq))
         order by d.next_attempt_at, d.seq limit $1 for update skip locked)
       update delivery set attempts = delivery.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
       from due where delivery.id = due.id
       returning delivery.id, delivery.kind, delivery.url, delivery.body, delivery.attempts`,
      [concurrency, leaseMs / 1000, [...preparers.keys()]],
    );
  }

  async function send(row: ClaimedRow): Promise<Outcome> {
    try {
      const message: OutgoingMessage = { id: row.id, kind: row.kind, url: row.url, body: openBody(secrets, row.id, row.body), attempts: row.attempts };
      const prepared = await preparers.get(row.kind)!(message);
      const response = await egressRequest(options.egress, prepared.url ?? row.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...prepared.headers },
        body: JSON.stringify(prepared.body),
        timeoutMs: options.timeoutMs,
        maxResponseBytes: RECEIPT_MAX_BYTES,
      });
      if (response.status >= 200 && response.status < 300) return { delivered: true, status: response.status };
      // the receiver refuses this message as it is: sending it again would not change that
      const permanent = response.status >= 400 && response.status < 500 && ![408, 425, 429].includes(response.status);
      return { delivered: false, status: response.status, error: `HTTP ${response.status}`, permanent };
    } catch (err) {
      const error = err instanceof Error ? (err.name === 'TimeoutError' ? 'timed out' : err.message) : String(err);
      // an address the hub may not call stays forbidden until an administrator allow-lists it (then re-runs it)
      return { delivered: false, status: null, error: error.slice(0, 200), permanent: err instanceof EgressRefused };
    }
  }

  async function record(row: ClaimedRow, outcome: Outcome): Promise<void> {
    if (outcome.delivered) {
      await db.query(
        `update delivery set status = 'delivered', delivered_at = now(), last_status = $2, last_error = null where id = $1`,
        [row.id, outcome.status],
      );
      return;
    }
    const failed = outcome.permanent || row.attempts >= options.maxAttempts;
    await db.query(
      `update delivery set status = $2, last_status = $3, last_error = $4, next_attempt_at = now() + make_interval(secs => $5) where id = $1`,
      [row.id, failed ? 'failed' : 'pending', outcome.status, outcome.error, backoffMs(row.attempts, options) / 1000],
    );
    // the receiver's address is configuration, not personal data; the body is never logged
    log.warn({ delivery: row.id, kind: row.kind, attempt: row.attempts, error: outcome.error, failed }, 'delivery failed');
  }

  /** One round: claim what is due, send it, record the outcomes; returns how many were claimed. */
  async function round(): Promise<number> {
    const rows = await claim();
    await Promise.all(rows.map(async (row) => record(row, await send(row))));
    return rows.length;
  }

  function runRound(): Promise<number> {
    running ??= round()
      .catch((err) => {
        log.warn({ err: (err as Error).message }, 'delivery round failed');
        return 0;
      })
      .finally(() => (running = undefined));
    return running;
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(async () => {
      const claimed = await runRound();
      schedule(claimed === concurrency ? 0 : (options.pollMs ?? 250));
    }, delay);
    timer.unref();
  }

  schedule(0);
  return {
    prepare(kind, preparer) {
      preparers.set(kind, preparer);
    },
    async drain() {
      if (running) await running;
      while ((await runRound()) > 0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (running) await running;
    },
  };
}

/** The wait before attempt n + 1: doubling from the base, capped, with "equal jitter" so retries spread out. */
export function backoffMs(attempt: number, options: Pick<DeliveryOptions, 'baseDelayMs' | 'maxDelayMs'>): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
