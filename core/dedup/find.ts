// Candidates for people about to be registered (the workflow's duplicate check, the civil registry connector):
// blocking finds registered people worth comparing, scoring (score.ts) keeps those at or above possible_match.
import type { Db } from '../db/index.js';
import type { Secrets } from '../keys/secrets.js';
import { identifierIndex, normalisePhone } from '../registry/persons/sealing.js';
import type { CandidateMatch, CandidatePerson, FindCandidatesOptions } from './index.js';
import { matchKeysFor } from './keys.js';
import { nameTokens } from './normalise.js';
import { hasTrigram, loadRecords } from './records.js';
import { scorePair, type MatchRecord } from './score.js';
import { loadSettings } from './settings.js';

/** Candidates one block may propose for one person (the closest names first). */
export const MAX_PER_BLOCK = 100;

interface Probe {
  ref: string;
  birth_date: string | null;
  name_key: string;
  phonetic_key: string;
  birth_year: number | null;
  area_code: string | null;
  phone_index: string | null;
  name_tokens: string[];
}

/**
 * Registered people who may be the same as each of `people`, best first, at most `limit` per person. Blocks: the
 * same identifier (blind index), the same phone, the same phonetic key (birth years within one, or one unknown),
 * names similar by pg_trgm with birth years within one (without pg_trgm, a shared name token), the same birth date with a name token in common or in the same
 * area, or the phonetic code of one name in common. Merged people are never proposed (their survivor is).
 */
export async function findCandidates(
  db: Db,
  secrets: Secrets,
  people: CandidatePerson[],
  options: FindCandidatesOptions = {},
): Promise<CandidateMatch[]> {
  if (people.length === 0) return [];
  const { settings } = await loadSettings(db);
  const limit = options.limit ?? 10;
  const exclude = options.excludePersonIds ?? [];

  const records = new Map<string, MatchRecord>();
  const probes: Probe[] = [];
  const identifierProbes: { ref: string; id_type: string; value_index: string }[] = [];
  for (const p of people) {
    const keys = matchKeysFor({ id: p.ref, given_name: p.given_name ?? null, family_name: p.family_name ?? null, other_names: p.other_names ?? null, birth_date: p.birth_date ?? null });
    const phoneIndex = p.phone ? secrets.index('phone', normalisePhone(p.phone)) : null;
    const identifiers = new Map<string, string[]>();
    for (const id of p.identifiers ?? []) {
      const index = identifierIndex(secrets, id.type, id.value);
      identifiers.set(id.type, [...(identifiers.get(id.type) ?? []), index]);
      identifierProbes.push({ ref: p.ref, id_type: id.type, value_index: index });
    }
    records.set(p.ref, {
      tokens: nameTokens(p.given_name, p.family_name, p.other_names),
      birthDate: p.birth_date ?? null,
      birthDateEstimated: p.birth_date_estimated ?? false,
      sex: p.sex ?? null,
      areaCode: p.area_code ?? null,
      phoneIndex,
      identifiers,
    });
    probes.push({ ref: p.ref, birth_date: p.birth_date ?? null, name_key: keys.name_key, phonetic_key: keys.phonetic_key, birth_year: keys.birth_year, area_code: p.area_code ?? null, phone_index: phoneIndex, name_tokens: keys.name_tokens });
  }

  const pairs = await blockCandidates(db, probes, identifierProbes, settings.blocking.trigram_threshold, await hasTrigram(db));
  const candidates = [...new Set(pairs.map((p) => p.person_id))].filter((id) => !exclude.includes(id));
  const registered = await loadRecords(db, candidates);

  const byRef = new Map<string, CandidateMatch[]>();
  const seen = new Set<string>();
  for (const { ref, person_id } of pairs) {
    const key = `${ref}\u0000${person_id}`;
    const other = registered.get(person_id);
    if (seen.has(key) || !other) continue;
    seen.add(key);
    const { score, decision, reasons } = scorePair(records.get(ref)!, other, settings);
    if (decision === 'distinct') continue;
    byRef.set(ref, [...(byRef.get(ref) ?? []), { ref, personId: person_id, score, decision, reasons }]);
  }
  return [...byRef.values()].flatMap((list) => list.sort((a, b) => b.score - a.score).slice(0, limit));
}

