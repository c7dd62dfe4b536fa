// Writes of one kind held back to the end of their transaction, keyed by the transaction's Db: the outbox's events
// and the audit chain's entries both take the hub's one writer lock, and a holder writes them at its end instead
// (core/audit/writes-last.ts; the sync push holds events through core/sync/deferred.ts).
import type { Db } from './db.js';

export interface HeldWrites<T> {
  /** Starts holding for tx (or joins what is held already) and returns the list writes collect into. */
  hold(tx: Db): T[];
  /** The list held for tx, if it is being held. */
  list(tx: Db): T[] | undefined;
  /** Stops holding and returns what was held, to be written now. */
  take(tx: Db): T[] | undefined;
  /** Stops holding and forgets what was held (its transaction rolls back). */
  discard(tx: Db): void;
}

export function heldWrites<T>(): HeldWrites<T> {
  const held = new WeakMap<Db, T[]>();
  return {
    hold(tx) {
      let list = held.get(tx);
      if (!list) held.set(tx, (list = []));
      return list;
    },
    list: (tx) => held.get(tx),
    take(tx) {
      const list = held.get(tx);
      held.delete(tx);
      return list;
    },
    discard: (tx) => void held.delete(tx),
  };
}
