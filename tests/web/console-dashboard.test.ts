// The console's executive dashboard and policy simulation in headless Chromium, on the demo country (~90 seeded
// households, its area boundaries) with one active program: a staff member signs in through the form; every number the pages
// show is the API's own figure, read here with the same rights; a simulation runs (202, polled) and its deltas are
// the stored result's.
import type { Browser, Page } from 'playwright-core';
import { SYSTEM_PRINCIPAL } from '../../core/server/principal.js';
import { systemContext } from '../../core/server/context.js';
import { loadDemoBoundaries } from '../../core/registry/areas/demo-boundaries.js';
import { seedPersons } from '../../core/seed/seed.js';
import { MODEL_V1 } from '../core/assessment/fixtures.js';
import { launchBrowser, newPage, screenshots } from '../helpers/browser.js';
import { postgresUrl } from '../helpers/services.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { shown, signIn, staffAccount, type StaffAccount } from './console-helpers.js';

let t: TestHub;
let browser: Browser;
let api: Record<string, string>;
let admin: Record<string, string>;
let staff: StaffAccount;
let page: Page;
let errors: string[];
let programId: string;
let seeded: { households: number; persons: number };

const get = async <T = any>(path: string, headers = api) => {
  const res = await t.get<T>(path, { headers });
  expect(res.status).toBe(200);
  return res.body;
};

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestHub({ db: postgresUrl() ? 'postgres' : 'pglite', env: { SRHUB_AUTH: 'on' } }), launchBrowser()]);
  const hub = t.hub;
  // the demo country's areas with a few hundred people (enough for cells above the small-count threshold)
  seeded = await seedPersons(systemContext(hub.config, hub.db, hub.secrets, hub.log, SYSTEM_PRINCIPAL, hub), 400, 7);
  await loadDemoBoundaries(hub.db);
  admin = (await t.as(['administrator'])).headers;
  const model = await t.post('/api/v1/assessment-models', { code: 'pmt', name: 'PMT', definition: MODEL_V1 }, { headers: admin });
  await t.post(`/api/v1/assessment-models/${model.body.id}/versions/1/publish`, undefined, { headers: admin });
  await hub.assessment.settle();
  const program = await t.post('/api/v1/programs', {
    code: 'cash', name: 'Cash transfer', model_id: model.body.id, rules: [{ name: 'poor', expression: 'score < threshold' }],
    benefit_per_household: 100, benefit_per_member: 10,
  }, { headers: admin });
  programId = program.body.id;
  await t.post(`/api/v1/programs/${programId}/activate`, undefined, { headers: admin });
  await hub.outbox.drain();
  // a policymaker holds reports.read only: the map and the policy in force come from the console's own operations
  staff = await staffAccount(t, ['policymaker']);
  api = (await t.as(['policymaker'])).headers;
  ({ page, errors } = await newPage(browser));
  await signIn(page, t.url, staff);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/** The cells of a chart's data table, row by row. */
