// SQL for verification records (table person_verification, migration 013), with parameters.
import type { Db } from '../db/index.js';

export interface VerificationRow {
  id: string;
  person_id: string | null;
  case_id: string | null;
  member_index: number | null;
  method: string;
  system: string;
  result: VerificationResult;
  details: Record<string, unknown>;
  verified_at: Date;
  recorded_by: string;
  dedupe_key: string | null;
}

export type VerificationResult = 'match' | 'mismatch' | 'not_found' | 'error';

const COLUMNS = 'id, person_id, case_id, member_index, method, system, result, details, verified_at, recorded_by, dedupe_key';

export const verificationStore = {
  /** Inserts the row unless its dedupe key is taken; returns the stored row (the earlier one on a repeat). */
  async insert(tx: Db, row: Omit<VerificationRow, 'verified_at'> & { verified_at?: Date }): Promise<{ row: VerificationRow; created: boolean }> {
    const [created] = await tx.query<VerificationRow>(
      `insert into person_verification (id, person_id, case_id, member_index, method, system, result, details, verified_at, recorded_by, dedupe_key)
       values ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, now()), $10, $11)
       on conflict (dedupe_key) do nothing returning ${COLUMNS}`,
      [row.id, row.person_id, row.case_id, row.member_index, row.method, row.system, row.result, JSON.stringify(row.details),
        row.verified_at ?? null, row.recorded_by, row.dedupe_key],
    );
    if (created) return { row: created, created: true };
    const [existing] = await tx.query<VerificationRow>(`select ${COLUMNS} from person_verification where dedupe_key = $1`, [row.dedupe_key]);
    return { row: existing, created: false };
  },

  async ofPerson(db: Db, personId: string, limit: number, before?: { at: Date; id: string }): Promise<VerificationRow[]> {
    return db.query<VerificationRow>(
      `select ${COLUMNS} from person_verification where person_id = $1
         and ($2::timestamptz is null or (verified_at, id) < ($2::timestamptz, $3::uuid))
       order by verified_at desc, id desc limit $4`,
      [personId, before?.at ?? null, before?.id ?? null, limit],
    );
  },

  async byDedupeKey(db: Db, dedupeKey: string): Promise<VerificationRow | undefined> {
    const [row] = await db.query<VerificationRow>(`select ${COLUMNS} from person_verification where dedupe_key = $1`, [dedupeKey]);
    return row;
  },

  async ofCase(db: Db, caseId: string): Promise<VerificationRow[]> {
    return db.query<VerificationRow>(`select ${COLUMNS} from person_verification where case_id = $1 order by member_index, verified_at, id`, [caseId]);
  },

  /** Gives the case's records of each member index the member's person id; returns how many rows changed. */
  async attach(tx: Db, caseId: string, pairs: { index: number; personId: string }[]): Promise<number> {
    if (pairs.length === 0) return 0;
    const rows = await tx.query<{ id: string }>(
      `update person_verification v set person_id = m.person_id
       from (select * from unnest($2::int[], $3::uuid[]) as x (member_index, person_id)) m
       where v.case_id = $1 and v.member_index = m.member_index and v.person_id is null
       returning v.id`,
      [caseId, pairs.map((p) => p.index), pairs.map((p) => p.personId)],
    );
    return rows.length;
  },

  /** Per person, the newest conclusive record (match, mismatch, not_found), else the newest error. */
  async latest(db: Db, personIds: string[]): Promise<VerificationRow[]> {
    if (personIds.length === 0) return [];
    return db.query<VerificationRow>(
      `select distinct on (person_id) ${COLUMNS} from person_verification
       where person_id = any($1::uuid[])
       order by person_id, (result = 'error'), verified_at desc, id desc`,
      [personIds],
    );
  },
};
