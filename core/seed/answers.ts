// The default questionnaire's answers for synthetic households (tmp/spec.md, docs/assessment.md): dwelling, water,
// sanitation, energy, assets, income and food security per household; education, schooling, occupation and the
// Washington Group questions per person. Drawn from a stream of their own, so adding them changed none of the draws
// of the households' other fields (the same seed still gives the same people), and tied to one latent level of
// living per household so the answers hang together as real ones do (a brick house more often has a fridge).
import type { HouseholdInput } from '../registry/types.js';
import { Random, type Weighted } from './random.js';

/** The Washington Group domain each disability code stands for (person.disabilities holds the codes). */
const WG_DOMAINS: Record<string, string> = {
  VIS_SS: 'wg_seeing',
  HEAR_SS: 'wg_hearing',
  MOB_SS: 'wg_walking',
  COG_SS: 'wg_cognition',
  SC_SS: 'wg_selfcare',
  COM_SS: 'wg_communication',
};

const OCCUPATIONS = ['farmer', 'trader', 'teacher', 'driver', 'nurse', 'mechanic', 'tailor', 'labourer', 'fisher', 'carpenter', 'clerk', 'herder'];

/** A choice whose weights lean towards the first items for the better off (wealth near 1) and the last for the poor. */
function graded<T>(rng: Random, items: readonly T[], wealth: number): T {
  const n = items.length;
  const weighted: Weighted<T>[] = items.map((value, i) => ({ value, weight: Math.exp(-6 * Math.abs(i / Math.max(n - 1, 1) - (1 - wealth))) }));
  return rng.weighted(weighted);
}

export class AnswerMaker {
  private readonly rng: Random;

  constructor(seed: number) {
    // a seed of its own, derived from the household seed through a generator, so the two streams are unrelated
    const derived = Math.floor(new Random(seed).next() * 2 ** 32) * 2 ** 20 + 0x5eed;
    this.rng = new Random(derived);
  }

  /** Adds household.attributes and each member's person.attributes; `ages` are the members' ages, in order. */
  addTo(household: HouseholdInput, ages: readonly number[]): void {
    const rng = this.rng;
    // the household's level of living, 0 (poorest) to 1
    const wealth = Math.min(1, Math.max(0, rng.normal(0.45, 0.22)));
    const size = household.members.length;
    const assets = ['radio', 'tv', 'phone', 'fridge', 'bicycle', 'motorcycle', 'car', 'livestock_large', 'livestock_small', 'land'].filter((asset) => {
      const base: Record<string, number> = { radio: 0.5, tv: 0.1, phone: 0.6, fridge: 0.02, bicycle: 0.35, motorcycle: 0.05, car: 0.0, livestock_large: 0.25, livestock_small: 0.35, land: 0.45 };
      const lift: Record<string, number> = { radio: 0.3, tv: 0.8, phone: 0.4, fridge: 0.7, bicycle: 0.1, motorcycle: 0.3, car: 0.35, livestock_large: 0.1, livestock_small: 0, land: 0.2 };
      return rng.chance(Math.min(0.97, base[asset] + lift[asset] * wealth * wealth));
    });
    const income = ['salary', 'casual_labour', 'farming', 'business', 'remittances', 'pension', 'transfers'].filter((source) => {
      const p: Record<string, number> = { salary: 0.05 + 0.6 * wealth, casual_labour: 0.6 - 0.5 * wealth, farming: 0.5, business: 0.1 + 0.3 * wealth, remittances: 0.15, pension: ages.some((a) => a >= 60) ? 0.25 : 0.01, transfers: 0.25 - 0.2 * wealth };
      return rng.chance(p[source]);
    });
    household.attributes = {
      ...household.attributes,
      dwelling_wall: graded(rng, ['brick', 'iron_sheet', 'wood', 'mud', 'other'], wealth),
      dwelling_roof: graded(rng, ['concrete', 'tiles', 'iron_sheet', 'thatch', 'other'], wealth),
      dwelling_floor: graded(rng, ['tiles', 'cement', 'wood', 'earth', 'other'], wealth),
      water_source: graded(rng, ['piped', 'borehole', 'protected_well', 'vendor', 'unprotected_well', 'surface'], wealth),
      toilet: graded(rng, ['flush', 'pit_latrine_slab', 'pit_latrine_open', 'none'], wealth),
      lighting: graded(rng, ['grid', 'solar', 'kerosene', 'none'], wealth),
      cooking_fuel: graded(rng, ['electricity', 'gas', 'charcoal', 'firewood', 'other'], wealth),
      rooms: Math.max(1, Math.min(10, Math.round(rng.normal(1 + wealth * 3 + size / 4, 1, 1, 10)))),
      assets,
      income_sources: income.length ? income : ['none'],
      monthly_income: Math.round(Math.exp(rng.normal(4 + 3 * wealth, 0.6)) / 10) * 10,
      meals_skipped: graded(rng, ['never', 'sometimes', 'often'], wealth),
    };
    household.members.forEach((member, i) => {
      const person = member.person;
      if (!person) return;
      const age = ages[i];
      const attributes: Record<string, unknown> = {};
      if (age < 6) attributes.education_level = 'none';
      else if (age < 18) {
        // a child in school has at least started primary; one out of school may never have gone
        attributes.in_school = rng.chance(0.55 + 0.4 * wealth);
        attributes.education_level = age < 12 ? (attributes.in_school ? 'primary' : graded(rng, ['primary', 'none'], wealth)) : graded(rng, attributes.in_school ? ['secondary', 'primary'] : ['secondary', 'primary', 'none'], wealth);
      } else attributes.education_level = graded(rng, ['tertiary', 'secondary', 'primary', 'none'], wealth);
      if (age >= 18) attributes.occupation = rng.chance(0.8) ? rng.pick(OCCUPATIONS) : 'none';
      // the Washington Group short set from age 5; the disabilities recorded are the domains past the cut-off
      if (age >= 5) {
        const domains = new Set((person.disabilities ?? []).map((code) => WG_DOMAINS[code]).filter(Boolean));
        for (const domain of Object.values(WG_DOMAINS)) {
          attributes[domain] = domains.has(domain)
            ? (rng.chance(0.75) ? 'a_lot_of_difficulty' : 'cannot_do')
            : (rng.chance(age >= 65 ? 0.2 : 0.05) ? 'some_difficulty' : 'no_difficulty');
        }
      }
      person.attributes = { ...person.attributes, ...attributes };
    });
  }
}
