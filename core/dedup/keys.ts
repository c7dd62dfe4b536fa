// Match keys (table dedup_match_key): each person's name tokens, sorted name key, phonetic key and birth year,
// computed here (normalise.ts, phonetic.ts) and written whenever a person is created or changed, in the same
// transaction. refreshMatchKeys catches up rows written by a path that skipped it (a restore, an older version).
import type { Db } from '../db/index.js';
import { nameTokens } from './normalise.js';
import { phoneticKey } from './phonetic.js';

/** The person columns the keys derive from. */
export interface KeySource {
  id: string;
  version?: number;
  given_name: string | null;
  family_name: string | null;
  other_names: string | null;
  birth_date: string | null;
}

export interface MatchKeys {
  person_id: string;
  person_version: number;
  name_key: string;
  name_tokens: string[];
  phonetic_key: string;
  birth_date: string | null;
  birth_year: number | null;
}

/**
 * The keys: name_key and phonetic_key from the given and family names only (other names are often given one time
 * and not the next), name_tokens from all the names (any shared one can open a block).
 */
export function matchKeysFor(person: KeySource): MatchKeys {
  // nameTokens folds each part on its own, so the core tokens are the start of all of them: folded once
  const core = nameTokens(person.given_name, person.family_name);
  const all = person.other_names ? [...core, ...nameTokens(person.other_names)] : core;
  return {
    person_id: person.id,
    person_version: person.version ?? 1,
    name_key: [...core].sort().join(' '),
    name_tokens: [...new Set(all)].sort(),
    phonetic_key: phoneticKey(core),
    birth_date: person.birth_date,
    birth_year: person.birth_date ? Number(person.birth_date.slice(0, 4)) : null,
  };
}

/** Writes (or rewrites) the keys of these people in one statement. */
export async function writeMatchKeys(db: Db, people: KeySource[]): Promise<void> {
  if (people.length === 0) return;
  const rows = people.map(matchKeysFor);
  await db.query(
    `insert into dedup_match_key (person_id, person_version, name_key, name_tokens, phonetic_key, birth_date, birth_year)
     select t.person_id, t.person_version, t.name_key, array(select jsonb_array_elements_text(t.name_tokens)), t.phonetic_key,
            t.birth_date, t.birth_year
     from jsonb_to_recordset($1::jsonb)
       as t(person_id uuid, person_version int, name_key text, name_tokens jsonb, phonetic_key text, birth_date date, birth_year int)
     on conflict (person_id) do update set person_version = excluded.person_version, name_key = excluded.name_key,
       name_tokens = excluded.name_tokens, phonetic_key = excluded.phonetic_key, birth_date = excluded.birth_date,
       birth_year = excluded.birth_year`,
    [JSON.stringify(rows)],
  );
}

/** Writes the keys of every person whose keys are missing or older than the record (merged ones have none); returns how many. */
export async function refreshMatchKeys(db: Db, batchSize = 5000): Promise<number> {
  let total = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  // keyset pages of the stale people only: when nothing is stale (the usual case) this is one scan in the database,
  // with nothing sent to the process
  for (;;) {
    const stale = await db.query<KeySource>(
      `select p.id, p.version, p.given_name, p.family_name, p.other_names, p.birth_date
       from person p left join dedup_match_key k on k.person_id = p.id
       where p.id > $1::uuid and p.merged_into is null and (k.person_id is null or k.person_version <> p.version)
       order by p.id limit $2`,
      [after, batchSize],
    );
    if (stale.length === 0) return total;
    after = stale[stale.length - 1].id;
    await db.transaction((tx) => writeMatchKeys(tx, stale));
    total += stale.length;
    if (stale.length < batchSize) return total;
  }
}
