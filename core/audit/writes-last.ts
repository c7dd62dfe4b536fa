// The chain writes of a transaction (audit entries, outbox events) held to its end. Both take the hub's one writer
// lock, held until commit. A transaction that takes it early and then waits for a row lock deadlocks with any writer
// that holds that row and waits for the lock: a civil registry death updated (and audited) the person, then locked
// the household, while the workflow held the household and waited to audit. Held, the lock is taken last.
import type { Db } from '../db/index.js';
import { discardHeldEvents, holdEvents, holdingEvents, releaseEvents } from '../outbox/events.js';
import { discardHeldEntries, holdEntries, releaseEntries } from './audit.js';

/**
 * Runs work in tx with its audit entries and events written at its end (call it where the transaction begins). Not
 * for work that rolls back to a savepoint and goes on: what the savepoint queued would still be written (the sync
 * push's deferWrites truncates its lists for that; connector jobs use no savepoints).
 */
export async function withChainWritesLast<T>(tx: Db, work: () => Promise<T>): Promise<T> {
  if (holdingEvents(tx)) return work(); // joined an outer transaction that holds them already: it writes them
  holdEvents(tx);
  holdEntries(tx);
  try {
    const value = await work();
    await releaseEvents(tx);
    await releaseEntries(tx);
    return value;
  } catch (err) {
    discardHeldEvents(tx);
    discardHeldEntries(tx);
    throw err;
  }
}