/** The blocks, one statement each for all probes; merged people left out. */
async function blockCandidates(
  db: Db,
  probes: Probe[],
  identifierProbes: { ref: string; id_type: string; value_index: string }[],
  trigramThreshold: number,
  trigram: boolean,
): Promise<{ ref: string; person_id: string }[]> {
  const live = `not exists (select 1 from person gone where gone.id = k.person_id and gone.merged_into is not null)`;
  const probeSet = `jsonb_to_recordset($1::jsonb) as q(ref text, birth_date date, name_key text, phonetic_key text, birth_year int, area_code text, phone_index text, name_tokens jsonb)`;
  const yearsClose = `(q.birth_year is null or k.birth_year is null or abs(q.birth_year - k.birth_year) <= 1)`;
  const probesJson = JSON.stringify(probes);
  const blocks: (() => Promise<{ ref: string; person_id: string }[]>)[] = [];

  if (identifierProbes.length) {
    blocks.push(() =>
      db.query(
        `select q.ref, k.person_id from jsonb_to_recordset($1::jsonb) as q(ref text, id_type text, value_index text)
         join person_identifier k on k.id_type = q.id_type and k.value_index = q.value_index where ${live}`,
        [JSON.stringify(identifierProbes)],
      ),
    );
  }
  // each block keeps at most MAX_PER_BLOCK people per probe, the closest names first: an unspecific block (a shared
  // phone, a common birth date such as an estimated 1 January in a large district, a common family name) would
  // otherwise grow with the registry and make every registration slower (found by the soak: 10 registrations a
  // second of one family name and birth date made each check load thousands of candidates)
  const closest = trigram ? 'similarity(k.name_key, q.name_key) desc nulls last' : '(k.name_key = q.name_key) desc nulls last';
  const capped = (from: string, where: string, person = 'k.person_id') =>
    `select q.ref, c.person_id from ${probeSet}
     cross join lateral (select ${person} as person_id from ${from} where ${where} order by ${closest}, ${person} limit ${MAX_PER_BLOCK}) c`;
  blocks.push(() =>
    db.query(
      capped('person p left join dedup_match_key k on k.person_id = p.id', 'q.phone_index is not null and p.phone_index = q.phone_index and p.merged_into is null', 'p.id'),
      [probesJson],
    ),
  );
  blocks.push(() =>
    db.query(capped('dedup_match_key k', `q.phonetic_key <> '' and k.phonetic_key = q.phonetic_key and ${yearsClose} and ${live}`), [probesJson]),
  );
  // typos in both names, or one name and the area: the same birth date with a name token in common or in the same area
  blocks.push(() =>
    db.query(
      capped('dedup_match_key k', `k.birth_date = q.birth_date
         and (k.name_tokens && array(select jsonb_array_elements_text(q.name_tokens))
              or string_to_array(k.phonetic_key, ' ') && string_to_array(q.phonetic_key, ' ') or exists (
               select 1 from membership m join household h on h.id = m.household_id
               where m.person_id = k.person_id and m.end_date is null and h.area_code = q.area_code))
         and ${live}`),
      [probesJson],
    ),
  );
  if (trigram) {
    // similar names (pg_trgm) born within a year of each other: the year index narrows, similarity decides
    blocks.push(() =>
      db.query(
        capped('dedup_match_key k', `q.birth_year is not null and q.name_key <> '' and k.birth_year between q.birth_year - 1 and q.birth_year + 1
           and similarity(k.name_key, q.name_key) >= $2 and ${live}`),
        [probesJson, trigramThreshold],
      ),
    );
  } else {
    blocks.push(() =>
      db.query(
        capped('dedup_match_key k', `q.birth_year is not null and k.birth_year between q.birth_year - 1 and q.birth_year + 1
           and k.name_tokens && array(select jsonb_array_elements_text(q.name_tokens)) and ${live}`),
        [probesJson],
      ),
    );
  }
  // one after another: the caller's db may be a transaction's one client, which cannot run queries side by side
  const rows: { ref: string; person_id: string }[] = [];
  for (const block of blocks) for (const row of await block()) rows.push(row);
  return rows;
}
