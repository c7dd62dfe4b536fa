// The audit writer. Writes of personal data are recorded in the transaction of the change (recordIn), so the change
// and its entry commit or vanish together. Reads are recorded through group commit (recordReads): callers' entries
// queue up and one transaction writes all that are waiting; each caller's promise settles only once that
// transaction has committed or failed, so no read is answered unaudited and none acknowledged is lost. One
// autocommit insert per request is fsync-bound (a few thousand per second); one commit per batch is not.
import type { Db } from '../db/index.js';
import { heldWrites } from '../db/held-writes.js';
import type { Logger } from '../log.js';
import { unavailable } from '../server/errors.js';
import { chainEntries } from './chain.js';
import type { AuditEntry } from './entry.js';
import { auditStore } from './store.js';

export interface Audit {
  /** Appends entries in the caller's transaction; call it last in the transaction (it holds the chain lock until commit). */
  recordIn(tx: Db, entries: readonly AuditEntry[]): Promise<void>;
  /** Queues entries and resolves once they are committed; rejects (503) when they could not be written. */
  recordReads(entries: readonly AuditEntry[]): Promise<void>;
  /** Writes what is queued now. */
  flush(): Promise<void>;
  /** Writes what is queued and refuses new entries. */
  stop(): Promise<void>;
}

export interface AuditOptions {
  log?: Logger;
  /** Entries per transaction at most (a caller's entries are never split). */
  maxBatch?: number;
  /** How long the first entry of a batch waits for others while the writer is idle. */
  maxDelayMs?: number;
}

interface Waiting {
  entries: readonly AuditEntry[];
  resolve(): void;
  reject(err: Error): void;
}

/** Appends entries to the chain in one transaction: lock, read the head, link, insert. */
export async function appendEntries(tx: Db, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const holding = held.list(tx);
  if (holding) return void holding.push(...entries);
  const head = await auditStore.lockHead(tx);
  await auditStore.insert(tx, chainEntries(head, entries));
}

// Entries held back to the end of their transaction (see core/audit/writes-last.ts).
const held = heldWrites<AuditEntry>();

/** From now on appendEntries(tx, ...) collects instead of writing. */
export const holdEntries = (tx: Db): void => void held.hold(tx);

/** Stops holding and forgets what was held (its transaction rolls back). */
export const discardHeldEntries = (tx: Db): void => held.discard(tx);

/** Appends what was held back (in order) and stops holding. */
export async function releaseEntries(tx: Db): Promise<void> {
  const list = held.take(tx);
  if (list) await appendEntries(tx, list);
}

export function createAudit(db: Db, options: AuditOptions = {}): Audit {
  const maxBatch = options.maxBatch ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 1;
  const queue: Waiting[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let stopped = false;

  function schedule(): void {
    if (writing || queue.length === 0) return; // the running write looks at the queue when it ends
    if (queued >= maxBatch || maxDelayMs === 0) {
      startWrite();
    } else {
      timer ??= setTimeout(startWrite, maxDelayMs);
    }
  }

  function startWrite(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (writing || queue.length === 0) return;
    writing = writeBatch().finally(() => {
      writing = undefined;
      // what queued meanwhile has waited a whole write already: no extra delay for it
      if (queue.length) startWrite();
    });
  }

  async function writeBatch(): Promise<void> {
    const batch: Waiting[] = [];
    let size = 0;
    while (queue.length && (batch.length === 0 || size + queue[0].entries.length <= maxBatch)) {
      const next = queue.shift()!;
      batch.push(next);
      size += next.entries.length;
    }
    queued -= size;
    try {
      await db.transaction((tx) => appendEntries(tx, batch.flatMap((w) => w.entries)));
    } catch (err) {
      options.log?.error({ err: (err as Error).message, entries: size }, 'audit entries could not be written');
      const refusal = unavailable('The audit log cannot be written just now, so nothing was disclosed; try again shortly.');
      for (const w of batch) w.reject(refusal);
      return;
    }
    for (const w of batch) w.resolve();
  }

  async function drain(): Promise<void> {
    while (writing || queue.length) {
      if (!writing) startWrite();
      await writing;
    }
  }

  return {
    recordIn: appendEntries,
    recordReads(entries) {
      if (entries.length === 0) return Promise.resolve();
      if (stopped) return Promise.reject(unavailable('The hub is stopping; try again shortly.'));
      return new Promise<void>((resolve, reject) => {
        queue.push({ entries, resolve, reject });
        queued += entries.length;
        schedule();
      });
    },
    flush: drain,
    async stop() {
      stopped = true;
      await drain();
    },
  };
}
