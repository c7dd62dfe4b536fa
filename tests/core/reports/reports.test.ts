// Reports over a registry made through the API: totals equal a reference computed here from the registry's own list
// and read answers, small cells are withheld (with their complements), area-limited callers see only their areas,
// CSV says the same as JSON, population denominators load all or nothing, and the dashboard is cached until the
// registry changes.
import { randomUUID } from 'node:crypto';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aHousehold } from '../../helpers/registry-data.js';
import { cacheEngines, dbEngines } from '../../helpers/services.js';
import { ageBand, createCountry, parseCsv, referenceCoverage, registerCountry, registrySnapshot, type Headers, type RefHousehold } from './fixtures.js';

const engines = dbEngines().map((db, i) => [db, cacheEngines()[i % cacheEngines().length]] as const);

describe.each(engines)('reports on %s with the %s cache', (db, cache) => {
  let t: TestHub;
  let admin: Headers;
  let policymaker: Headers;
  let reference: RefHousehold[];

  beforeAll(async () => {
    t = await startTestHub({ db, cache, env: { SRHUB_AUTH: 'on' } });
    admin = (await t.as(['administrator'])).headers;
    policymaker = (await t.as(['policymaker'])).headers;
    await createCountry(t, admin);
    await registerCountry(t, (await t.as(['registry_officer'])).headers);
    reference = await registrySnapshot(t, admin);
  }, 240_000);
  afterAll(() => t.stop());

  const get = async (path: string, headers = policymaker) => {
    const res = await t.get(path, { headers });
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    return res.body;
  };
  const row = (body: { rows: Record<string, unknown>[] }, code: string) => body.rows.find((r) => r.area_code === code)!;

  it('counts what the registry holds: totals and every visible cell equal the reference', async () => {
    const countries = await get('/api/v1/reports/coverage');
    const all = reference.filter((h) => h.active);
    expect(countries.totals).toMatchObject({
      households: all.length,
      persons: all.reduce((n, h) => n + h.living.length, 0),
    });
    expect(countries.totals.households).toBe(20);
    expect(countries.totals.persons).toBe(20 * 3 - 1);

    const regions = await get('/api/v1/reports/coverage?area_code=AM');
    expect(regions.parameters.level).toBe(1);
    expect(regions.rows.map((r: { area_code: string }) => r.area_code)).toEqual(['AM-R1', 'AM-R2']);
    for (const code of ['AM-R1', 'AM-R2']) {
      const ref = referenceCoverage(reference, code);
      const got = row(regions, code);
      expect({ code, households: got.households, persons: got.persons }).toEqual({ code, households: ref.households, persons: ref.persons });
    }
    // one deregistered household and one death, both in AM-R1: shown apart, and withheld (a count of 1)
    expect(row(regions, 'AM-R1')).toMatchObject({ deregistered_households: null, deceased_persons: null });
    expect(row(regions, 'AM-R1').suppressed).toEqual(expect.arrayContaining(['deregistered_households', 'deceased_persons']));
    expect(row(regions, 'AM-R2')).toMatchObject({ deregistered_households: 0, deceased_persons: 0 });
  });

  it('withholds small cells and their complements, never a count of 1 to 4, and keeps totals whole', async () => {
    const districts = await get('/api/v1/reports/coverage?area_code=AM&level=2');
    expect(districts.min_cell).toBe(5);
    const ref = Object.fromEntries(['AM-R1-D1', 'AM-R1-D2', 'AM-R2-D1', 'AM-R2-D2'].map((c) => [c, referenceCoverage(reference, c)]));
    // AM-R1's districts are large: shown as they are
    for (const code of ['AM-R1-D1', 'AM-R1-D2']) expect(row(districts, code)).toMatchObject({ households: ref[code].households, persons: ref[code].persons });
    // AM-R2-D1 has 2 households: its row is withheld, and so is its sibling (AM-R2's total is public at level 1)
    expect(row(districts, 'AM-R2-D1')).toMatchObject({ households: null, persons: null });
    expect(row(districts, 'AM-R2-D2')).toMatchObject({ households: null, persons: null });
    expect(districts.totals).toMatchObject({ households: 20, persons: 59 });
    for (const r of [...districts.rows, districts.totals]) {
      for (const c of ['households', 'persons', 'deregistered_households', 'deceased_persons']) {
        const v = r[c];
        expect({ c, v, small: typeof v === 'number' && v > 0 && v < 5 }).toEqual({ c, v, small: false });
        if (v === null) expect(r.suppressed).toContain(c);
      }
    }
    // the pyramid: an area's cells form one line whose total is public, so a lone small cell takes another along
    const pyramid = await get('/api/v1/reports/age-sex?area_code=AM-R1&level=2');
    const cells = (code: string) => pyramid.rows.filter((r: { area_code: string }) => r.area_code === code);
    const expected = new Map<string, number>();
    for (const h of reference.filter((x) => x.active && x.area_code === 'AM-R1-D1')) {
      for (const p of h.living) expected.set(`${ageBand(p.birth_date)}|${p.sex}`, (expected.get(`${ageBand(p.birth_date)}|${p.sex}`) ?? 0) + 1);
    }
    let shown = 0;
    for (const r of cells('AM-R1-D1')) {
      for (const sex of ['male', 'female', 'other', 'unknown']) {
        const want = expected.get(`${r.age_band}|${sex}`) ?? 0;
        if (r[sex] === null) expect(want).toBeGreaterThan(0);
        else {
          expect({ band: r.age_band, sex, n: r[sex] }).toEqual({ band: r.age_band, sex, n: want });
          shown += r[sex];
        }
      }
    }
    expect(shown).toBe(17); // 6 mothers, 6 fathers, 5 living daughters: all at least 5
    const small = await get('/api/v1/reports/age-sex?area_code=AM-R2-D1&level=2');
    expect(small.rows.flatMap((r: Record<string, unknown>) => ['male', 'female', 'other', 'unknown'].map((s) => r[s])).filter((v: unknown) => v !== 0 && v !== null)).toEqual([]);
  });

  it('limits an area-limited caller to their areas, whatever they ask for', async () => {
    const r1 = (await t.as(['policymaker'], ['AM-R1'])).headers;
    const top = await get('/api/v1/reports/coverage', r1);
    expect(top.rows.map((r: { area_code: string }) => r.area_code)).toEqual(['AM-R1']);
    expect(top.totals).toMatchObject({ households: referenceCoverage(reference, 'AM-R1').households, persons: referenceCoverage(reference, 'AM-R1').persons });
    const districts = await get('/api/v1/reports/coverage?level=2', r1);
    expect(districts.rows.map((r: { area_code: string }) => r.area_code)).toEqual(['AM-R1-D1', 'AM-R1-D2']);
    const other = await t.get('/api/v1/reports/household-size?area_code=AM-R2', { headers: r1 });
    expect(other.status).toBe(422);
    expect(other.body.errors).toEqual([expect.objectContaining({ field: 'query.area_code' })]);
    const byChannel = await get('/api/v1/reports/registrations?format=json', r1);
    expect(byChannel.rows.reduce((n: number, r: { total: number | null }) => n + (r.total ?? 0), 0)).toBe(12);
    const dashboard = await get('/api/v1/dashboard', r1);
    expect(dashboard).toMatchObject({ areas: ['AM-R1'], households: 11, persons: 32 });
    for (const path of ['/api/v1/reports/disability', '/api/v1/reports/verification', '/api/v1/reports/age-sex', '/api/v1/data-quality']) {
      const body = await get(`${path}?level=1`, r1);
      expect({ path, areas: [...new Set(body.rows.map((r: { area_code: string }) => r.area_code))] }).toEqual({ path, areas: ['AM-R1'] });
    }
  });

  it('answers the same table in CSV, by ?format=csv or by Accept, with withheld cells marked', async () => {
    const json = await get('/api/v1/reports/coverage?area_code=AM&level=2');
    for (const options of [{ path: '/api/v1/reports/coverage?area_code=AM&level=2&format=csv', accept: undefined },
      { path: '/api/v1/reports/coverage?area_code=AM&level=2', accept: 'text/csv' }]) {
      const res = await t.get(options.path, { headers: { ...policymaker, ...(options.accept ? { accept: options.accept } : {}) } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      const [header, ...lines] = parseCsv(res.body);
      expect(header).toEqual(json.columns);
      expect(lines).toHaveLength(json.rows.length + 1);
      json.rows.forEach((r: Record<string, unknown>, i: number) => {
        header.forEach((c, j) => {
          const want = (r.suppressed as string[]).includes(c) ? 'suppressed' : r[c] === null ? '' : String(r[c]);
          expect({ c, v: lines[i][j] }).toEqual({ c, v: want });
        });
      });
      expect(lines[lines.length - 1][0]).toBe('TOTAL');
      expect(lines[lines.length - 1][header.indexOf('persons')]).toBe('59');
    }
    const preferJson = await t.get('/api/v1/reports/coverage', { headers: { ...policymaker, accept: 'application/json, text/csv;q=0.5' } });
    expect(preferJson.headers.get('content-type')).toMatch(/json/);
  });

  it('registrations over time by channel, with the small channel and its complement withheld', async () => {
    const body = await get('/api/v1/reports/registrations?area_code=AM');
    const month = new Date().toISOString().slice(0, 7);
    const current = body.rows.find((r: { period: string }) => r.period.startsWith(month));
    // 6 online, 13 mobile, 2 in person: in_person withheld, and the smallest other (online) with it
    expect(current).toMatchObject({ online: null, mobile: 13, in_person: null, bulk_import: 0, connector: 0, total: 21 });
    const persons = await get('/api/v1/reports/registrations?area_code=AM&measure=persons&bucket=day');
    const today = persons.rows.find((r: { period: string }) => r.period === new Date().toISOString().slice(0, 10));
    // every person registered today, the deregistered household's (its memberships stay) and the deceased included
    expect(today.total).toBe(21 * 3);
    const bad = await t.get('/api/v1/reports/registrations?bucket=day&from=2000-01-01&to=2026-01-01', { headers: policymaker });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('query.from');
  });

  it('loads population figures all or nothing and rolls them up to coverage', async () => {
    const bad = await t.request('PUT', '/api/v1/reports/population', { year: 2024, source: 'Census', figures: [{ area_code: 'AM-R1', population: 100 }, { area_code: 'ZZ-9', population: 5 }] }, { headers: admin });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'body.figures[1].area_code' })]);
    expect((await get('/api/v1/reports/population')).items).toEqual([]);
    const forbidden = await t.request('PUT', '/api/v1/reports/population', { year: 2024, source: 'x', figures: [{ area_code: 'AM', population: 1 }] }, { headers: policymaker });
    expect(forbidden.status).toBe(403);

    const loaded = await t.request('PUT', '/api/v1/reports/population', { year: 2024, source: 'Census 2024', figures: [
      { area_code: 'AM-R1', population: 100 }, { area_code: 'AM-R2-D1', population: 40, households: 10 }, { area_code: 'AM-R2-D2', population: 60, households: 15 }] }, { headers: admin });
    expect(loaded.body).toEqual({ year: 2024, loaded: 3, replaced: 0 });
    const csv = await t.request('PUT', '/api/v1/reports/population', { year: 2023, source: 'Projection', csv: 'area_code,population,households\r\nAM,150,\r\n' }, { headers: admin });
    expect(csv.status).toBe(200);
    const badCsv = await t.request('PUT', '/api/v1/reports/population', { year: 2022, source: 'x', csv: 'area_code,population\nAM,many\n' }, { headers: admin });
    expect(badCsv.status).toBe(400);
    expect(badCsv.body.errors[0].field).toBe('body.csv line 2: population');

    const regions = await get('/api/v1/reports/coverage?area_code=AM');
    expect(regions.parameters.year).toBe(2024);
    expect(row(regions, 'AM-R1')).toMatchObject({ population: 100, population_households: null, person_coverage: 0.32, household_coverage: null });
    expect(row(regions, 'AM-R2')).toMatchObject({ population: 100, population_households: 25, person_coverage: 0.27, household_coverage: 0.36 });
    expect(regions.totals.population).toBe(200);
    const older = await get('/api/v1/reports/coverage?year=2023');
    expect(row(older, 'AM')).toMatchObject({ population: 150, person_coverage: Math.round((59 / 150) * 1e4) / 1e4 });
    expect((await t.get('/api/v1/reports/coverage?year=1999', { headers: policymaker })).status).toBe(422);
  });

  it('reports household sizes, disability and verification over the same persons', async () => {
    const sizes = await get('/api/v1/reports/household-size?area_code=AM-R1&level=2');
    // one household of 2 (the daughter died): withheld, with the smallest other cell so 6 - 5 cannot give it back
    expect(row(sizes, 'AM-R1-D1')).toMatchObject({ households: 6, size_3: null, size_2: null, size_1: 0 });
    expect(row(sizes, 'AM-R1-D2')).toMatchObject({ households: 5, size_3: 5, size_2: 0 });
    const disability = await get('/api/v1/reports/disability?area_code=AM');
    expect(row(disability, 'AM-R1')).toMatchObject({ persons: 32, any_disability: 0, no_disability: 32 });
    const verification = await get('/api/v1/reports/verification?area_code=AM');
    expect(row(verification, 'AM-R2')).toMatchObject({ persons: 27, verified: 0, never_verified: 27, share_verified: 0 });
  });

  it('serves the dashboard from its cache until the registry changes, then from the new data', async () => {
    await t.hub.outbox.drain();
    const before = await get('/api/v1/dashboard');
    const coverage = await get('/api/v1/reports/coverage');
    expect(before).toMatchObject({ households: coverage.totals.households, persons: coverage.totals.persons, areas: null });
    expect(before.trend).toHaveLength(12);
    expect(before.trend[11].month).toBe(new Date().toISOString().slice(0, 7));
    expect(before.new_this_month).toEqual({ households: before.trend[11].households, persons: before.trend[11].persons });
    expect(before.eligible_per_program).toEqual([]);

    // a write that bypasses the registry (no event): the cached figures stay
    await t.hub.db.query(
      `insert into household (id, area_code, channel, created_by, updated_by) values ($1, 'AM-R1-D1', 'online', 'test', 'test')`, [randomUUID()]);
    expect((await get('/api/v1/dashboard')).households).toBe(before.households);
    // a registration: its event moves the generation, and the next page view recomputes
    const officer = (await t.as(['registry_officer'])).headers;
    expect((await t.post('/api/v1/households', aHousehold('AM-R2-D2'), { headers: officer })).status).toBe(201);
    await t.hub.outbox.drain();
    const after = await get('/api/v1/dashboard');
    expect(after).toMatchObject({ households: before.households + 2, persons: before.persons + 3 });
    expect(after.new_this_month.households).toBe(before.new_this_month.households + 2);
  });
});
