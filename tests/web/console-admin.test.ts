// The console's administration pages in headless Chromium: a form draft edited, previewed with its skip logic and
// published; a user created who then signs in; the audit chain verified; every administration page rendered; and a
// non-administrator who sees none of them (the API refuses them too).
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newPage, screenshots } from '../helpers/browser.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { navLabels, open, signIn, userWithPassword, warmConsole } from './console-helpers.js';

let t: TestHub;
let browser: Browser;
let admin: Record<string, string>;
let page: Page;
let errors: string[];

const text = (en: string, fr: string) => ({ en, fr });
const LIVESTOCK_FORM = {
  languages: ['en', 'fr'],
  default_language: 'en',
  schema: {
    type: 'object',
    properties: {
      area_code: { type: 'string' },
      attributes: { type: 'object', properties: { has_livestock: { type: 'boolean' }, livestock_count: { type: 'integer' } } },
    },
  },
  ui: {
    sections: [{
      id: 'farm',
      title: text('Farm', 'Ferme'),
      fields: [
        { path: 'attributes.has_livestock', type: 'boolean', label: text('Keeps livestock?', 'Possède du bétail ?'), required: true },
        { path: 'attributes.livestock_count', type: 'integer', label: text('How many animals?', "Combien d'animaux ?"), relevant: '${attributes.has_livestock} = true', constraint: '. >= 1', constraint_message: text('At least one', 'Au moins un') },
      ],
    }],
  },
};

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestHub({ env: { SRHUB_AUTH: 'on' } }), launchBrowser()]);
  const warm = warmConsole(t.url);
  admin = (await t.as(['administrator'])).headers;
  await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'Region 1' }, { headers: admin });
  const root = await userWithPassword(t, admin, 'admin-a', ['administrator']);
  ({ page, errors } = await newPage(browser));
  await warm;
  await signIn(page, t.url, root);
}, 60_000);
afterAll(async () => {
  await page?.context().close();
  await browser?.close();
  await t?.stop();
});

test('a form draft is edited, previewed with its skip logic, and published', async () => {
  const created = await t.post('/api/v1/forms', { form_id: 'livestock', title: text('Livestock', 'Bétail'), definition: LIVESTOCK_FORM }, { headers: admin });
  expect(created.status).toBe(201);

  await open(page, 'forms');
  await page.locator('[data-testid="form-row"][data-form-id="livestock"] [data-testid="edit-draft"]').click();
  await page.waitForSelector('#form-definition');
  const definition = JSON.parse(await page.inputValue('#form-definition'));
  definition.ui.sections[0].fields[1].label.en = 'Number of animals';
  await page.fill('#form-definition', JSON.stringify(definition, null, 2));
  await page.click('[data-testid="form-save"]');
  await page.waitForSelector('text=Draft saved.');
  const saved = (await t.get('/api/v1/forms/livestock/versions/1', { headers: admin })).body;
  expect(saved).toMatchObject({ status: 'draft', revision: 2 });
  expect(saved.definition.ui.sections[0].fields[1].label.en).toBe('Number of animals');

  // the preview runs core/forms in the page: the count is asked only for a household with livestock
  const count = '[data-testid="preview-field"][data-path="attributes.livestock_count"]';
  const keeps = '[data-testid="preview-field"][data-path="attributes.has_livestock"]';
  expect(await page.locator(count).count()).toBe(0);
  await page.selectOption(keeps, 'true');
  await page.waitForSelector(count);
  await page.fill(count, '0');
  await page.waitForSelector('text=At least one');
  await screenshots(page, 'console-form-editor');
  await page.selectOption(keeps, 'false');
  await page.waitForSelector(count, { state: 'detached' });
  expect(await page.textContent('[data-testid="preview-error-count"]')).toContain('answers: 0');

  await page.click('[data-testid="form-publish"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="form-status"]')?.textContent === 'published');
  expect((await t.get('/api/v1/forms/livestock/versions/1', { headers: admin })).body.status).toBe('published');
  expect(errors).toEqual([]);
});

