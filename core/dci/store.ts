// SQL of the DCI API: messages seen, transactions, subscriptions, scheduled notifications. Parameters only.
import type { Db } from '../db/index.js';

export interface TransactionRow {
  id: string;
  sender_id: string;
  principal_id: string;
  transaction_id: string;
  correlation_id: string;
  message_id: string;
  action: string;
  reference_ids: string[];
  request_sealed: string;
  callback_url: string;
  delivery_id: string | null;
  created_at: string;
}

export interface SubscriptionRow {
  code: string;
  sender_id: string;
  principal_id: string;
  areas: string[] | null;
  purpose: string | null;
  reg_event_type: string;
  record_type: 'Group' | 'Member';
  filter_type: string;
  filter_sealed: string;
  filter_fingerprint: string;
  frequency: string | null;
  start_time: string | null;
  end_time: string | null;
  next_run_at: string | null;
  locale: string | null;
  callback_url: string;
  /** The program an ELIGIBILITY subscription follows (core/dci/eligibility.ts); null for the others. */
  program_id: string | null;
  status: 'subscribe' | 'unsubscribe';
  created_at: string;
}

export type NewSubscription = Omit<SubscriptionRow, 'status' | 'created_at'>;

/** A notification waiting for its subscription's scheduled run. */
export interface QueuedNotification {
  event_id: string;
  record_id: string;
  event_type: string;
  event_at: string;
  /** ELIGIBILITY: the program and the eligibility the event reported. */
  detail?: { program: string; eligible: boolean };
}

