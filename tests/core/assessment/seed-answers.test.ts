// The generator's questionnaire answers: every household and person carries them, within the vocabulary the models
// and rules check against, consistent with person.disabilities (the Washington Group cut-off), and deterministic.
import { VOCABULARY } from '../../../core/assessment/features.js';
import { districtsOf } from '../../../core/seed/country.js';
import { generateHouseholds } from '../../../core/seed/households.js';

const generate = (seed: number, count: number) => [...generateHouseholds({ seed, count, areas: districtsOf(), asOf: '2025-06-30' })];

describe('questionnaire answers of generated households', () => {
  const households = generate(11, 3000);

  it('gives every household the answers, each within its vocabulary', () => {
    const wrong: string[] = [];
    for (const h of households) {
      const a = h.attributes as Record<string, unknown>;
      for (const key of ['dwelling_wall', 'dwelling_roof', 'dwelling_floor', 'water_source', 'toilet', 'lighting', 'cooking_fuel', 'meals_skipped'] as const) {
        if (!(VOCABULARY[key] as readonly string[]).includes(a[key] as string)) wrong.push(`${key}=${a[key]}`);
      }
      for (const key of ['assets', 'income_sources'] as const) {
        const items = a[key] as string[];
        if (!Array.isArray(items) || items.some((i) => !(VOCABULARY[key] as readonly string[]).includes(i))) wrong.push(`${key}=${items}`);
      }
      if (!Number.isInteger(a.rooms) || (a.rooms as number) < 1) wrong.push(`rooms=${a.rooms}`);
      if (typeof a.monthly_income !== 'number' || (a.monthly_income as number) < 0) wrong.push(`monthly_income=${a.monthly_income}`);
    }
    expect(wrong).toEqual([]);
    // the answers vary: every wall type occurs
    expect(new Set(households.map((h) => h.attributes!.dwelling_wall))).toEqual(new Set(VOCABULARY.dwelling_wall));
  });

  it('answers the Washington Group questions in line with the disabilities recorded', () => {
    const domains: Record<string, string> = { VIS_SS: 'wg_seeing', HEAR_SS: 'wg_hearing', MOB_SS: 'wg_walking', COG_SS: 'wg_cognition', SC_SS: 'wg_selfcare', COM_SS: 'wg_communication' };
    const wrong: string[] = [];
    let answered = 0;
    for (const person of households.flatMap((h) => h.members.map((m) => m.person!))) {
      const a = person.attributes as Record<string, unknown>;
      if (!['none', 'primary', 'secondary', 'tertiary'].includes(a.education_level as string)) wrong.push(`education_level=${a.education_level}`);
      if (a.wg_seeing === undefined) continue;
      answered++;
      const disabled = new Set((person.disabilities ?? []).map((d) => domains[d]));
      for (const domain of Object.values(domains)) {
        const pastCutOff = ['a_lot_of_difficulty', 'cannot_do'].includes(a[domain] as string);
        if (pastCutOff !== disabled.has(domain)) wrong.push(`${domain}=${a[domain]} with ${person.disabilities}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(answered).toBeGreaterThan(10000);
  });

  it('is deterministic: the same seed gives the same answers, another seed others', () => {
    expect(generate(11, 200)).toEqual(households.slice(0, 200));
    expect(generate(12, 50)).not.toEqual(households.slice(0, 50));
  });
});
