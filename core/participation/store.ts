// SQL for program participation (table household_program, migration 013).
import type { Db } from '../db/index.js';

export type ParticipationStatus = 'submitted' | 'pending' | 'enrolled' | 'active' | 'suspended' | 'exited' | 'rejected';
export const PARTICIPATION_STATUSES: readonly ParticipationStatus[] = ['submitted', 'pending', 'enrolled', 'active', 'suspended', 'exited', 'rejected'];

export interface ParticipationRow {
  household_id: string;
  program_code: string;
  external_enrolment_id: string | null;
  status: ParticipationStatus;
  status_changed_at: Date | null;
  source: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'household_id, program_code, external_enrolment_id, status, status_changed_at, source, created_at, updated_at';

export const participationStore = {
  async ofHousehold(db: Db, householdId: string): Promise<ParticipationRow[]> {
    return db.query<ParticipationRow>(`select ${COLUMNS} from household_program where household_id = $1 order by program_code`, [householdId]);
  },

  async get(db: Db, householdId: string, programCode: string, forUpdate = false): Promise<ParticipationRow | undefined> {
    const [row] = await db.query<ParticipationRow>(
      `select ${COLUMNS} from household_program where household_id = $1 and program_code = $2${forUpdate ? ' for update' : ''}`,
      [householdId, programCode],
    );
    return row;
  },

  async byEnrolment(db: Db, programCode: string, enrolmentIds: string[]): Promise<ParticipationRow[]> {
    if (enrolmentIds.length === 0) return [];
    return db.query<ParticipationRow>(
      `select ${COLUMNS} from household_program where program_code = $1 and external_enrolment_id = any($2::text[])`,
      [programCode, enrolmentIds],
    );
  },

  /** The households of a program already handed to its MIS (to skip them on the next push). */
  async pushed(db: Db, programCode: string, householdIds: string[]): Promise<Set<string>> {
    if (householdIds.length === 0) return new Set();
    const rows = await db.query<{ household_id: string }>(
      'select household_id from household_program where program_code = $1 and household_id = any($2::uuid[]) and external_enrolment_id is not null',
      [programCode, householdIds],
    );
    return new Set(rows.map((r) => r.household_id));
  },

  async upsert(tx: Db, row: Omit<ParticipationRow, 'created_at' | 'updated_at'>): Promise<ParticipationRow> {
    const [stored] = await tx.query<ParticipationRow>(
      `insert into household_program (household_id, program_code, external_enrolment_id, status, status_changed_at, source)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (household_id, program_code) do update set
         external_enrolment_id = excluded.external_enrolment_id, status = excluded.status,
         status_changed_at = excluded.status_changed_at, source = excluded.source, updated_at = now()
       returning ${COLUMNS}`,
      [row.household_id, row.program_code, row.external_enrolment_id, row.status, row.status_changed_at, row.source],
    );
    return stored;
  },
};