export const dciStore = {
  /** Claims (sender, message_id); false when it was seen before. */
  async claimMessage(db: Db, senderId: string, messageId: string): Promise<boolean> {
    const rows = await db.query(
      'insert into dci_message (sender_id, message_id) values ($1, $2) on conflict do nothing returning 1 as claimed',
      [senderId, messageId],
    );
    return rows.length === 1;
  },

  async pruneMessages(db: Db, olderThanMs: number): Promise<number> {
    const rows = await db.query(`delete from dci_message where received_at < now() - make_interval(secs => $1) returning 1`, [olderThanMs / 1000]);
    return rows.length;
  },

  async insertTransaction(db: Db, row: Omit<TransactionRow, 'created_at' | 'delivery_id'>): Promise<void> {
    await db.query(
      `insert into dci_transaction (id, sender_id, principal_id, transaction_id, correlation_id, message_id, action, reference_ids, request_sealed, callback_url)
       values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)`,
      [row.id, row.sender_id, row.principal_id, row.transaction_id, row.correlation_id, row.message_id, row.action, JSON.stringify(row.reference_ids), row.request_sealed, row.callback_url],
    );
  },

  async setDelivery(db: Db, id: string, deliveryId: string): Promise<void> {
    await db.query('update dci_transaction set delivery_id = $2 where id = $1', [id, deliveryId]);
  },

  async transactionById(db: Db, id: string): Promise<TransactionRow | undefined> {
    const [row] = await db.query<TransactionRow>('select * from dci_transaction where id = $1', [id]);
    return row;
  },

  /** A sender's transactions by transaction_id, correlation_id or any of a list of reference ids (newest first). */
  async findTransactions(db: Db, senderId: string, by: 'transaction_id' | 'correlation_id' | 'reference_id_list', value: string | string[]): Promise<TransactionRow[]> {
    const where =
      by === 'transaction_id' ? 'transaction_id = $2' : by === 'correlation_id' ? 'correlation_id = $2' : 'reference_ids ?| $2::text[]';
    return db.query<TransactionRow>(
      `select * from dci_transaction where sender_id = $1 and action <> 'txn-status' and ${where} order by created_at desc limit 20`,
      [senderId, value],
    );
  },

  async insertSubscription(db: Db, s: NewSubscription): Promise<boolean> {
    const rows = await db.query(
      `insert into dci_subscription (code, sender_id, principal_id, areas, purpose, reg_event_type, record_type, filter_type, filter_sealed,
         filter_fingerprint, frequency, start_time, end_time, next_run_at, locale, callback_url, program_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       on conflict (sender_id, reg_event_type, record_type, filter_fingerprint) where status = 'subscribe' do nothing
       returning 1 as created`,
      [s.code, s.sender_id, s.principal_id, s.areas, s.purpose, s.reg_event_type, s.record_type, s.filter_type, s.filter_sealed,
        s.filter_fingerprint, s.frequency, s.start_time, s.end_time, s.next_run_at, s.locale, s.callback_url, s.program_id],
    );
    return rows.length === 1;
  },

  async subscriptionsByCode(db: Db, codes: string[]): Promise<SubscriptionRow[]> {
    return db.query<SubscriptionRow>('select * from dci_subscription where code = any($1::text[])', [codes]);
  },

  async unsubscribe(db: Db, codes: string[]): Promise<void> {
    if (codes.length === 0) return;
    await db.query(`update dci_subscription set status = 'unsubscribe', unsubscribed_at = now() where code = any($1::text[]) and status = 'subscribe'`, [codes]);
    await db.query('delete from dci_notification where subscription_code = any($1::text[])', [codes]);
  },

  /** Active subscriptions to these event types whose window contains now. */
  async activeSubscriptions(db: Db, eventTypes: string[]): Promise<SubscriptionRow[]> {
    return db.query<SubscriptionRow>(
      `select * from dci_subscription where status = 'subscribe' and reg_event_type = any($1::text[])
         and (start_time is null or start_time <= now()) and (end_time is null or end_time > now())
       order by created_at`,
      [eventTypes],
    );
  },

  async queueNotifications(db: Db, rows: (QueuedNotification & { subscription_code: string })[]): Promise<void> {
    if (rows.length === 0) return;
    await db.query(
      `insert into dci_notification (subscription_code, event_id, record_id, event_type, event_at, detail)
       select * from jsonb_to_recordset($1::jsonb) as r(subscription_code text, event_id text, record_id text, event_type text, event_at timestamptz, detail jsonb)
       on conflict do nothing`,
      [JSON.stringify(rows)],
    );
  },

  /** Subscriptions with a schedule whose run is due, locked for this instance. */
  async dueSubscriptions(db: Db, limit: number): Promise<SubscriptionRow[]> {
    return db.query<SubscriptionRow>(
      `select * from dci_subscription where status = 'subscribe' and frequency is not null and next_run_at <= now()
       order by next_run_at limit $1 for update skip locked`,
      [limit],
    );
  },

  /** Takes the waiting notifications of a subscription (oldest event first). */
  async takeNotifications(db: Db, code: string): Promise<QueuedNotification[]> {
    return db.query(
      `delete from dci_notification where subscription_code = $1
       returning event_id, record_id, event_type, event_at::text as event_at, detail`,
      [code],
    ).then((rows) =>
      (rows as (Omit<QueuedNotification, 'detail'> & { detail: QueuedNotification['detail'] | null })[])
        .map(({ detail, ...r }) => ({ ...r, event_at: new Date(r.event_at).toISOString(), ...(detail ? { detail } : {}) }))
        // event ids are '<outbox id>:<record id>': oldest event first
        .sort((a, b) => Number(a.event_id.split(':')[0]) - Number(b.event_id.split(':')[0])),
    );
  },

  async setNextRun(db: Db, code: string, next: Date | null): Promise<void> {
    await db.query('update dci_subscription set next_run_at = $2 where code = $1', [code, next?.toISOString() ?? null]);
  },

  /** The current members of households (for matching household events to member filters). */
  async householdMembers(db: Db, householdIds: string[]): Promise<{ household_id: string; person_id: string }[]> {
    if (householdIds.length === 0) return [];
    return db.query(
      `select household_id::text, person_id::text from membership where household_id = any($1::uuid[]) and end_date is null`,
      [householdIds],
    );
  },

  /** The current household of persons. */
  async householdsOf(db: Db, personIds: string[]): Promise<{ household_id: string; person_id: string }[]> {
    if (personIds.length === 0) return [];
    return db.query(
      `select household_id::text, person_id::text from membership where person_id = any($1::uuid[]) and end_date is null`,
      [personIds],
    );
  },
};
