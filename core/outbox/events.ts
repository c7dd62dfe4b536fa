// Writing events to the transactional outbox: in the caller's transaction, so an event exists if and only if the
// change it reports was committed.
import type { Db } from '../db/index.js';
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

export async function emitEvents(tx: Db, events: readonly OutboxEventInput[]): Promise<void> {
  await insertRows(
    tx,
    'outbox_event',
    COLUMNS,
    events.map((e) => ({ topic: e.topic, aggregate_type: e.aggregateType, aggregate_id: e.aggregateId, payload: e.payload ?? {} })),
  );
}
