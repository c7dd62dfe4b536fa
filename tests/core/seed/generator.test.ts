import { AMARU, areasOf, districtsOf } from '../../../core/seed/country.js';
import { generateHouseholds } from '../../../core/seed/households.js';
import { IdentifierSequence, permute } from '../../../core/seed/identifiers.js';
import { Random } from '../../../core/seed/random.js';
import { Api } from '../../../core/server/openapi.js';
import { loadHubDocument } from '../../../core/server/hub-document.js';
import type { HouseholdInput } from '../../../core/registry/types.js';

const AS_OF = '2026-03-01';
const generate = (seed: number, count: number, asOf = AS_OF) => [...generateHouseholds({ seed, count, areas: districtsOf(), asOf })];
const people = (households: HouseholdInput[]) => households.flatMap((h) => h.members.map((m) => ({ ...m, person: m.person! })));

describe('the synthetic population', () => {
  let large: HouseholdInput[];
  beforeAll(() => {
    large = generate(11, 20000);
  });

  it('is the same for the same seed and different for another', () => {
    expect(JSON.stringify(generate(5, 300))).toBe(JSON.stringify(generate(5, 300)));
    expect(JSON.stringify(generate(6, 300))).not.toBe(JSON.stringify(generate(5, 300)));
    // a prefix of a longer run is the shorter run: batching cannot change the data
    expect(generate(5, 500).slice(0, 300)).toEqual(generate(5, 300));
  });

  it('stops at the household count, or once the persons target is reached', () => {
    expect(generate(3, 250)).toHaveLength(250);
    const byPersons = [...generateHouseholds({ seed: 3, persons: 1000, areas: districtsOf(), asOf: AS_OF })];
    const total = people(byPersons).length;
    expect(total).toBeGreaterThanOrEqual(1000);
    expect(total - byPersons[byPersons.length - 1].members.length).toBeLessThan(1000);
  });

  it('has one head per household, sizes from 1 to 12 averaging 4 to 6', () => {
    expect(large.filter((h) => h.members.filter((m) => m.relationship === 'SELF').length !== 1)).toEqual([]);
    expect(large.filter((h) => h.members.length < 1 || h.members.length > 12)).toEqual([]);
    const mean = people(large).length / large.length;
    expect(mean).toBeGreaterThan(4);
    expect(mean).toBeLessThan(6);
    expect(new Set(large.map((h) => h.members.length)).size).toBe(12);
    expect(new Set(large.map((h) => h.household_type))).toEqual(new Set(['single_person', 'family', 'extended']));
  });

  it('gives birth dates in the past and within 120 years, and ages that fit the relationships', () => {
    const todayDate = new Date().toISOString().slice(0, 10);
    expect(people(generate(12, 2000, todayDate)).filter((m) => m.person.birth_date! > todayDate)).toEqual([]);
    const oldest = yearsBefore(AS_OF, 120);
    const wrong: string[] = [];
    for (const h of large) {
      const head = h.members[0].person!;
      if (head.birth_date! > yearsBefore(AS_OF, 18)) wrong.push(`head born ${head.birth_date}`);
      const mother = h.members.find((x) => ['SELF', 'WIFE', 'HUSB', 'SPS'].includes(x.relationship) && x.person!.sex === 'female') ?? h.members[0];
      for (const m of h.members) {
        const p = m.person!;
        if (p.birth_date! > AS_OF || p.birth_date! <= oldest) wrong.push(`born ${p.birth_date}`);
        if (['SON', 'DAU'].includes(m.relationship) && yearsBetween(mother.person!.birth_date!, p.birth_date!) < 15) {
          wrong.push(`child born ${p.birth_date} to a mother born ${mother.person!.birth_date}`);
        }
        if (['MTH', 'FTH'].includes(m.relationship) && p.birth_date! >= head.birth_date!) wrong.push(`parent younger than the head`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps sex consistent with the relationship', () => {
    const female = new Set(['WIFE', 'DAU', 'MTH', 'NEICE', 'SIS']);
    const male = new Set(['HUSB', 'SON', 'FTH', 'NEPHEW', 'BRO']);
    const wrong = people(large).filter(
      (m) => (female.has(m.relationship) && m.person.sex !== 'female') || (male.has(m.relationship) && m.person.sex !== 'male'),
    );
    expect(wrong).toEqual([]);
  });

  it('has realistic shares of estimated dates, identifiers, phones and shared family names', () => {
    const all = people(large);
    const share = (items: unknown[], test: (x: any) => boolean) => items.filter(test).length / items.length;
    const adults = all.filter((m) => m.person.birth_date! <= yearsBefore(AS_OF, 18));
    const children = all.filter((m) => m.person.birth_date! > yearsBefore(AS_OF, 18));
    const has = (type: string) => (m: (typeof all)[number]) => (m.person.identifiers ?? []).some((i) => i.type === type);

    expect(share(all, (m) => m.person.birth_date_estimated === true)).toBeGreaterThan(0.07);
    expect(share(all, (m) => m.person.birth_date_estimated === true)).toBeLessThan(0.14);
    expect(all.filter((m) => m.person.birth_date_estimated && !/-0[17]-01$/.test(m.person.birth_date!))).toEqual([]);
    expect(share(adults, has('UIN'))).toBeCloseTo(0.8, 1);
    expect(share(children, has('UIN'))).toBeCloseTo(0.4, 1);
    expect(share(children, has('BRN'))).toBeCloseTo(0.3, 1);
    expect(share(large, (h) => Boolean(h.members[0].person!.phone))).toBeCloseTo(0.6, 1);
    const sharingHead = large.flatMap((h) => h.members.slice(1).map((m) => m.person!.family_name === h.members[0].person!.family_name));
    expect(share(sharingHead, Boolean)).toBeGreaterThan(0.75);
    expect(share(all, (m) => (m.person.disabilities ?? []).length > 0)).toBeGreaterThan(0.01);
  });

  it('never repeats an identifier over 20,000 households', () => {
    const values = people(large).flatMap((m) => (m.person.identifiers ?? []).map((i) => `${i.type}:${i.value}`));
    expect(new Set(values).size).toBe(values.length);
    expect(values.filter((v) => v.startsWith('UIN:') && !/^UIN:\d{10}$/.test(v))).toEqual([]);
  });

  it('uses names of several traditions, with accents', () => {
    const names = new Set(people(large).flatMap((m) => [m.person.given_name, m.person.family_name]));
    for (const name of ['José', 'Aïssatou', "N'Diaye", 'Mwangi', 'Patel', 'Khalil']) expect(names).toContain(name);
  });

  it('places households in the districts, inside their region, by population weight', () => {
    const districts = new Map(districtsOf().map((d) => [d.code, d]));
    const counts = new Map<string, number>();
    for (const h of large) counts.set(h.area_code, (counts.get(h.area_code) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...districts.keys()].sort());
    const outside = large.filter((h) => {
      const { south, north, west, east } = districts.get(h.area_code)!.box;
      const { latitude, longitude } = h.location ?? { latitude: south, longitude: west };
      return latitude < south || latitude > north || longitude < west || longitude > east;
    });
    expect(outside).toEqual([]);
    // the most populous district holds more households than the least populous
    expect(counts.get('AM-R2-D1')!).toBeGreaterThan(3 * counts.get('AM-R5-D3')!);
  });

  it('is valid input of the bulk registration API', async () => {
    const api = await Api.load(await loadHubDocument());
    expect(api.validateBody('bulkCreateHouseholds', { households: structuredClone(large.slice(0, 10000)) })).toEqual([]);
    const areaCode = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;
    for (const area of areasOf(AMARU)) expect(area.code).toMatch(areaCode);
  });
});

describe('the identifier scheme', () => {
  it('permutes ten-digit numbers without collisions', () => {
    const seen = new Set<number>();
    for (let n = 0; n < 200000; n++) seen.add(permute(n * 49999, [1, 2, 3, 4]));
    expect(seen.size).toBe(200000);
    expect([...seen].filter((p) => !Number.isInteger(p) || p < 0 || p >= 1e10)).toEqual([]);
  });

  it('gives different seeds different numbers, and seeds equal modulo 1,000 the same', () => {
    const run = (seed: number) => {
      const ids = new IdentifierSequence(seed);
      return Array.from({ length: 5000 }, () => ids.nextUin());
    };
    const a = new Set(run(1));
    expect(run(2).some((v) => a.has(v))).toBe(false);
    expect(run(1001)).toEqual(run(1));
  });
});

describe('the seeded generator', () => {
  it('repeats for a seed, differs between seeds, and stays in its ranges', () => {
    const draw = (seed: number) => {
      const r = new Random(seed);
      return Array.from({ length: 100 }, () => r.int(1, 6));
    };
    expect(draw(9)).toEqual(draw(9));
    expect(draw(9)).not.toEqual(draw(10));
    expect(draw(2 ** 40)).not.toEqual(draw(0)); // the high bits count
    expect(new Set(draw(9))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    const r = new Random(1);
    const normals = Array.from({ length: 1000 }, () => r.normal(0, 1, -2, 2));
    expect(Math.max(...normals)).toBeLessThanOrEqual(2);
    expect(Math.min(...normals)).toBeGreaterThanOrEqual(-2);
    expect(() => new Random(1.5)).toThrow(RangeError);
  });
});

function yearsBetween(earlier: string, later: string): number {
  return (Date.parse(later) - Date.parse(earlier)) / (365.25 * 24 * 3600 * 1000);
}

function yearsBefore(date: string, years: number): string {
  return `${Number(date.slice(0, 4)) - years}${date.slice(4)}`;
}