test('a user created from the page signs in with the one-time password, changes it and uses the console', async () => {
  await open(page, 'users');
  await page.fill('#user-username', 'amina.reviewer');
  await page.fill('#user-display', 'Amina Reviewer');
  await page.check('#user-roles input[value="registry_officer"]');
  await page.click('[data-testid="create-user"]');
  const oneTime = (await page.locator('[data-testid="one-time-secret"]').textContent())!;
  expect(oneTime.length).toBeGreaterThanOrEqual(12);
  await page.waitForSelector('[data-testid="user-row"][data-username="amina.reviewer"]');
  await screenshots(page, 'console-users');

  // a taken username is refused next to the field
  await page.fill('#user-username', 'amina.reviewer');
  await page.check('#user-roles input[value="auditor"]');
  await page.click('[data-testid="create-user"]');
  await page.waitForSelector('#user-username-error');
  expect(await page.textContent('#user-username-error')).toContain('taken');
  errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('409')));

  // the first sign-in with the one-time password asks for a new one, then goes on into the console
  const other = await newPage(browser, 'phone');
  try {
    await other.page.goto(`${t.url}/console/`);
    await other.page.fill('#username', 'amina.reviewer');
    await other.page.fill('#password', oneTime);
    await other.page.click('form button[type="submit"]');
    await other.page.fill('#new-password', 'amina-new-password-1');
    await other.page.fill('#new-password-again', 'amina-new-password-2');
    await other.page.click('form button[type="submit"]');
    await other.page.waitForSelector('.notice-error');
    expect(await other.page.textContent('.notice-error')).toContain('differ');
    await other.page.fill('#new-password-again', 'amina-new-password-1');
    await other.page.click('form button[type="submit"]');
    await other.page.waitForSelector('[data-testid="signed-in-user"]');
    expect(await navLabels(other.page)).toContain('Reviews');
    expect(other.errors).toEqual([]);
  } finally {
    await other.context.close();
  }
  const token = await fetch(`${t.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'password', username: 'amina.reviewer', password: 'amina-new-password-1' }) });
  expect(token.status).toBe(200);
  expect((await token.json()).access_token.split('.')[1]).not.toContain(Buffer.from('"pwd_change"').toString('base64url').slice(0, 8));
  expect(errors).toEqual([]);
});

test('the audit page searches the log and verifies the chain', async () => {
  await open(page, 'audit');
  await page.click('[data-testid="audit-verify"]');
  const result = page.locator('[data-testid="audit-verify-result"]');
  await result.waitFor();
  expect(await result.getAttribute('data-valid')).toBe('true');
  const api = (await t.get('/api/v1/audit/verify', { headers: admin })).body;
  expect(api.valid).toBe(true);
  expect(await result.textContent()).toContain('entries checked');

  await page.fill('#audit-entity', 'user');
  await page.click('[data-testid="audit-search"]');
  await page.waitForSelector('[data-testid="audit-row"]');
  const rows = await page.locator('[data-testid="audit-row"]').allTextContents();
  expect(rows.every((r) => r.includes('user'))).toBe(true);
  await screenshots(page, 'console-audit');
  expect(errors).toEqual([]);
});

test('an assessment model draft is published and a new draft started; a program is activated', async () => {
  const definition = { intercept: 10, threshold: 8, indicators: [{ name: 'size', feature: 'household_size', weight: -0.5 }] };
  const model = (await t.post('/api/v1/assessment-models', { code: 'pmt', name: 'Proxy means test', definition }, { headers: admin })).body;
  await open(page, `models/${model.id}`);
  await page.click('[data-testid="model-publish"]');
  await page.click('[data-testid="model-new-draft"]');
  await page.waitForSelector('#draft-definition');
  const versions = (await t.get(`/api/v1/assessment-models/${model.id}`, { headers: admin })).body.versions;
  expect(versions.map((v: { version: number; status: string }) => `${v.version}:${v.status}`)).toEqual(['1:published', '2:draft']);

  const program = (await t.post('/api/v1/programs', { code: 'cash', name: 'Cash transfer', model_id: model.id, rules: [{ name: 'poor', expression: 'score < threshold' }] }, { headers: admin })).body;
  await open(page, `programs/${program.id}`);
  await page.click('[data-testid="program-activate"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="program-status"]')?.textContent === 'active');
  expect((await t.get(`/api/v1/programs/${program.id}`, { headers: admin })).body.status).toBe('active');
  expect(errors).toEqual([]);
});

test.each([
  ['models', 'Assessment models'],
  ['programs', 'Programs'],
  ['clients', 'API clients'],
  ['connectors', 'Connectors'],
  ['quality', 'Data quality'],
])('the %s page renders for an administrator', async (route, title) => {
  await open(page, route);
  expect(await page.textContent('main h1')).toBe(title);
  await page.waitForFunction(() => !document.querySelector('main .loading'));
  expect(await page.locator('main .notice-error').count()).toBe(0);
  await screenshots(page, `console-${route}`);
  expect(errors).toEqual([]);
});

test('a non-administrator sees no administration page, and the API refuses them', async () => {
  const officer = await userWithPassword(t, admin, 'officer-a', ['registry_officer']);
  const other = await newPage(browser);
  try {
    await signIn(other.page, t.url, officer);
    const labels = await navLabels(other.page);
    expect(labels).toEqual(expect.arrayContaining(['Reviews', 'Duplicates', 'Sync conflicts']));
    for (const admin of ['Forms', 'Assessment models', 'Programs', 'Users', 'API clients', 'Connectors', 'Data quality', 'Audit log']) expect(labels).not.toContain(admin);
    await other.page.evaluate(() => (location.hash = '#/users'));
    await other.page.waitForSelector('main >> text=There is no such page.');
    expect(other.errors).toEqual([]);
  } finally {
    await other.context.close();
  }
  const token = (await t.as(['registry_officer'])).headers;
  for (const path of ['/api/v1/users', '/api/v1/forms/livestock/versions/1/preview', '/api/v1/audit', '/api/v1/connectors', '/api/v1/assessment-models', '/api/v1/data-quality']) {
    const method = path.endsWith('preview') ? 'POST' : 'GET';
    expect({ path, status: (await t.request(method, path, method === 'POST' ? {} : undefined, { headers: token })).status }).toEqual({ path, status: 403 });
  }
});
