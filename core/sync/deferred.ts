// The audit entries and outbox events of a push's items, held back to the end of the chunk's transaction and written
// there at once (one chain append, one event insert). Both take the hub's one writer lock, held until commit: taken by
// the first item, it would stall every other audited writer (and the workflow runner) for the whole chunk. An item
// that fails is rolled back to its savepoint, and what it had queued is dropped with it.
import type { Audit } from '../audit/audit.js';
import type { AuditEntry } from '../audit/entry.js';
import type { Db } from '../db/index.js';
import { holdEvents, releaseEvents } from '../outbox/events.js';
import type { Ctx } from '../server/context.js';

export interface DeferredWrites {
  /** The context items run in: the transaction, and an audit whose recordIn queues. */
  ctx: Ctx;
  /** Runs one item in a savepoint; on failure its writes and its queued entries and events are undone. */
  item<T>(work: () => Promise<T>): Promise<T>;
  /** Appends the queued audit entries and emits the queued events (call last in the transaction). */
  flush(): Promise<void>;
}

export function deferWrites(ctx: Ctx, tx: Db): DeferredWrites {
  const entries: AuditEntry[] = [];
  const events = holdEvents(tx);
  const audit: Audit = {
    recordIn: async (_tx, more) => void entries.push(...more),
    recordReads: (more) => ctx.audit.recordReads(more),
    flush: () => ctx.audit.flush(),
    stop: () => ctx.audit.stop(),
  };
  return {
    ctx: { ...ctx, db: tx, audit },
    async item(work) {
      const marks = { entries: entries.length, events: events.length };
      await tx.query('savepoint sync_item');
      try {
        const result = await work();
        await tx.query('release savepoint sync_item');
        return result;
      } catch (err) {
        await tx.query('rollback to savepoint sync_item');
        // released right away: a savepoint kept open would nest the next item's inside it
        await tx.query('release savepoint sync_item');
        entries.length = marks.entries;
        events.length = marks.events;
        throw err;
      }
    },
    async flush() {
      await releaseEvents(tx);
      await ctx.audit.recordIn(tx, entries);
    },
  };
}
