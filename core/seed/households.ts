// The synthetic population: households as the registration API takes them, drawn from a seed so the same seed
// (and reference date) always gives the same households.
import type { HouseholdInput, IdentifierInput, PersonInput } from '../registry/types.js';
import type { District } from './country.js';
import { composeHousehold, type PlannedMember, type Sex } from './composition.js';
import { AnswerMaker } from './answers.js';
import { IdentifierSequence } from './identifiers.js';
import { drawName, type NamePool } from './name-pool.js';
import { Random, type Weighted } from './random.js';
import { TRADITIONS, type Tradition } from './traditions.js';

export interface GenerateOptions {
  seed: number;
  /** Stop after this many households. */
  count?: number;
  /** Stop once the households hold at least this many persons. Without count or persons the stream is endless. */
  persons?: number;
  areas: readonly District[];
  /** The day ages are counted back from (YYYY-MM-DD); today when absent. Birth dates never pass it. */
  asOf?: string;
}

const DISABILITIES = ['VIS_SS', 'HEAR_SS', 'MOB_SS', 'COG_SS', 'SC_SS', 'COM_SS'];
const ADULT = 18;
const DAY_MS = 24 * 3600 * 1000;

export function* generateHouseholds(options: GenerateOptions): Generator<HouseholdInput> {
  if (options.areas.length === 0) throw new RangeError('generateHouseholds needs at least one area');
  const asOf = options.asOf ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new RangeError(`asOf must be a date YYYY-MM-DD, not ${asOf}`);
  const maker = new HouseholdMaker(options.seed, options.areas, asOf);
  let households = 0;
  let persons = 0;
  while ((options.count === undefined || households < options.count) && (options.persons === undefined || persons < options.persons)) {
    const household = maker.next();
    households++;
    persons += household.members.length;
    yield household;
  }
}

class HouseholdMaker {
  private readonly rng: Random;
  private readonly ids: IdentifierSequence;
  /** The questionnaire's answers, from a stream of their own (the draws above stay as they were). */
  private readonly answers: AnswerMaker;
  private readonly districts: Weighted<District>[];
  private readonly asOf: { year: number; month: number; day: number };

  constructor(seed: number, areas: readonly District[], asOf: string) {
    this.rng = new Random(seed);
    this.ids = new IdentifierSequence(seed);
    this.answers = new AnswerMaker(seed);
    this.districts = areas.map((d) => ({ value: d, weight: d.weight }));
    const [year, month, day] = asOf.split('-').map(Number);
    this.asOf = { year, month, day };
  }

  next(): HouseholdInput {
    const rng = this.rng;
    const district = rng.weighted(this.districts);
    const tradition = TRADITIONS[rng.weighted(district.traditions)];
    const language = rng.weighted(tradition.languages);
    const familyName = drawName(rng, tradition.family);
    const { household_type, members } = composeHousehold(rng);
    const household: HouseholdInput = {
      household_type,
      address: `${rng.chance(0.7) ? 'Plot' : 'House'} ${rng.int(1, 450)}, ${rng.pick(district.streets)}, ${rng.pick(district.places)}`,
      area_code: district.code,
      ...(rng.chance(0.95) ? { location: this.locationIn(district) } : {}),
      members: members.map((planned) => ({
        relationship: planned.relationship,
        person: this.person(planned, district, tradition, familyName, language),
      })),
    };
    this.answers.addTo(household, members.map((m) => m.age));
    return household;
  }

  private person(
    planned: PlannedMember,
    district: District,
    household: Tradition,
    householdFamilyName: string,
    householdLanguage: string,
  ): PersonInput {
    const rng = this.rng;
    const { relationship, sex, age } = planned;
    // a spouse sometimes comes from another community of the district
    const spouse = ['WIFE', 'HUSB', 'SPS'].includes(relationship);
    const tradition = spouse && rng.chance(0.1) ? TRADITIONS[rng.weighted(district.traditions)] : household;
    const foreign = tradition !== household;
    const person: PersonInput = {
      given_name: drawName(rng, givenNames(tradition, sex)),
      family_name: this.familyName(relationship, tradition, householdFamilyName, foreign),
      sex,
      ...this.birthDate(age),
      preferred_language: foreign ? rng.weighted(tradition.languages) : householdLanguage,
    };
    if (rng.chance(0.15)) {
      const other = drawName(rng, givenNames(tradition, sex));
      if (other !== person.given_name) person.other_names = other;
    }
    if (rng.chance(age >= ADULT ? (relationship === 'SELF' ? 0.6 : 0.2) : 0)) person.phone = this.phone();
    if (age >= ADULT && rng.chance(0.05)) person.email = this.email(person);
    const disabilities = this.disabilities(age);
    if (disabilities.length) person.disabilities = disabilities;
    const identifiers = this.identifiers(age, person.birth_date!, district);
    if (identifiers.length) person.identifiers = identifiers;
    return person;
  }

