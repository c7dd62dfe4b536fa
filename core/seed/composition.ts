// Who lives in a synthetic household: relationships to the head, sexes and ages that fit together
// (children born when their mother was 16 to 45, a head's parents older than the head, and so on).
import type { Random, Weighted } from './random.js';

export type Sex = 'male' | 'female';

export interface PlannedMember {
  relationship: string;
  sex: Sex;
  age: number;
}

export interface Composition {
  household_type: 'single_person' | 'family' | 'extended';
  members: PlannedMember[];
}

export const MIN_SIZE = 1;
export const MAX_SIZE = 12;

// household sizes skewed around 4-5 (mean about 5), as in many low- and middle-income country censuses
const SIZES: Weighted<number>[] = [7, 10, 13, 16, 16, 13, 9, 6, 4, 3, 2, 1].map((weight, i) => ({ value: i + 1, weight }));

const ADULT = 18;
const OLDEST_HEAD = 85;
const OLDEST = 100;

export function composeHousehold(rng: Random): Composition {
  const size = rng.weighted(SIZES);
  if (size === 1) {
    const sex: Sex = rng.chance(0.55) ? 'male' : 'female';
    return { household_type: 'single_person', members: [{ relationship: 'SELF', sex, age: Math.round(rng.normal(45, 18, ADULT, OLDEST_HEAD)) }] };
  }

  const headSex: Sex = rng.chance(0.72) ? 'male' : 'female';
  const withSpouse = rng.chance(headSex === 'male' ? 0.85 : 0.35);
  const remaining = size - 1 - (withSpouse ? 1 : 0);
  const relatives = remaining > 0 && rng.chance(0.3) ? Math.min(remaining, 1 + (rng.chance(0.35) ? 1 : 0) + (rng.chance(0.1) ? 1 : 0)) : 0;
  const children = remaining - relatives;

  // more children, older parents
  const head: PlannedMember = { relationship: 'SELF', sex: headSex, age: Math.round(rng.normal(28 + 2.2 * children, 10, ADULT, OLDEST_HEAD)) };
  const members = [head];
  if (withSpouse) members.push(spouseOf(rng, head));

  const mother = members.find((m) => m.sex === 'female') ?? head;
  for (let i = 0; i < children; i++) members.push(childOf(rng, mother.age));

  for (let i = 0; i < relatives; i++) members.push(relativeOf(rng, head, members));

  return { household_type: relatives > 0 ? 'extended' : 'family', members };
}

function spouseOf(rng: Random, head: PlannedMember): PlannedMember {
  const sex: Sex = head.sex === 'male' ? 'female' : 'male';
  // husbands are on average a few years older than their wives
  const gap = rng.normal(4, 4, -10, 20);
  const age = Math.round(Math.min(90, Math.max(ADULT, head.age + (sex === 'female' ? -gap : gap))));
  const relationship = rng.chance(0.1) ? 'SPS' : sex === 'female' ? 'WIFE' : 'HUSB';
  return { relationship, sex, age };
}

function childOf(rng: Random, motherAge: number): PlannedMember {
  const youngest = Math.max(0, motherAge - 45);
  const oldest = Math.max(0, motherAge - 16);
  const sex: Sex = rng.chance(0.5) ? 'male' : 'female';
  return { relationship: sex === 'male' ? 'SON' : 'DAU', sex, age: rng.int(youngest, oldest) };
}

function relativeOf(rng: Random, head: PlannedMember, members: PlannedMember[]): PlannedMember {
  const has = (relationship: string) => members.some((m) => m.relationship === relationship);
  const kinds: Weighted<string>[] = [
    { value: 'MTH', weight: head.age <= 65 && !has('MTH') ? 3 : 0 },
    { value: 'FTH', weight: head.age <= 60 && !has('FTH') ? 1.5 : 0 },
    { value: 'NEPHEW_NIECE', weight: 3 },
    { value: 'SIBLING', weight: 2 },
  ];
  const kind = rng.weighted(kinds);
  switch (kind) {
    case 'MTH':
    case 'FTH':
      return { relationship: kind, sex: kind === 'MTH' ? 'female' : 'male', age: Math.min(OLDEST, head.age + rng.int(18, 40)) };
    case 'SIBLING': {
      const sex: Sex = rng.chance(0.5) ? 'male' : 'female';
      return { relationship: sex === 'male' ? 'BRO' : 'SIS', sex, age: Math.min(95, Math.max(10, head.age + rng.int(-12, 12))) };
    }
    default: {
      const sex: Sex = rng.chance(0.5) ? 'male' : 'female';
      // NEICE is the SPDCI RelationshipType spelling
      return { relationship: sex === 'male' ? 'NEPHEW' : 'NEICE', sex, age: rng.int(0, 22) };
    }
  }
}
