// SQL for the submissions received: one row per client UUID, claimed in the transaction of the item's writes, with
// the answer given the first time (sealed: field errors can quote identifiers).
import type { Db } from '../db/index.js';
import type { Secrets } from '../keys/secrets.js';
import type { ItemResult, PushItem } from './types.js';

export interface SubmissionRow {
  client_id: string;
  principal_id: string;
  item_hash: string;
  outcome: 'accepted' | 'conflict' | 'rejected';
  result_sealed: string;
  case_id: string | null;
  household_id: string | null;
  received_at: Date;
}

const sealedAs = (clientId: string) => `sync_submission:${clientId}`;

export const submissionStore = {
  /** Claims the client UUID; false when a submission holds it already (a concurrent one waits for it to commit). */
  async claim(db: Db, principalId: string, deviceId: string, item: PushItem, itemHash: string): Promise<boolean> {
    const rows = await db.query(
      `insert into sync_submission (client_id, principal_id, device_id, captured_at, kind, form_id, form_version, household_id,
         base_version, item_hash, outcome, result_sealed, attachments)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'rejected', '', $11)
       on conflict do nothing returning client_id`,
      [
        item.client_id, principalId, deviceId, item.captured_at, item.kind, item.form.id, item.form.version,
        item.household_id ?? null, item.base_version ?? null, itemHash, JSON.stringify(item.attachments ?? []),
      ],
    );
    return rows.length > 0;
  },

  async record(db: Db, secrets: Secrets, result: ItemResult): Promise<void> {
    await db.query(
      `update sync_submission set outcome = $2, result_sealed = $3, case_id = $4, household_id = coalesce($5, household_id)
       where client_id = $1`,
      [result.client_id, result.status, secrets.seal(JSON.stringify(result), sealedAs(result.client_id)), result.case_id ?? null, result.household_id ?? null],
    );
  },

  async byClientId(db: Db, clientId: string): Promise<SubmissionRow | undefined> {
    const [row] = await db.query<SubmissionRow>('select * from sync_submission where client_id = $1', [clientId]);
    return row;
  },

  openResult(secrets: Secrets, row: SubmissionRow): ItemResult {
    return JSON.parse(secrets.open(row.result_sealed, sealedAs(row.client_id))) as ItemResult;
  },

  /** The caller's recent submissions, newest first (their fate for the pull). */
  async recentOf(db: Db, principalId: string, sinceDays: number, limit: number): Promise<SubmissionRow[]> {
    return db.query<SubmissionRow>(
      `select * from sync_submission where principal_id = $1 and received_at > now() - make_interval(days => $2)
       order by received_at desc limit $3`,
      [principalId, sinceDays, limit],
    );
  },
};
