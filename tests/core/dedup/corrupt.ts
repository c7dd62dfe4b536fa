// Known duplicates for measuring deduplication: people of the registry registered again, the way field
// registration gets a person wrong the second time (typos, given and family names swapped, the birth date left out,
// the name written in another script), each as a household of their own without the identifiers of the first time
// (an identifier already registered would be refused). Deterministic for a seed.
import type { Db } from '../../../core/db/index.js';
import { registerHouseholds } from '../../../core/registry/households/register.js';
import { openPhone } from '../../../core/registry/persons/sealing.js';
import type { HouseholdInput, PersonInput } from '../../../core/registry/types.js';
import { Random } from '../../../core/seed/random.js';
import type { Ctx } from '../../../core/server/context.js';

export type Corruption = 'typo' | 'swap' | 'no_birth_date' | 'cyrillic';
export const CORRUPTIONS: Corruption[] = ['typo', 'swap', 'no_birth_date', 'cyrillic'];

export interface KnownDuplicate {
  originalId: string;
  duplicateId: string;
  corruptions: string[];
}

interface Original {
  id: string;
  given_name: string | null;
  family_name: string | null;
  sex: 'male' | 'female' | null;
  birth_date: string | null;
  phone_sealed: string | null;
  area_code: string;
}

// Latin spellings to Cyrillic as a clerk would write the name by ear: digraphs first, then letter by letter
const DIGRAPHS: [RegExp, string][] = [
  [/shch/g, 'щ'], [/sh/g, 'ш'], [/ch/g, 'ч'], [/kh/g, 'х'], [/zh/g, 'ж'], [/ts/g, 'ц'], [/ph/g, 'ф'], [/th/g, 'т'],
  [/ya/g, 'я'], [/yu/g, 'ю'], [/ou/g, 'у'], [/c(?=[eiy])/g, 'с'], [/y(?=[aeiou])/g, 'й'], [/([aeiou])y/g, '$1й'],
];
const LETTERS: Record<string, string> = {
  a: 'а', b: 'б', c: 'к', d: 'д', e: 'е', f: 'ф', g: 'г', h: 'х', i: 'и', j: 'дж', k: 'к', l: 'л', m: 'м', n: 'н',
  o: 'о', p: 'п', q: 'к', r: 'р', s: 'с', t: 'т', u: 'у', v: 'в', w: 'в', x: 'кс', y: 'и', z: 'з',
};

/** The name written in Cyrillic (as a clerk using another script might write it). */
export function toCyrillic(name: string): string {
  let plain = name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  for (const [from, to] of DIGRAPHS) plain = plain.replace(from, to);
  const cyr = [...plain].map((c) => LETTERS[c] ?? c).join('');
  return cyr.charAt(0).toUpperCase() + cyr.slice(1);
}

/** One keyboard slip: a letter dropped, doubled, replaced by a neighbour, or two letters swapped (never the first). */
export function typo(rng: Random, word: string): string {
  if (word.length < 4) return word + word[word.length - 1];
  const i = rng.int(1, word.length - 2);
  switch (rng.int(0, 3)) {
    case 0:
      return word.slice(0, i) + word.slice(i + 1);
    case 1:
      return word.slice(0, i) + word[i] + word.slice(i);
    case 2:
      return word.slice(0, i) + 'aeiou'.replace(word[i].toLowerCase(), '')[rng.int(0, 3)] + word.slice(i + 1);
    default:
      return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  }
}

