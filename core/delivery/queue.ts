// The durable queue of outgoing HTTP messages (DCI callbacks and notifications, connector pushes): a message is
// enqueued in the transaction of the work that produced it and sent by the delivery worker until it is accepted.
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import type { Secrets } from '../keys/secrets.js';

export interface DeliveryInput {
  /** What sort of message: selects how it is prepared just before sending (signing, encryption). */
  kind: string;
  url: string;
  body: unknown;
  /** The same key twice is one message: the second enqueue creates nothing. */
  dedupeKey: string;
  /** Messages sharing this key go one at a time, oldest first (e.g. a record's notifications). */
  orderingKey?: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryStatus {
  id: string;
  kind: string;
  status: DeliveryState;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

export async function enqueueDelivery(tx: Db, secrets: Secrets, input: DeliveryInput): Promise<{ id: string; created: boolean }> {
  const id = uuidv7();
  const [row] = await tx.query<{ id: string }>(
    `insert into delivery (id, kind, url, body, dedupe_key, ordering_key) values ($1, $2, $3, $4, $5, $6)
     on conflict (dedupe_key) do nothing returning id`,
    [id, input.kind, input.url, sealBody(secrets, id, input.body), input.dedupeKey, input.orderingKey ?? null],
  );
  if (row) return { id: row.id, created: true };
  const [existing] = await tx.query<{ id: string }>('select id from delivery where dedupe_key = $1', [input.dedupeKey]);
  return { id: existing.id, created: false };
}

export async function deliveryStatus(db: Db, id: string): Promise<DeliveryStatus | undefined> {
  const [row] = await db.query<StatusRow>(`select ${STATUS_COLUMNS} from delivery where id = $1`, [id]);
  return row && toStatus(row);
}

/** A failed message goes back in the queue (an administrator's re-run after the receiver was fixed). */
export async function retryDelivery(db: Db, id: string): Promise<boolean> {
  const rows = await db.query(
    `update delivery set status = 'pending', attempts = 0, next_attempt_at = now(), last_error = null where id = $1 and status = 'failed' returning id`,
    [id],
  );
  return rows.length > 0;
}

export const sealBody = (secrets: Secrets, id: string, body: unknown) => secrets.seal(JSON.stringify(body), `delivery:${id}`);
export const openBody = (secrets: Secrets, id: string, sealed: string): unknown => JSON.parse(secrets.open(sealed, `delivery:${id}`));

interface StatusRow {
  id: string;
  kind: string;
  status: DeliveryState;
  attempts: number;
  next_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
}

const STATUS_COLUMNS = 'id, kind, status, attempts, next_attempt_at, last_status, last_error, delivered_at';
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function toStatus(row: StatusRow): DeliveryStatus {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    lastStatus: row.last_status,
    lastError: row.last_error,
    deliveredAt: iso(row.delivered_at),
  };
}

/** Forgets delivered messages older than the retention; failed ones stay for an administrator. */
export async function purgeDelivered(db: Db, retentionDays: number): Promise<number> {
  const rows = await db.query(
    `delete from delivery where status = 'delivered' and delivered_at < now() - make_interval(days => $1) returning id`,
    [retentionDays],
  );
  return rows.length;
}
