// The console's work queues in headless Chromium, as a registry officer: a registration held for review is approved
// and registers; a duplicate pair is merged; a sync conflict is resolved. Each outcome is checked through the API.
import type { Browser, Page } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import { launchBrowser, newPage, screenshots } from '../helpers/browser.js';
import { aPerson } from '../helpers/registry-data.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { open, signIn, userWithPassword, warmConsole } from './console-helpers.js';

let t: TestHub;
let browser: Browser;
let admin: Record<string, string>;
let page: Page;
let errors: string[];
let closePage: () => Promise<void>;

const direct = async (area: string, person: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
  const res = await t.post('/api/v1/households', { area_code: area, address: 'Plot 4, Hill Road', members: [{ relationship: 'SELF', person }], ...extra }, { headers: admin });
  expect(res.status).toBe(201);
  return res.body;
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestHub({ env: { SRHUB_AUTH: 'on' } }), launchBrowser()]);
  const warm = warmConsole(t.url);
  admin = (await t.as(['administrator'])).headers;
  for (const [code, parent] of [['AM-R1', undefined], ['AM-R1-D1', 'AM-R1'], ['AM-R1-D2', 'AM-R1']] as const) {
    await t.post('/api/v1/admin-areas', { code, name: code, ...(parent ? { parent_code: parent } : {}) }, { headers: admin });
  }
  const officer = await userWithPassword(t, admin, 'officer-q', ['registry_officer']);
  ({ page, errors } = await newPage(browser));
  closePage = () => page.context().close();
  await warm;
  await signIn(page, t.url, officer);
}, 60_000);
afterAll(async () => {
  await closePage?.();
  await browser?.close();
  await t?.stop();
});

test('an officer approves a registration held for review, and it is registered', async () => {
  const person = aPerson({ given_name: 'Halima', family_name: 'Wekesa', birth_date: '1979-03-08' });
  await direct('AM-R1-D1', person);
  // the same woman submitted again: the duplicate check holds the case for an officer
  const submitted = await t.post('/api/v1/registrations', { household: { area_code: 'AM-R1-D1', address: 'Plot 9', members: [{ relationship: 'SELF', person }] } }, { headers: admin });
  expect(submitted.status).toBe(202);
  const caseId = submitted.body.id;
  await t.hub.workflow.settle();
  expect((await t.get(`/api/v1/registrations/${caseId}`, { headers: admin })).body.status).toBe('needs_review');

  await open(page, 'reviews');
  const row = page.locator(`[data-testid="review-row"][data-case-id="${caseId}"]`);
  await row.waitFor();
  expect(await row.textContent()).toContain('duplicate');
  await screenshots(page, 'console-reviews');
  await row.locator('[data-testid="review-open"]').click();
  await page.waitForSelector('[data-testid="review-approve"]');
  expect(await page.textContent('main')).toContain('Halima');
  await screenshots(page, 'console-review-case');
  await page.fill('#review-comment', 'Seen in person: a second household, not a duplicate.');
  await page.click('[data-testid="review-approve"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="case-status"]')?.textContent === 'Registered');

  const after = (await t.get(`/api/v1/registrations/${caseId}`, { headers: admin })).body;
  expect(after.status).toBe('registered');
  expect(after.household_id).toEqual(expect.any(String));
  expect(after.history.some((h: { comment: string | null }) => h.comment?.includes('second household'))).toBe(true);
  expect(errors).toEqual([]);
});

test('a duplicate pair is merged from the page, its score shown with its parts', async () => {
  const first = await direct('AM-R1-D1', aPerson({ given_name: 'Wanjiru', family_name: 'Kamau', birth_date: '1990-07-21' }));
  const second = await direct('AM-R1-D2', aPerson({ given_name: 'Wanjiru', family_name: 'Kamaw', birth_date: '1990-07-21' }));
  const [a, b] = [first.members[0].person_id, second.members[0].person_id];
  // the direct registration's duplicate check queues the pair once the outbox reaches it (a check that failed
  // under load leaves it to the batch job, as in production)
  await t.hub.outbox.drain();
  const pairOf = async () => (await t.get(`/api/v1/dedup/pairs?person_id=${b}`, { headers: admin })).body.items[0];
  if (!(await pairOf())) {
    const run = await t.post('/api/v1/dedup/runs', undefined, { headers: admin });
    await until('the batch run', async () => ((await t.get(`/api/v1/dedup/runs/${run.body.id}`, { headers: admin })).body.status === 'running' ? undefined : true));
  }
  const pair = await until('the pair', pairOf);

  await open(page, 'duplicates');
  const card = page.locator(`[data-testid="pair-card"][data-pair-id="${pair.id}"]`);
  await card.waitFor();
  const parts = await card.locator('[data-testid="score-parts"] tbody tr').allTextContents();
  expect(parts.some((p) => p.startsWith('birth_dateexact+'))).toBe(true);
  await screenshots(page, 'console-duplicates');
  const keepFirst = pair.person_a === a ? 'merge-keep-a' : 'merge-keep-b';
  await card.locator(`[data-testid="${keepFirst}"]`).click();
  await card.waitFor({ state: 'detached' });

  const merged = (await t.get(`/api/v1/dedup/pairs/${pair.id}`, { headers: admin })).body;
  expect(merged).toMatchObject({ status: 'merged', survivor_id: a });
  const redirect = await fetch(`${t.url}/api/v1/persons/${b}`, { headers: admin, redirect: 'manual' });
  expect(redirect.status).toBe(308);
  expect(errors).toEqual([]);
});

test('a sync conflict is resolved field by field, keeping the server\'s value', async () => {
  const household = await direct('AM-R1-D1', aPerson({ given_name: 'Otieno', family_name: 'Achieng', sex: 'male', birth_date: '1970-01-02' }), { attributes: { rooms: 3 } });
  const changed = await t.patch(`/api/v1/households/${household.id}`, { attributes: { rooms: 4 } }, { headers: admin, ifMatch: 1 });
  expect(changed.status).toBe(200);
  const worker = await t.as(['field_worker'], ['AM-R1-D1']);
  const pushed = await t.post('/api/v1/sync/push', {
    device_id: 'device-q',
    items: [{ client_id: randomUUID(), captured_at: new Date().toISOString(), form: { id: 'household-socioeconomic', version: 1 }, kind: 'update', household_id: household.id, base_version: 1, changes: { household: { attributes: { rooms: 5 } } } }],
  }, { headers: worker.headers });
  expect(pushed.body.results[0].status).toBe('conflict');
  const conflictId = pushed.body.results[0].conflicts[0].id;

  await open(page, 'conflicts');
  const card = page.locator(`[data-testid="conflict-card"][data-conflict-id="${conflictId}"]`);
  await card.waitFor();
  expect(await card.textContent()).toContain('attributes.rooms');
  await screenshots(page, 'console-conflicts');
  await card.locator('[data-testid="resolve-theirs"]').click();
  await card.waitFor({ state: 'detached' });

  const resolved = (await t.get(`/api/v1/sync/conflicts?status=resolved&household_id=${household.id}`, { headers: admin })).body.items;
  expect(resolved).toEqual([expect.objectContaining({ id: conflictId, resolution: 'theirs' })]);
  expect((await t.get(`/api/v1/households/${household.id}`, { headers: admin })).body.attributes.rooms).toBe(4);
  expect(errors).toEqual([]);
});