const tableOf = (id: string) =>
  page.$$eval(`[data-testid="${id}"] tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));

test('the dashboard shows the API figures: key numbers, coverage map, pyramid, registrations by channel, eligible households', async () => {
  await page.goto(`${t.url}/console/#/dashboard`);
  await page.waitForSelector('[data-testid=kpi-households]');
  await page.waitForSelector('[data-testid=chart-coverage-map] svg path');
  await page.waitForSelector('[data-testid=chart-pyramid] svg');
  await page.waitForSelector('[data-testid=chart-registrations] svg');
  await page.waitForSelector('[data-testid=chart-eligible] svg');

  const dashboard = await get('/api/v1/dashboard');
  expect(dashboard.households).toBe(seeded.households);
  for (const [id, value] of [['households', dashboard.households], ['persons', dashboard.persons], ['verified', dashboard.verified_persons],
    ['new-households', dashboard.new_this_month.households], ['new-persons', dashboard.new_this_month.persons]] as const) {
    const card = page.locator(`[data-testid=kpi-${id}]`);
    expect(await card.getAttribute('data-value')).toBe(value === null ? '' : String(value));
    if (value !== null) expect(await card.locator('.value').textContent()).toBe(shown(value));
  }

  // no population figures are loaded: coverage is not available rather than withheld
  expect(dashboard.population).toBeNull();
  expect(await page.locator('[data-testid=kpi-coverage] .value').textContent()).toBe('n/a');

  // the map: one path per district boundary (the GIS boundaries), shaded from coverage by district; its table lists coverage's rows
  const features = (await get('/api/v1/admin-areas:boundaries?level=2', admin)).features;
  expect(await page.locator('[data-testid=chart-coverage-map] path.map-area').count()).toBe(features.length);
  const coverage = await get('/api/v1/reports/coverage?level=2');
  expect(await tableOf('chart-coverage-map-table')).toEqual(
    coverage.rows.map((r: any) => [r.area_name, r.households === null ? 'withheld' : shown(r.households)]),
  );
  const fills = await page.$$eval('[data-testid=chart-coverage-map] path.map-area', (paths) => new Set(paths.map((p) => p.getAttribute('fill'))).size);
  expect(fills).toBeGreaterThan(1);

  // the pyramid: the API's bands summed over its rows (level 0: the country), unknown ages in no bar
  const ageSex = await get('/api/v1/reports/age-sex');
  const bands = ageSex.rows.filter((r: any) => r.age_band !== 'unknown');
  expect(await tableOf('chart-pyramid-table')).toEqual(
    bands.map((r: any) => [r.age_band, r.male === null ? 'withheld' : shown(r.male), r.female === null ? 'withheld' : shown(r.female)]),
  );

  // registrations by month and channel: the seed registered everything now, so this month holds every household
  const registrations = await get('/api/v1/reports/registrations?bucket=month&measure=households');
  const table = await tableOf('chart-registrations-table');
  expect(table).toEqual(registrations.rows.map((r: any) => [
    String(r.period).slice(0, 7), ...['online', 'mobile', 'in_person', 'bulk_import', 'connector', 'total'].map((c) => (r[c] === null ? 'withheld' : shown(r[c]))),
  ]));
  expect(table.at(-1)!.at(-1)).toBe(shown(seeded.households));

  // eligible households per program
  expect(dashboard.eligible_per_program).toHaveLength(1);
  expect(await tableOf('chart-eligible-table')).toEqual([['Cash transfer', shown(dashboard.eligible_per_program[0].eligible_households)]]);

  // switching the map to regions redraws it from the regions' boundaries
  await page.selectOption('[data-testid=map-level]', '1');
  const regions = (await get('/api/v1/admin-areas:boundaries?level=1', admin)).features.length;
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=chart-coverage-map] path.map-area').length === n, regions);
  await page.selectOption('[data-testid=map-level]', '2');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=chart-coverage-map] path.map-area').length === n, features.length);

  await screenshots(page, 'console-dashboard');
  expect(errors).toEqual([]);
}, 60_000);

test('a simulation raises the threshold, runs in the background and shows the deltas of the stored result', async () => {
  await page.goto(`${t.url}/console/#/simulation`);
  const threshold = page.locator('[data-testid=sim-threshold]');
  await threshold.waitFor();
  expect(await threshold.inputValue()).toBe(String(MODEL_V1.threshold));
  await threshold.fill('9');
  await page.fill('[data-testid=sim-benefit_per_member]', '15');
  const posted = page.waitForResponse((r) => r.url().endsWith('/api/v1/simulations') && r.request().method() === 'POST');
  await page.click('[data-testid=sim-run]');
  const answer = await posted;
  expect(answer.status()).toBe(202);
  expect(JSON.parse(answer.request().postData()!)).toMatchObject({ program_id: programId, scenario: { model: { threshold: 9 }, benefit_per_member: 15 } });

  const result = page.locator('[data-testid=sim-result]');
  await result.waitFor({ timeout: 30_000 });
  const id = await result.getAttribute('data-simulation-id');
  const stored = await get(`/api/v1/simulations/${id}`);
  expect(stored.status).toBe('done');
  const r = stored.result;
  expect(r.delta.newly_included.households).toBeGreaterThan(0);
  for (const key of ['households', 'persons'] as const) {
    const card = page.locator(`[data-testid=sim-${key}]`);
    expect(await card.getAttribute('data-baseline')).toBe(String(r.baseline[key]));
    expect(await card.getAttribute('data-scenario')).toBe(String(r.scenario[key]));
    expect(await card.locator('.value').textContent()).toBe(shown(r.scenario[key]));
  }
  expect(await page.locator('[data-testid=sim-included]').getAttribute('data-value')).toBe(String(r.delta.newly_included.households));
  expect(await page.locator('[data-testid=sim-excluded]').getAttribute('data-value')).toBe(String(r.delta.newly_excluded.households));
  // by area: the chart's table and the comparison table hold the stored by_area rows
  expect(await tableOf('chart-sim-areas-table')).toEqual(r.by_area.map((a: any) => [a.area_code, shown(a.newly_included), shown(a.newly_excluded)]));
  const rows = await tableOf('sim-area-table');
  expect(rows.map((row) => [row[0], row[1], row[2]])).toEqual(r.by_area.map((a: any) => [a.area_code, shown(a.baseline_households), shown(a.scenario_households)]));

  await screenshots(page, 'console-simulation');
  expect(errors).toEqual([]);
}, 60_000);
