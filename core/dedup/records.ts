// Loading what scoring compares (score.ts MatchRecord) for registered people, and the engine's capabilities.
import type { Db } from '../db/index.js';
import { nameTokens } from './normalise.js';
import type { MatchRecord } from './score.js';

interface RecordRow {
  id: string;
  given_name: string | null;
  family_name: string | null;
  other_names: string | null;
  birth_date: string | null;
  birth_date_estimated: boolean;
  sex: string | null;
  phone_index: string | null;
  area_code: string | null;
  identifiers: [string, string][];
}

/**
 * The match records of these people (merged ones included: callers filter), keyed by person id. Identifiers the
 * hub issued (registry IDs) are left out: each record gets its own, so two records of one person always differ there.
 */
export async function loadRecords(db: Db, personIds: string[]): Promise<Map<string, MatchRecord>> {
  if (personIds.length === 0) return new Map();
  const rows = await db.query<RecordRow>(
    `select p.id, p.given_name, p.family_name, p.other_names, p.birth_date, p.birth_date_estimated, p.sex, p.phone_index, h.area_code,
            coalesce((select jsonb_agg(jsonb_build_array(i.id_type, i.value_index)) from person_identifier i
                      where i.person_id = p.id and not i.issued_by_hub), '[]'::jsonb) as identifiers
     from person p
     left join membership m on m.person_id = p.id and m.end_date is null
     left join household h on h.id = m.household_id
     where p.id = any($1::uuid[])`,
    [personIds],
  );
  return new Map(rows.map((r) => [r.id, toRecord(r)]));
}

function toRecord(r: RecordRow): MatchRecord {
  const identifiers = new Map<string, string[]>();
  for (const [type, index] of r.identifiers) identifiers.set(type, [...(identifiers.get(type) ?? []), index]);
  return {
    tokens: nameTokens(r.given_name, r.family_name, r.other_names),
    birthDate: r.birth_date,
    birthDateEstimated: r.birth_date_estimated,
    sex: r.sex,
    areaCode: r.area_code,
    phoneIndex: r.phone_index,
    identifiers,
  };
}

const trigramByDb = new WeakMap<Db, Promise<boolean>>();

/** Whether pg_trgm is installed in this database (migration 017 creates it where the engine has it). */
export function hasTrigram(db: Db): Promise<boolean> {
  let known = trigramByDb.get(db);
  if (!known) {
    known = db
      .query<{ n: number }>(`select count(*)::int as n from pg_extension where extname = 'pg_trgm'`)
      .then(([r]) => r.n > 0);
    trigramByDb.set(db, known);
  }
  return known;
}
