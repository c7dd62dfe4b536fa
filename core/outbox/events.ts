// Writing events to the transactional outbox: in the caller's transaction, so an event exists if and only if the
// change it reports was committed.
import { CHAIN_LOCK_KEY } from '../audit/store.js';
import type { Db } from '../db/index.js';
import { heldWrites } from '../db/held-writes.js';
import { insertRows } from '../db/insert-rows.js';

export interface OutboxEventInput {
  /** `<entity>.<what happened>`: household.registered, person.updated, consent.withdrawn, ... */
  topic: string;
  aggregateType: string;
  aggregateId: string;
  /** Ids, area codes and changed field names; never personal data (the outbox is kept for days). */
  payload?: Record<string, unknown>;
}

export interface OutboxEvent {
  id: string;
  topic: string;
  aggregateType: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

const COLUMNS = [
  { name: 'topic', type: 'text' },
  { name: 'aggregate_type', type: 'text' },
  { name: 'aggregate_id', type: 'text' },
  { name: 'payload', type: 'jsonb' },
];

/**
 * Call it after the transaction's row locks (like the audit, near the end): it takes the writer lock, held until
 * commit, so event ids are handed out in commit order and a consumer can read past its last id without skipping an
 * event that commits late. The audit chain holds the same lock, so audited writes pay nothing more.
 */
export async function emitEvents(tx: Db, events: readonly OutboxEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const holding = held.list(tx);
  if (holding) return void holding.push(...events);
  await tx.query('select pg_advisory_xact_lock($1)', [CHAIN_LOCK_KEY]);
  await insertRows(
    tx,
    'outbox_event',
    COLUMNS,
    events.map((e) => ({ topic: e.topic, aggregate_type: e.aggregateType, aggregate_id: e.aggregateId, payload: e.payload ?? {} })),
  );
}

// A batch writer (the sync push) holds a transaction's events back and emits them together at its end: one insert,
// and the writer lock held for a moment at the end rather than from its first item on (which would stall every
// other writer for the whole batch). The holder may drop what a rolled-back savepoint emitted (truncate the list).
const held = heldWrites<OutboxEventInput>();

/** From now on emitEvents(tx, ...) collects into the returned list instead of writing (the list held already, if any). */
export const holdEvents = (tx: Db): OutboxEventInput[] => held.hold(tx);

export const holdingEvents = (tx: Db): boolean => held.list(tx) !== undefined;

/** Stops holding and forgets what was held (its transaction rolls back). */
export const discardHeldEvents = (tx: Db): void => held.discard(tx);

/** Writes what was held back (in emission order) and stops holding. */
export async function releaseEvents(tx: Db): Promise<void> {
  const list = held.take(tx);
  if (list) await emitEvents(tx, list);
}
