// Candidates for people about to be registered (the workflow's duplicate check, the civil registry connector):
// blocking finds registered people worth comparing, scoring (score.ts) keeps those at or above possible_match.
import type { Db } from '../db/index.js';
import type { Secrets } from '../keys/secrets.js';
import { identifierIndex, normalisePhone } from '../registry/persons/sealing.js';
import type { CandidateMatch, CandidatePerson, FindCandidatesOptions } from './index.js';
import { matchKeysFor } from './keys.js';
import { nameTokens } from './normalise.js';
import { blockingCapabilities, loadRecords, type BlockingCapabilities } from './records.js';
import { scorePair, type MatchRecord } from './score.js';
import { loadSettings } from './settings.js';

/** Candidates one block may propose for one person (the closest names first). */
export const MAX_PER_BLOCK = 100;
/** People sharing one phone that its block looks at (the closest MAX_PER_BLOCK names among them). */
export const PHONE_CROWD = MAX_PER_BLOCK * 10;

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
 * area, or the phonetic code of one name in common. Each block proposes at most MAX_PER_BLOCK people per person, the
 * closest names first. Merged people are never proposed (their survivor is).
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

  const pairs = await blockCandidates(db, probes, identifierProbes, settings.blocking.trigram_threshold, await blockingCapabilities(db));
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
    const list = byRef.get(ref) ?? [];
    list.push({ ref, personId: person_id, score, decision, reasons });
    byRef.set(ref, list);
  }
  return [...byRef.values()].flatMap((list) => list.sort((a, b) => b.score - a.score).slice(0, limit));
}

