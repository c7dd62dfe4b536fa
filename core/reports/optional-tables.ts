// Tables other parts own (verification, eligibility, dedup, sync, workflow): the reports use them when they exist in
// the database, and answer without them (saying so) when they do not, so a hub migrated without a part still works.
import type { Db } from '../db/index.js';

export const OPTIONAL_TABLES = ['person_verification', 'program', 'household_eligibility', 'duplicate_pair', 'sync_conflict'] as const;

/** Which of the tables exist (one round trip). */
export async function existingTables(db: Db, names: readonly string[]): Promise<Set<string>> {
  const rows = await db.query<{ name: string; present: boolean }>(
    'select name, to_regclass(name) is not null as present from unnest($1::text[]) as name',
    [names],
  );
  return new Set(rows.filter((r) => r.present).map((r) => r.name));
}