  private familyName(relationship: string, tradition: Tradition, householdName: string, foreign: boolean): string {
    const rng = this.rng;
    switch (relationship) {
      case 'SELF':
      case 'BRO':
      case 'SIS':
      case 'FTH':
        return householdName;
      case 'WIFE':
      case 'HUSB':
      case 'SPS':
      case 'MTH':
        return foreign || rng.chance(tradition.spouseKeepsName) ? drawName(rng, tradition.family) : householdName;
      case 'SON':
      case 'DAU':
        // a few children from an earlier union carry another name
        return rng.chance(0.05) ? drawName(rng, tradition.family) : householdName;
      default:
        return rng.chance(0.5) ? householdName : drawName(rng, tradition.family);
    }
  }

  /** An exact date, or about one in ten (more among the old) an estimate written as 1 January or 1 July. */
  private birthDate(age: number): Pick<PersonInput, 'birth_date' | 'birth_date_estimated'> {
    const rng = this.rng;
    const { year, month, day } = this.asOf;
    // the day the person turned `age`: any birth date up to a year before it keeps them `age` on the reference date
    const birthday = Date.UTC(year - age, month - 1, day);
    if (rng.chance(age >= 60 ? 0.25 : 0.09)) {
      const july = Date.UTC(year - age, 6, 1);
      const estimate = rng.chance(0.5) && july <= birthday ? july : Date.UTC(year - age, 0, 1);
      return { birth_date: isoDate(estimate), birth_date_estimated: true };
    }
    return { birth_date: isoDate(birthday - rng.int(0, 364) * DAY_MS) };
  }

  private identifiers(age: number, birthDate: string, district: District): IdentifierInput[] {
    const rng = this.rng;
    const identifiers: IdentifierInput[] = [];
    if (rng.chance(age >= ADULT ? 0.8 : 0.4)) identifiers.push({ type: 'UIN', value: this.ids.nextUin() });
    if (age < ADULT && rng.chance(0.3)) {
      // most children are registered where they live; some moved since
      const where = rng.chance(0.85) ? district : rng.weighted(this.districts);
      identifiers.push({ type: 'BRN', value: this.ids.nextBrn(where.code, Number(birthDate.slice(0, 4))) });
    }
    return identifiers;
  }

  private disabilities(age: number): string[] {
    const rng = this.rng;
    if (!rng.chance(age >= 65 ? 0.15 : age >= ADULT ? 0.04 : 0.02)) return [];
    const first = rng.pick(DISABILITIES);
    const second = rng.chance(0.2) ? rng.pick(DISABILITIES) : first;
    return second === first ? [first] : [first, second];
  }

  /** Mobile numbers written the several ways people give them, so matching must normalise. */
  private phone(): string {
    const rng = this.rng;
    const operator = `7${rng.int(1, 8)}`;
    const [a, b] = [rng.digits(3), rng.digits(4)];
    return rng.pick([`+999 ${operator} ${a} ${b}`, `0${operator}${a}${b}`, `0${operator}-${a}-${b}`, `+999${operator}${a}${b}`]);
  }

  private email(person: PersonInput): string {
    const ascii = (s: string) =>
      s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '');
    return `${ascii(person.given_name!)}.${ascii(person.family_name!)}${this.rng.int(1, 999)}@example.org`;
  }

  private locationIn(district: District): { latitude: number; longitude: number } {
    const { south, north, west, east } = district.box;
    const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
    return { latitude: round6(south + this.rng.next() * (north - south)), longitude: round6(west + this.rng.next() * (east - west)) };
  }
}

function givenNames(tradition: Tradition, sex: Sex): NamePool {
  return sex === 'male' ? tradition.male : tradition.female;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