/** The blocks, one statement each for all probes; merged people left out. */
async function blockCandidates(
  db: Db,
  probes: Probe[],
  identifierProbes: { ref: string; id_type: string; value_index: string }[],
  trigramThreshold: number,
  { trigram, nearestNames }: BlockingCapabilities,
): Promise<{ ref: string; person_id: string }[]> {
  const live = (id: string) => `not exists (select 1 from person gone where gone.id = ${id} and gone.merged_into is not null)`;
  const probeSet = `jsonb_to_recordset($1::jsonb) as q(ref text, birth_date date, name_key text, phonetic_key text, birth_year int, area_code text, phone_index text, name_tokens jsonb)`;
  const yearsClose = `(q.birth_year is null or k.birth_year is null or abs(q.birth_year - k.birth_year) <= 1)`;
  // typos in both names, or one name and the area: a name token (or its phonetic code) in common, or the same area
  const nameOrArea = (k: string) => `(${k}.name_tokens && array(select jsonb_array_elements_text(q.name_tokens))
    or string_to_array(${k}.phonetic_key, ' ') && string_to_array(q.phonetic_key, ' ') or exists (
      select 1 from membership m join household h on h.id = m.household_id
      where m.person_id = ${k}.person_id and m.end_date is null and h.area_code = q.area_code))`;
  const probesJson = JSON.stringify(probes);
  const blocks: (() => Promise<{ ref: string; person_id: string }[]>)[] = [];

  // every block keeps at most MAX_PER_BLOCK people per probe, the closest names first, and reads a bounded number of
  // rows to find them: an unspecific block (a shared phone, a common birth date such as an estimated 1 January in a
  // large district, a common family name) would otherwise grow with the registry and make every registration slower
  // (found by the soak, docs/reliability.md "Load soak")
  if (identifierProbes.length) {
    blocks.push(() =>
      db.query(
        `select q.ref, c.person_id from jsonb_to_recordset($1::jsonb) as q(ref text, id_type text, value_index text)
         cross join lateral (select k.person_id from person_identifier k where k.id_type = q.id_type and k.value_index = q.value_index
                             and ${live('k.person_id')} order by k.person_id limit ${MAX_PER_BLOCK}) c`,
        [JSON.stringify(identifierProbes)],
      ),
    );
  }
  const closest = trigram ? 'similarity(k.name_key, q.name_key) desc nulls last' : '(k.name_key = q.name_key) desc nulls last';
  const capped = (from: string, where: string, person = 'k.person_id') =>
    `select q.ref, c.person_id from ${probeSet}
     cross join lateral (select ${person} as person_id from ${from} where ${where} order by ${closest}, ${person} limit ${MAX_PER_BLOCK}) c`;
  // a phone shared by a crowd (a village's one phone) says little: the closest names among the first PHONE_CROWD of it
  blocks.push(() =>
    db.query(
      capped(
        `(select p.id from person p where q.phone_index is not null and p.phone_index = q.phone_index and p.merged_into is null limit ${PHONE_CROWD}) p
         left join dedup_match_key k on k.person_id = p.id`,
        'true',
        'p.id',
      ),
      [probesJson],
    ),
  );
  if (nearestNames) {
    // GiST nearest-name indexes (migration 028): each block reads its MAX_PER_BLOCK closest names from the index,
    // then applies what the index cannot (merged, the name-or-area test, the threshold): a crowd's rows beyond those
    // are never read (docs/reliability.md "Load soak": 100 rows and ~750 index pages of a 50,000 crowd)
    const nearest = (where: string) =>
      `(select k.person_id, k.name_tokens, k.phonetic_key, k.name_key, k.name_key <-> q.name_key as distance
        from dedup_match_key k where ${where} order by distance limit ${MAX_PER_BLOCK})`;
    const keep = (from: string, where = 'true') =>
      `select q.ref, c.person_id from ${probeSet}
       cross join lateral (select n.person_id from ${from} n where ${where} and ${live('n.person_id')}
                           order by n.distance, n.person_id limit ${MAX_PER_BLOCK}) c`;
    // the same phonetic key, birth years within one or either unknown (0 in the index): three index ranges, each the
    // closest first
    const year = 'coalesce(k.birth_year, 0)';
    blocks.push(() =>
      db.query(
        keep(`(${nearest(`q.phonetic_key <> '' and k.phonetic_key = q.phonetic_key and ${year} between q.birth_year - 1 and q.birth_year + 1`)}
               union all ${nearest(`q.phonetic_key <> '' and q.birth_year is not null and k.phonetic_key = q.phonetic_key and ${year} = 0`)}
               union all ${nearest(`q.phonetic_key <> '' and q.birth_year is null and k.phonetic_key = q.phonetic_key`)})`),
        [probesJson],
      ),
    );
    blocks.push(() => db.query(keep(nearest('k.birth_date = q.birth_date'), nameOrArea('n')), [probesJson]));
    // similar names (pg_trgm) born within a year of each other; the closest first, so the threshold ends the list
    blocks.push(() =>
      db.query(
        keep(
          nearest(`q.birth_year is not null and q.name_key <> ''
            and k.birth_date between make_date(q.birth_year - 1, 1, 1) and make_date(q.birth_year + 1, 12, 31)`),
          'similarity(n.name_key, q.name_key) >= $2',
        ),
        [probesJson, trigramThreshold],
      ),
    );
  } else {
    // without the indexes (an engine lacking pg_trgm or btree_gist) the blocks order their whole crowd by name
    blocks.push(() =>
      db.query(capped('dedup_match_key k', `q.phonetic_key <> '' and k.phonetic_key = q.phonetic_key and ${yearsClose} and ${live('k.person_id')}`), [probesJson]),
    );
    blocks.push(() =>
      db.query(capped('dedup_match_key k', `k.birth_date = q.birth_date and ${nameOrArea('k')} and ${live('k.person_id')}`), [probesJson]),
    );
    if (trigram) {
      blocks.push(() =>
        db.query(
          capped('dedup_match_key k', `q.birth_year is not null and q.name_key <> '' and k.birth_year between q.birth_year - 1 and q.birth_year + 1
             and similarity(k.name_key, q.name_key) >= $2 and ${live('k.person_id')}`),
          [probesJson, trigramThreshold],
        ),
      );
    } else {
      blocks.push(() =>
        db.query(
          capped('dedup_match_key k', `q.birth_year is not null and k.birth_year between q.birth_year - 1 and q.birth_year + 1
             and k.name_tokens && array(select jsonb_array_elements_text(q.name_tokens)) and ${live('k.person_id')}`),
          [probesJson],
        ),
      );
    }
  }
  // one after another: the caller's db may be a transaction's one client, which cannot run queries side by side
  const rows: { ref: string; person_id: string }[] = [];
  for (const block of blocks) for (const row of await block()) rows.push(row);
  return rows;
}
