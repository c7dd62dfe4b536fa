// Answers to the default household questionnaire (core/forms/default-household.ts) that pass its checks.
import { uin } from '../../helpers/registry-data.js';

const WG_NONE = { wg_seeing: 'no_difficulty', wg_hearing: 'no_difficulty', wg_walking: 'no_difficulty', wg_cognition: 'no_difficulty', wg_selfcare: 'no_difficulty', wg_communication: 'no_difficulty' };

// distinct names per household, so the workflow's duplicate check does not take one test's households for another's
const SYLLABLES = ['ka', 'mo', 'ri', 'ta', 'ne', 'lu', 'si', 'vo', 'da', 'pe', 'zu', 'fi', 'go', 'he', 'ji', 'bo'];
let sequence = 0;
const pad = (n: number) => String(n).padStart(2, '0');
/** A birth date in [from, from + span) years, varied per call. */
function birthDate(from: number, span: number): string {
  const k = sequence * 7 + (process.pid % 97);
  return `${from + (k % span)}-${pad(1 + (k % 12))}-${pad(1 + (k % 28))}`;
}

function uniqueName(): string {
  let n = (process.pid * 7919 + ++sequence * 104729) % 16 ** 5;
  let name = '';
  for (let i = 0; i < 5; i++, n = Math.floor(n / 16)) name += SYLLABLES[n % 16];
  return name[0].toUpperCase() + name.slice(1);
}

export function anAnsweredHousehold(area = 'AM-R1-D1', overrides: Record<string, unknown> = {}) {
  const family = uniqueName();
  return {
    area_code: area,
    address: 'Near the blue water tower',
    location: { latitude: -1.28, longitude: 36.82 },
    attributes: {
      dwelling_wall: 'mud',
      dwelling_roof: 'iron_sheet',
      dwelling_floor: 'earth',
      rooms: 2,
      water_source: 'protected_well',
      toilet: 'pit_latrine_slab',
      lighting: 'solar',
      cooking_fuel: 'firewood',
      assets: ['radio', 'phone'],
      income_sources: ['farming', 'casual_labour'],
      monthly_income: 120,
      meals_skipped: 'sometimes',
    },
    members: [
      {
        relationship: 'SELF',
        person: {
          given_name: uniqueName(), family_name: family, sex: 'female', birth_date: birthDate(1950, 50),
          identifiers: [{ type: 'UIN', value: uin() }],
          attributes: { education_level: 'primary', occupation: 'farmer', ...WG_NONE, wg_walking: 'a_lot_of_difficulty' },
        },
      },
      {
        relationship: 'DAU',
        person: {
          given_name: uniqueName(), family_name: family, sex: 'female', birth_date: birthDate(2008, 10), birth_date_estimated: true,
          attributes: { education_level: 'primary', in_school: true, ...WG_NONE },
        },
      },
    ],
    ...overrides,
  };
}
