// SQL for the submissions received: one row per client UUID, claimed in the transaction of the item's writes (a
// push's chunk), with the answer given the first time (sealed: field errors can quote identifiers).
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

/** A client UUID as the database gives it back (uuids are compared in lower case). */
export const clientKey = (clientId: string) => clientId.toLowerCase();

export interface Claim {
  item: PushItem;
  itemHash: string;
}

export const submissionStore = {
  /**
   * Claims the client UUIDs of a chunk in one statement; answers the ones claimed now (lower case). Those another
   * submission holds are left out; one held by an uncommitted push waits for it. Claimed in UUID order, so two
   * pushes overlapping in any order always wait for each other the same way round (never a deadlock).
   */
  async claim(db: Db, principalId: string, deviceId: string, claims: readonly Claim[]): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    const rows = claims.map(({ item, itemHash }) => ({
      client_id: clientKey(item.client_id), principal_id: principalId, device_id: deviceId, captured_at: item.captured_at, kind: item.kind,
      form_id: item.form.id, form_version: item.form.version, household_id: item.household_id ?? null, base_version: item.base_version ?? null,
      item_hash: itemHash, attachments: item.attachments ?? [],
    }));
    const claimed = await db.query<{ client_id: string }>(
      `insert into sync_submission (client_id, principal_id, device_id, captured_at, kind, form_id, form_version, household_id,
         base_version, item_hash, outcome, result_sealed, attachments)
       select client_id, principal_id, device_id, captured_at, kind, form_id, form_version, household_id, base_version, item_hash,
         'rejected', '', attachments
       from jsonb_to_recordset($1::jsonb) as t(client_id uuid, principal_id text, device_id text, captured_at timestamptz, kind text,
         form_id text, form_version integer, household_id uuid, base_version integer, item_hash text, attachments jsonb)
       order by client_id
       on conflict do nothing returning client_id`,
      [JSON.stringify(rows)],
    );
    return new Set(claimed.map((r) => r.client_id));
  },

  /** Stores the answers of a chunk's claimed items (in the chunk's transaction). */
  async record(db: Db, secrets: Secrets, results: readonly ItemResult[]): Promise<void> {
    if (results.length === 0) return;
    const rows = results.map((r) => ({
      client_id: clientKey(r.client_id), outcome: r.status, result_sealed: secrets.seal(JSON.stringify(r), sealedAs(clientKey(r.client_id))),
      case_id: r.case_id ?? null, household_id: r.household_id ?? null,
    }));
    await db.query(
      `update sync_submission s set outcome = t.outcome, result_sealed = t.result_sealed, case_id = t.case_id,
         household_id = coalesce(t.household_id, s.household_id)
       from jsonb_to_recordset($1::jsonb) as t(client_id uuid, outcome text, result_sealed text, case_id uuid, household_id uuid)
       where s.client_id = t.client_id`,
      [JSON.stringify(rows)],
    );
  },

  /** The submissions holding these client UUIDs, by lower-case UUID. */
  async byClientIds(db: Db, clientIds: readonly string[]): Promise<Map<string, SubmissionRow>> {
    if (clientIds.length === 0) return new Map();
    const rows = await db.query<SubmissionRow>('select * from sync_submission where client_id = any($1::uuid[])', [[...new Set(clientIds.map(clientKey))]]);
    return new Map(rows.map((r) => [clientKey(r.client_id), r]));
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
