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

export interface BlockingCapabilities {
  /** pg_trgm is installed (migration 017 creates it where the engine has it). */
  trigram: boolean;
  /** The GiST nearest-name indexes exist (migration 028 creates them where pg_trgm and btree_gist are). */
  nearestNames: boolean;
}

const capabilitiesByDb = new WeakMap<Db, Promise<BlockingCapabilities>>();

/**
 * What this database offers deduplication's blocking, asked once per Db object (one catalog query: a transaction's
 * Db is a new object each time, so a registration's check asks once).
 */
export function blockingCapabilities(db: Db): Promise<BlockingCapabilities> {
  let known = capabilitiesByDb.get(db);
  if (!known) {
    known = db
      .query<BlockingCapabilities>(
        `select exists (select 1 from pg_extension where extname = 'pg_trgm') as trigram,
                (to_regclass('dedup_match_key_date_name') is not null and to_regclass('dedup_match_key_phonetic_name') is not null) as "nearestNames"`,
      )
      .then(([r]) => ({ trigram: r.trigram, nearestNames: r.nearestNames }));
    // a failed look-up (the database briefly unreachable) is asked again next time, not remembered
    known.catch(() => capabilitiesByDb.delete(db));
    capabilitiesByDb.set(db, known);
  }
  return known;
}

/** Whether pg_trgm is installed in this database. */
export async function hasTrigram(db: Db): Promise<boolean> {
  return (await blockingCapabilities(db)).trigram;
}
