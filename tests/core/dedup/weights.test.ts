// GET /api/v1/dedup/weights: what each comparison level adds to a score, for reviewers who may not read the m/u
// settings; it follows the settings an administrator saves.
import { DEFAULT_SETTINGS } from '../../../core/dedup/settings.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({ env: { SRHUB_AUTH: 'on' } });
});
afterAll(() => t?.stop());

test('reviewers read the points of each level under the settings in force; field workers may not', async () => {
  const reviewer = (await t.as(['registry_officer'])).headers;
  const first = await t.get('/api/v1/dedup/weights', { headers: reviewer });
  expect(first.status).toBe(200);
  expect(first.body.settings_version).toBe(0);
  expect(first.body.thresholds).toEqual({ match: 20, possible_match: 10 });
  expect(first.body.weights.name.exact).toBeCloseTo(Math.log2(0.6 / 0.0005), 2);
  expect(first.body.weights.area.disagree).toBeCloseTo(Math.log2(0.15 / 0.9), 2);
  expect(Object.keys(first.body.weights).sort()).toEqual(['area', 'birth_date', 'identifier', 'name', 'phone', 'sex']);

  const admin = (await t.as(['administrator'])).headers;
  const settings = structuredClone(DEFAULT_SETTINGS);
  settings.levels.sex.agree = { m: 0.9, u: 0.45 };
  settings.thresholds.match = 22;
  expect((await t.request('PUT', '/api/v1/dedup/settings', settings, { headers: admin, ifMatch: 0 })).status).toBe(200);
  const after = (await t.get('/api/v1/dedup/weights', { headers: reviewer })).body;
  expect(after).toMatchObject({ settings_version: 1, thresholds: { match: 22, possible_match: 10 } });
  expect(after.weights.sex.agree).toBeCloseTo(1, 2);

  expect((await t.get('/api/v1/dedup/weights', { headers: (await t.as(['field_worker'])).headers })).status).toBe(403);
});
