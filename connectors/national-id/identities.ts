// The simulated national ID system's people: the demo seed's population regenerated (core/seed is deterministic, so
// every UIN the demo data holds is known here with the same name, sex and birth date), plus identities added through
// the control endpoint. Birth dates in the seed count back from the day it ran: pass that day as asOf when the demo
// database was seeded on an earlier day.
import { districtsOf } from '../../core/seed/country.js';
import { generateHouseholds } from '../../core/seed/households.js';
import { DEMO_HOUSEHOLDS, DEMO_SEED } from '../../core/seed/seed.js';

export interface Identity {
  uin: string;
  given_name: string;
  family_name: string;
  other_names?: string;
  sex?: string;
  birth_date: string;
  phone?: string;
  email?: string;
  address?: string;
}

export function demoIdentities(options: { seed?: number; households?: number; asOf?: string } = {}): Map<string, Identity> {
  const identities = new Map<string, Identity>();
  const households = generateHouseholds({ seed: options.seed ?? DEMO_SEED, count: options.households ?? DEMO_HOUSEHOLDS, areas: districtsOf(), asOf: options.asOf });
  for (const household of households) {
    for (const { person } of household.members) {
      if (!person) continue;
      const uin = person.identifiers?.find((i) => i.type === 'UIN')?.value;
      if (!uin || !person.given_name || !person.family_name || !person.birth_date) continue;
      identities.set(uin, {
        uin,
        given_name: person.given_name,
        family_name: person.family_name,
        ...(person.other_names ? { other_names: person.other_names } : {}),
        ...(person.sex ? { sex: person.sex } : {}),
        birth_date: person.birth_date,
        ...(person.phone ? { phone: person.phone } : {}),
        ...(person.email ? { email: person.email } : {}),
        ...(household.address ? { address: household.address } : {}),
      });
    }
  }
  return identities;
}

/** Names compared as an ID system does: case, accents, punctuation and spacing ignored. */
export function normaliseName(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** The spellings of a person's full name the system accepts: with and without other names, either order. */
export function fullNames(identity: Pick<Identity, 'given_name' | 'family_name' | 'other_names'>): Set<string> {
  const { given_name: g, family_name: f, other_names: o } = identity;
  const forms = [`${g} ${f}`, `${f} ${g}`, ...(o ? [`${g} ${o} ${f}`, `${f} ${g} ${o}`] : [])];
  return new Set(forms.map(normaliseName));
}
