// Small builders of registry input for the tests.
import type { TestHub } from './test-hub.js';

let counter = 0;
/** A unique 10-digit UIN for this test process. */
export function uin(): string {
  counter += 1;
  return String(1_000_000_000 + ((process.pid * 100_000 + counter) % 8_999_999_999));
}

export function aPerson(overrides: Record<string, unknown> = {}) {
  return { given_name: 'Amina', family_name: 'Okello', sex: 'female', birth_date: '1985-04-12', ...overrides };
}

export function aHousehold(area = 'AM-R1-D1', overrides: Record<string, unknown> = {}) {
  return {
    area_code: area,
    address: 'Plot 12, Market Road',
    household_type: 'family',
    location: { latitude: -1.28, longitude: 36.82 },
    members: [
      { relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: uin() }] }) },
      { relationship: 'HUSB', person: aPerson({ given_name: 'Joseph', sex: 'male', birth_date: '1980-01-30' }) },
      { relationship: 'DAU', person: aPerson({ given_name: 'Zawadi', birth_date: '2015-06-01', birth_date_estimated: true }) },
    ],
    ...overrides,
  };
}

/** Two regions with two districts each: AM-R1 (AM-R1-D1, AM-R1-D2) and AM-R2 (AM-R2-D1, AM-R2-D2). */
export async function createAreas(t: TestHub): Promise<void> {
  for (const region of ['AM-R1', 'AM-R2']) {
    await t.post('/api/v1/admin-areas', { code: region, name: `Region ${region}` });
    for (const district of ['D1', 'D2']) {
      await t.post('/api/v1/admin-areas', { code: `${region}-${district}`, name: `District ${district}`, parent_code: region });
    }
  }
}
