// Shared steps of the field app's browser tests: a hub with authentication on, one district and a field worker
// with a password (the app signs in with the password grant), and filling the default household questionnaire.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { createUser } from '../../core/auth/users.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

export const AREA = 'AM-R1-D1';

export interface FieldHub {
  t: TestHub;
  username: string;
  password: string;
  officer: Record<string, string>;
}

export async function startFieldHub(): Promise<FieldHub> {
  const t = await startTestHub({ env: { SRHUB_AUTH: 'on', SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '100000' } });
  const admin = await t.as(['administrator']);
  await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'Region one' }, { headers: admin.headers });
  await t.post('/api/v1/admin-areas', { code: AREA, name: 'District one', parent_code: 'AM-R1' }, { headers: admin.headers });
  const username = `field${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await createUser(t.hub.db, { username, roles: ['field_worker'], areas: [AREA], password }, 'test');
  const officer = { ...(await t.as(['registry_officer'])).headers, connection: 'close' };
  return { t, username, password, officer };
}

/** Households of the district, through the API, once the workflow has run the checks of the cases submitted. */
export async function householdsInArea(f: FieldHub): Promise<{ id: string; version: number; attributes: Record<string, unknown> }[]> {
  await f.t.hub.workflow.settle();
  const res = await f.t.get(`/api/v1/households?area_code=${AREA}&limit=500`, { headers: f.officer });
  expect(res.status).toBe(200);
  return res.body.items;
}

export async function signIn(page: Page, f: FieldHub): Promise<void> {
  await page.fill('#username', f.username);
  await page.fill('#password', f.password);
  await page.click('[data-testid="signin-submit"]');
  await page.waitForSelector('[data-testid="count-households"]');
}

const q = (path: string) => `[data-testid="q-${path}"]`;

/** Answers the whole default questionnaire for a household of one adult (members[0]). */
export async function fillHousehold(page: Page, options: { family: string; relationship?: string }): Promise<void> {
  await page.fill(q('address'), 'Behind the health centre');
  for (const [path, value] of [['dwelling_wall', 'mud'], ['dwelling_roof', 'iron_sheet'], ['dwelling_floor', 'earth'], ['water_source', 'borehole'], ['toilet', 'pit_latrine_slab'], ['lighting', 'solar'], ['cooking_fuel', 'firewood'], ['meals_skipped', 'sometimes']]) {
    await page.selectOption(q(`attributes.${path}`), value);
  }
  await page.fill(q('attributes.rooms'), '2');
  await page.check(`${q('attributes.income_sources')} input[value="farming"]`);
  await page.fill(q('attributes.monthly_income'), '150');
  const m = 'members[0]';
  await page.selectOption(q(`${m}.relationship`), options.relationship ?? 'SELF');
  await page.fill(q(`${m}.person.given_name`), 'Achieng');
  await page.fill(q(`${m}.person.family_name`), options.family);
  await page.selectOption(q(`${m}.person.sex`), 'female');
  await page.fill(q(`${m}.person.birth_date`), '1984-03-09');
  await page.selectOption(q(`${m}.person.attributes.education_level`), 'primary');
  for (const wg of ['seeing', 'hearing', 'walking', 'cognition', 'selfcare', 'communication']) {
    await page.selectOption(q(`${m}.person.attributes.wg_${wg}`), 'no_difficulty');
  }
}

/** Runs `start` (a click, going online) and waits for the sync it causes to end: done, interrupted, offline, ... */
export async function syncAfter(page: Page, start: () => Promise<unknown>): Promise<string> {
  const before = Number(await page.getAttribute('[data-testid="sync-status"]', 'data-syncs'));
  await start();
  const status = page.locator(`[data-testid="sync-status"][data-syncs="${before + 1}"]`);
  await status.waitFor({ timeout: 30_000 });
  return (await status.getAttribute('data-state'))!;
}