function birthDateSlip(rng: Random, date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const swapped = `${y}-${String(d).padStart(2, '0')}-${String(m).padStart(2, '0')}`;
  // day and month swapped, unless that lands in the future (the registry would refuse it)
  if (d <= 12 && d !== m && rng.chance(0.5) && swapped <= new Date().toISOString().slice(0, 10)) return swapped;
  const day = d === 1 ? 2 : d - 1;
  return `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Registers `count` duplicates of people picked from the registry (adults with both names and a birth date); the
 * main corruption cycles through CORRUPTIONS, about a third get a second slip (a typo in the birth date or the other
 * name), one in five is registered in another district, and half of those with a phone give it again.
 */
export async function injectDuplicates(
  ctx: Ctx,
  count: number,
  seed: number,
  districts: string[],
  /** false: nobody gives their phone again (the bench on a database whose sealing key is gone) */
  phones = true,
): Promise<KnownDuplicate[]> {
  const rng = new Random(seed);
  const originals = await ctx.db.query<Original>(
    `select p.id, p.given_name, p.family_name, p.sex, p.birth_date, p.phone_sealed, h.area_code
     from person p join membership m on m.person_id = p.id and m.end_date is null join household h on h.id = m.household_id
     where p.given_name is not null and p.family_name is not null and p.birth_date is not null and p.merged_into is null
     order by md5(concat_ws('|', p.given_name, p.family_name, p.birth_date, $1::text)), p.id limit $2`,
    [String(seed), count],
  );
  const planned: { originalId: string; corruptions: string[]; household: HouseholdInput }[] = [];
  for (const [n, o] of originals.entries()) {
    const main = CORRUPTIONS[n % CORRUPTIONS.length];
    const corruptions: string[] = [main];
    const person: PersonInput = { given_name: o.given_name!, family_name: o.family_name!, sex: o.sex ?? undefined, birth_date: o.birth_date! };
    if (main === 'typo') {
      if (rng.chance(0.5)) person.given_name = typo(rng, person.given_name!);
      else person.family_name = typo(rng, person.family_name!);
    } else if (main === 'swap') {
      [person.given_name, person.family_name] = [person.family_name, person.given_name];
    } else if (main === 'no_birth_date') {
      delete person.birth_date;
    } else {
      person.given_name = toCyrillic(person.given_name!);
      person.family_name = toCyrillic(person.family_name!);
    }
    if (rng.chance(0.33)) {
      if (person.birth_date && rng.chance(0.5)) {
        person.birth_date = birthDateSlip(rng, person.birth_date);
        corruptions.push('birth_date_slip');
      } else if (main !== 'cyrillic') {
        person.given_name = typo(rng, person.given_name!);
        corruptions.push('typo');
      }
    }
    const phone = phones ? openPhone(ctx.secrets, o.id, o.phone_sealed) : null;
    if (phone && rng.chance(0.5)) person.phone = phone.replace(/[\s-]/g, '');
    const moved = rng.chance(0.2);
    if (moved) corruptions.push('other_area');
    const household: HouseholdInput = {
      area_code: moved ? rng.pick(districts.filter((d) => d !== o.area_code)) : o.area_code,
      members: [{ relationship: 'SELF', person }],
    };
    planned.push({ originalId: o.id, corruptions, household });
  }
  // registered a few hundred per transaction (the draws above are done: batching cannot change the data)
  const known: KnownDuplicate[] = [];
  for (let i = 0; i < planned.length; i += REGISTER_BATCH) {
    const batch = planned.slice(i, i + REGISTER_BATCH);
    const heads = await registerBatch(ctx, batch.map((p) => p.household));
    batch.forEach((p, j) => known.push({ originalId: p.originalId, duplicateId: heads[j], corruptions: p.corruptions }));
  }
  return known;
}

const REGISTER_BATCH = 500;

/** Registers the households in one transaction; returns their heads' ids, in order. */
async function registerBatch(ctx: Ctx, households: HouseholdInput[]): Promise<string[]> {
  return ctx.db.transaction(async (tx: Db) => {
    const result = await registerHouseholds(tx, ctx, households, { defaultChannel: 'in_person', at: (i) => `households[${i}]`, skipInvalid: false });
    if (result.errors.length) throw new Error(`duplicate refused: ${JSON.stringify(result.errors)}`);
    const ids: string[] = [];
    for (const c of result.created) ids[c.index] = c.id;
    const rows = await tx.query<{ id: string; head_person_id: string }>('select id, head_person_id from household where id = any($1::uuid[])', [ids]);
    const heads = new Map(rows.map((r) => [r.id, r.head_person_id]));
    return ids.map((id) => heads.get(id)!);
  });
}
