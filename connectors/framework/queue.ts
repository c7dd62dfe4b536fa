// The queue runs travel on: BullMQ on Redis when REDIS_URL is set (every instance's worker takes from it), an
// in-process queue otherwise. Both carry only run ids; the run row decides (a claim), so a run handed out twice
// still runs once, and a run the queue lost is found again by the sweeper.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../../core/log.js';

export interface RunQueue {
  readonly engine: 'bullmq' | 'memory';
  /** Hands a run to a worker, now or after delayMs. */
  add(runId: string, delayMs?: number): Promise<void>;
  /** Starts taking runs; `handle` resolves when the run is done (or handed back). */
  start(handle: (runId: string) => Promise<void>): void;
  /** Resolves when nothing is waiting or being handled in this process's view of the queue. */
  idle(): Promise<boolean>;
  close(): Promise<void>;
}

const WORKERS = 4;
// how long adding a job may wait on Redis before the run is queued in process instead
const ADD_TIMEOUT_MS = 2000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function memoryQueue(log: Logger): RunQueue {
  const waiting: string[] = [];
  const delayed = new Map<NodeJS.Timeout, string>();
  const active = new Set<string>();
  let handler: ((runId: string) => Promise<void>) | undefined;
  let closed = false;

  const pump = () => {
    while (handler && !closed && active.size < WORKERS && waiting.length) {
      const id = waiting.shift()!;
      if (active.has(id)) continue; // already being handled; the claim would refuse it anyway
      active.add(id);
      handler(id)
        .catch((err) => log.error({ run: id, err: (err as Error).message }, 'connector run handler failed'))
        .finally(() => {
          active.delete(id);
          pump();
        });
    }
  };
  return {
    engine: 'memory',
    async add(runId, delayMs = 0) {
      if (closed) return;
      if (delayMs > 0) {
        const timer = setTimeout(() => {
          delayed.delete(timer);
          if (!waiting.includes(runId)) waiting.push(runId);
          pump();
        }, delayMs);
        timer.unref();
        delayed.set(timer, runId);
        return;
      }
      if (!waiting.includes(runId)) waiting.push(runId);
      pump();
    },
    start(handle) {
      handler = handle;
      pump();
    },
    async idle() {
      return waiting.length === 0 && active.size === 0 && delayed.size === 0;
    },
    async close() {
      closed = true;
      for (const timer of delayed.keys()) clearTimeout(timer);
      delayed.clear();
      waiting.length = 0;
      while (active.size) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

export function bullQueue(redisUrl: string, keyPrefix: string, log: Logger): RunQueue {
  // BullMQ's workers block on Redis: it wants its own connections, retrying forever
  const connect = () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    redis.on('error', (err) => log.warn({ err: err.message }, 'connector queue: Redis error'));
    return redis;
  };
  const prefix = `${keyPrefix.replace(/:+$/, '')}:bull`;
  const name = 'connector-runs';
  const queueConnection = connect();
  const queue = new Queue(name, { connection: queueConnection, prefix });
  let worker: Worker | undefined;
  let workerConnection: Redis | undefined;
  const active = new Set<string>();
  // while Redis is down, runs are handed to this process's own queue: the run row (in the database, like an
  // outbox entry) is what counts, and its claim keeps a run that BullMQ also delivers later from running twice
  const local = memoryQueue(log);
  // still connecting (at start) is worth the wait; a connection lost and being retried is not
  const reachable = () => !['close', 'reconnecting', 'end'].includes(queueConnection.status);
  return {
    engine: 'bullmq',
    async add(runId, delayMs = 0) {
      // the same id twice while the first is waiting is one job; a later hand-back gets an id of its own
      const jobId = delayMs > 0 ? `${runId}.${Date.now()}` : runId;
      try {
        if (!reachable()) throw new Error('Redis is not connected');
        await withTimeout(queue.add('run', { runId }, { jobId, delay: delayMs, removeOnComplete: true, removeOnFail: true }), ADD_TIMEOUT_MS);
      } catch (err) {
        log.warn({ run: runId, err: (err as Error).message }, 'connector queue: Redis unreachable, the run is queued in this process');
        await local.add(runId, delayMs);
      }
    },
    start(handle) {
      local.start(handle);
      workerConnection = connect();
      worker = new Worker(
        name,
        async (job) => {
          const runId = (job.data as { runId: string }).runId;
          active.add(runId);
          try {
            await handle(runId);
          } finally {
            active.delete(runId);
          }
        },
        { connection: workerConnection, prefix, concurrency: WORKERS },
      );
      worker.on('error', (err) => log.warn({ err: err.message }, 'connector queue worker error'));
    },
    async idle() {
      if (!(await local.idle())) return false;
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return active.size === 0 && Object.values(counts).every((n) => n === 0);
    },
    async close() {
      await local.close();
      await worker?.close();
      await queue.close();
      queueConnection.disconnect();
      workerConnection?.disconnect();
    },
  };
}
