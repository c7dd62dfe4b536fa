// GET /api/v1/reports/coverage-map (openapi/hub/console-a.yaml): the coverage report's rows as the areas' boundaries,
// the same figures, scoping and withheld cells, readable with reports.read alone; areas without a boundary and rows of
// households registered above the level are listed as unmapped. And GET /api/v1/programs/{id}/policy: the policy in
// force a simulation starts from, with the published model's definition, for policymakers.
import { loadDemoBoundaries } from '../../../core/registry/areas/demo-boundaries.js';
import { createCountryAreas } from '../../../core/seed/country.js';
import { MODEL_V1 } from '../assessment/fixtures.js';
import { aHousehold } from '../../helpers/registry-data.js';
import { postgresUrl } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

let t: TestHub;
let admin: Record<string, string>;
let policymaker: Record<string, string>;

beforeAll(async () => {
  t = await startTestHub({ db: postgresUrl() ? 'postgres' : 'pglite', env: { SRHUB_AUTH: 'on', SRHUB_REPORTS_MIN_CELL: '3' } });
  await createCountryAreas(t.hub.db);
  await loadDemoBoundaries(t.hub.db);
  admin = (await t.as(['administrator'])).headers;
  policymaker = (await t.as(['policymaker'])).headers;
  // 4 households in one district, 1 in another (withheld: below 3), 1 registered at a region itself, and a region
  // created here with no boundary
  await t.post('/api/v1/admin-areas', { code: 'AM-R9', name: 'New region', parent_code: 'AM' }, { headers: admin });
  const registrations = [...Array(4).fill('AM-R1-D1'), 'AM-R2-D1', 'AM-R3', 'AM-R9'];
  for (const area of registrations) expect((await t.post('/api/v1/households', aHousehold(area), { headers: admin })).status).toBe(201);
}, 120_000);
afterAll(() => t?.stop());

const get = async (path: string, headers = policymaker, accept?: string) => {
  const res = await t.get(path, { headers: { ...headers, ...(accept ? { accept } : {}) } });
  expect({ path, status: res.status }).toEqual({ path, status: 200 });
  return res;
};

const FIGURES = ['households', 'persons', 'deregistered_households', 'deceased_persons', 'population', 'population_households', 'person_coverage', 'household_coverage', 'suppressed'];

test('each feature is an area of the coverage report with its figures; the others are unmapped', async () => {
  for (const level of [1, 2]) {
    const coverage = (await get(`/api/v1/reports/coverage?level=${level}`)).body;
    const map = (await get(`/api/v1/reports/coverage-map?level=${level}`)).body;
    const boundaries = (await get(`/api/v1/admin-areas:boundaries?level=${level}`, admin)).body.features;
    const mapped = coverage.rows.filter((r: any) => r.rows_cover !== 'direct' && boundaries.some((b: any) => b.id === r.area_code));
    expect(map.features.map((f: any) => f.id)).toEqual(mapped.map((r: any) => r.area_code));
    for (const feature of map.features) {
      const row = coverage.rows.find((r: any) => r.area_code === feature.id);
      expect(feature.properties).toEqual({ ...feature.properties, ...Object.fromEntries(FIGURES.map((f) => [f, row[f]])), name: row.area_name });
      expect(feature.geometry).toEqual(boundaries.find((b: any) => b.id === feature.id).geometry);
    }
    expect(map.unmapped.sort()).toEqual(coverage.rows.filter((r: any) => !mapped.includes(r)).map((r: any) => r.area_code).sort());
  }
  const districts = (await get('/api/v1/reports/coverage-map?level=2')).body;
  const feature = (code: string) => districts.features.find((f: any) => f.id === code).properties;
  expect(feature('AM-R1-D1')).toMatchObject({ households: 4, persons: 12, suppressed: [] });
  expect(feature('AM-R2-D1')).toMatchObject({ households: null, suppressed: expect.arrayContaining(['households']) });
  // AM-R3's own household is a 'direct' row; AM-R9 has no boundary
  expect(districts.unmapped).toEqual(expect.arrayContaining(['AM-R3', 'AM-R9']));
  expect((await get('/api/v1/reports/coverage-map?level=1')).body.unmapped).toEqual(['AM-R9']);
});

test('an area-limited caller gets only their areas; GeoJSON media type on request; registry.read alone is refused', async () => {
  const limited = (await t.as(['policymaker'], ['AM-R1'])).headers;
  const map = (await get('/api/v1/reports/coverage-map?level=2', limited)).body;
  expect(map.features.length).toBeGreaterThan(0);
  expect(map.features.every((f: any) => f.id.startsWith('AM-R1-'))).toBe(true);
  const geo = await get('/api/v1/reports/coverage-map', policymaker, 'application/geo+json');
  expect(geo.headers.get('content-type')).toContain('application/geo+json');
  expect(geo.body.type).toBe('FeatureCollection');
  const officer = (await t.as(['registry_officer'])).headers;
  expect((await t.get('/api/v1/reports/coverage-map', { headers: officer })).status).toBe(403);
  expect((await t.get('/api/v1/reports/coverage-map?level=99', { headers: policymaker })).status).toBe(400);
});

test('the policy in force: rules, benefits and the published model (not a later draft) for a policymaker; null model without one; 404 unknown', async () => {
  const model = await t.post('/api/v1/assessment-models', { code: 'pmt', name: 'PMT', definition: MODEL_V1 }, { headers: admin });
  const rules = [{ name: 'poor', expression: 'score < threshold' }];
  await t.post(`/api/v1/assessment-models/${model.body.id}/versions/1/publish`, undefined, { headers: admin });
  const ranked = await t.post('/api/v1/programs', { code: 'cash', name: 'Cash', model_id: model.body.id, rules, benefit_per_household: 100, benefit_per_member: 10 }, { headers: admin });
  expect(ranked.status).toBe(201);
  // a second version, still a draft, is not the policy in force
  expect((await t.post(`/api/v1/assessment-models/${model.body.id}/versions`, { definition: { ...MODEL_V1, threshold: 99 } }, { headers: admin })).status).toBe(201);
  const policy = (await get(`/api/v1/programs/${ranked.body.id}/policy`)).body;
  expect(policy).toEqual({
    program_id: ranked.body.id, code: 'cash', name: 'Cash', status: 'draft', version: ranked.body.version, rules,
    max_households: null, budget: null, benefit_per_household: 100, benefit_per_member: 10,
    model: { id: model.body.id, code: 'pmt', name: 'PMT', version: 1, definition: MODEL_V1 },
  });
  const plain = await t.post('/api/v1/programs', { code: 'flat', name: 'Flat', rules: [{ name: 'kids', expression: 'children >= 1' }] }, { headers: admin });
  expect((await get(`/api/v1/programs/${plain.body.id}/policy`)).body).toMatchObject({ code: 'flat', model: null });
  expect((await t.get('/api/v1/programs/00000000-0000-7000-8000-000000000000/policy', { headers: policymaker })).status).toBe(404);
  expect((await t.get(`/api/v1/programs/${plain.body.id}/policy`, { headers: (await t.as(['field_worker'])).headers })).status).toBe(403);
});
