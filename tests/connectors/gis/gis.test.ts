// The GIS connector end to end against its simulator over HTTP: the 'geocoding' registration check (address and GPS,
// refinement, mismatch, unknown places), registered households placed from outbox events (consent first, once),
// the cache, an outage that opens the breaker and a recovery that closes it, and slow answers cut by the time limit.
import { breakerView } from '../../../connectors/framework/breaker.js';
import { toCheckResult } from '../../../connectors/framework/checks.js';
import { buildGazetteer } from '../../../connectors/gis/gazetteer.js';
import gis from '../../../connectors/gis/index.js';
import { type GeocoderSimulator } from '../../../connectors/gis/simulator.js';
import { loadDemoBoundaries } from '../../../core/registry/areas/demo-boundaries.js';
import { aPerson } from '../../helpers/registry-data.js';
import { cacheEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { connectorsOf, FAST, sleep, type ConnectorsUnderTest } from './connector-hub.js';

const gazetteer = buildGazetteer();
const areaOf = (place: string) => gazetteer.entries.find((e) => e.name === place && e.kind === 'place')!.areaCode;
const districtBox = (code: string) => gazetteer.entries.find((e) => e.areaCode === code && e.kind === 'district')!.box;

describe.each(cacheEngines())('the GIS connector (cache: %s)', (cache) => {
  let t: TestHub;
  let sim: GeocoderSimulator;
  let c: ConnectorsUnderTest;
  beforeAll(async () => {
    t = await startTestHub({ cache });
    await loadDemoBoundaries(t.hub.db);
    sim = await gis.simulator!.start({}) as GeocoderSimulator;
    c = await connectorsOf(t);
    await c.configure('gis', gis.simulator!.demoConfiguration(sim.url), FAST);
  }, 180_000);
  afterAll(async () => {
    await c?.stop();
    await sim?.stop();
    await t?.stop();
  });
  beforeEach(() => sim.behave({ mode: 'normal', delayMs: 0 }));

  const check = async (household: Record<string, unknown>) => {
    const run = await c.service.runNow('gis', 'geocode', { caseId: '00000000-0000-7000-8000-000000000001', household: { members: [], ...household } });
    return { run, result: toCheckResult('geocoding', 'gis', run) };
  };

  it('geocodes an address, refines the declared area and proposes both as a patch', async () => {
    const { run, result } = await check({ area_code: 'AM-R1', address: 'Plot 12, Uhuru Street, Forodhani' });
    expect(run.status).toBe('succeeded');
    expect(result).toMatchObject({ check: 'geocoding', outcome: 'passed', details: { source: 'geocoder', area_code: areaOf('Forodhani'), precision: 'point' } });
    expect(result.patch!.area_code).toBe(areaOf('Forodhani'));
    const { latitude, longitude } = result.patch!.location!;
    const located = await t.get(`/api/v1/admin-areas:locate?lat=${latitude}&lon=${longitude}`);
    expect(located.body.area.code).toBe(areaOf('Forodhani'));
    // the plot number never left the hub; what did is in the audit log
    expect(sim.queries.at(-1)).toBe('Uhuru Street, Forodhani');
    const audited = await t.hub.db.query<{ actor: string; fields: string[] }>(
      `select actor, fields from audit_log where entity = 'registration_case' and entity_id = $1`,
      ['00000000-0000-7000-8000-000000000001'],
    );
    expect(audited).toContainEqual({ actor: 'connector:gis', fields: ['address'] });
  });

  it('places a GPS point from the field and fills a missing address by reverse geocoding', async () => {
    const box = districtBox('AM-R4-D2');
    const location = { latitude: (box.south + box.north) / 2, longitude: (box.west + box.east) / 2 };
    const { result } = await check({ area_code: 'AM', location });
    expect(result.outcome).toBe('passed');
    expect(result.patch).toEqual({ area_code: 'AM-R4-D2', address: expect.stringContaining('Kiboko') });
  });

  it('keeps a declared area that is already the located one and proposes nothing', async () => {
    const box = districtBox('AM-R2-D1');
    const { result } = await check({ area_code: 'AM-R2-D1', address: 'Ring Road 4', location: { latitude: box.south + 0.01, longitude: box.west + 0.01 } });
    expect(result).toMatchObject({ outcome: 'passed', details: { area_code: 'AM-R2-D1', source: 'gps' } });
    expect(result.patch).toBeUndefined();
  });

  it('sends a location outside the declared area to review, changing nothing', async () => {
    const { result } = await check({ area_code: 'AM-R2', address: 'Bandari Road, Mji Mkongwe' });
    expect(result).toMatchObject({ outcome: 'needs_review', reason: 'area_mismatch', details: { declared_area: 'AM-R2', located_area: areaOf('Mji Mkongwe') } });
    expect(result.patch).toBeUndefined();
  });

  it('skips an address the gazetteer does not know, and reviews GPS points outside every area', async () => {
    expect((await check({ area_code: 'AM-R1', address: 'Somewhere Unknown Lane' })).result).toMatchObject({ outcome: 'skipped', reason: 'address_not_found' });
    expect((await check({ area_code: 'AM-R1' })).result).toMatchObject({ outcome: 'skipped', reason: 'nothing_to_geocode' });
    expect((await check({ area_code: 'AM-R1', location: { latitude: 10, longitude: 10 } })).result).toMatchObject({ outcome: 'needs_review', reason: 'location_outside_areas' });
  });

  it('answers repeated lookups from the cache', async () => {
    const before = sim.lookups.search;
    const first = await check({ area_code: 'AM-R3', address: 'House 7, Rue des Puits, Kidira' });
    const second = await check({ area_code: 'AM-R3', address: 'Plot 99, Rue des Puits, Kidira' }); // the same once numbers are dropped
    expect(sim.lookups.search).toBe(before + 1);
    expect(second.run.counts['cache.hits']).toBe(1);
    expect(second.result.patch).toEqual(first.result.patch);
  });

  it('opens the breaker during an outage, refuses calls while open, and closes after a successful probe', async () => {
    // a cool-down far longer than the test while it checks that nothing goes out; then a short one to probe
    await c.configure('gis', gis.simulator!.demoConfiguration(sim.url), { ...FAST, breakerCooldownMs: 600_000 });
    try {
      sim.behave({ mode: 'outage' });
      const failed = await check({ area_code: 'AM-R5', address: 'Calle Real, San Isidro' });
      expect(failed.run.status).toBe('failed');
      expect(failed.result).toMatchObject({ outcome: 'needs_review' });
      expect((await breakerView(t.hub.db, 'gis')).state).toBe('open');

      const calls = sim.lookups.search;
      const refused = await check({ area_code: 'AM-R5', address: 'Calle Real, San Isidro' });
      expect(refused.result).toMatchObject({ outcome: 'needs_review', reason: 'connector_unavailable' });
      expect(sim.lookups.search).toBe(calls); // nothing went out

      sim.behave({ mode: 'normal' });
      await c.configure('gis', gis.simulator!.demoConfiguration(sim.url), FAST);
      await sleep(FAST.breakerCooldownMs! + 50);
      const recovered = await check({ area_code: 'AM-R5', address: 'Calle Real, San Isidro' });
      expect(recovered.result).toMatchObject({ outcome: 'passed', patch: { area_code: areaOf('San Isidro') } });
      expect((await breakerView(t.hub.db, 'gis')).state).toBe('closed');
    } finally {
      await c.configure('gis', gis.simulator!.demoConfiguration(sim.url), FAST);
    }
  });

  it('cuts slow answers at the HTTP time limit', async () => {
    // a limit a normal answer meets on a loaded machine, and a stall far past it
    await c.configure('gis', gis.simulator!.demoConfiguration(sim.url), { ...FAST, httpTimeoutMs: 2_000, retries: 0, breakerFailures: 5 });
    try {
      sim.behave({ mode: 'slow', delayMs: 10_000 });
      const slow = await check({ area_code: 'AM-R5', address: 'Avenida del Lago, Laguna Verde' });
      expect(slow.run.status).toBe('failed');
      expect(slow.run.error).toMatch(/timed out/);
      expect(slow.result.outcome).toBe('needs_review');
      sim.behave({ mode: 'normal' });
      expect((await check({ area_code: 'AM-R5', address: 'Avenida del Lago, Laguna Verde' })).result.outcome).toBe('passed');
    } finally {
      await c.configure('gis', gis.simulator!.demoConfiguration(sim.url), FAST);
    }
  });

  it('places a household registered through the workflow: the check\'s patch reaches the registry', async () => {
    const submitted = await t.post('/api/v1/registrations', {
      channel: 'online',
      household: {
        area_code: 'AM-R1',
        address: 'Plot 8, Msikiti Street, Makunduchi',
        members: [{ relationship: 'SELF', person: aPerson({ given_name: 'Halima', family_name: `Geocoded${cache}`, birth_date: '1990-01-02' }) }],
      },
    });
    expect(submitted.status).toBe(202);
    await t.hub.workflow.settle();
    const registered = (await t.get(`/api/v1/registrations/${submitted.body.id}`)).body;
    expect(registered.checks).toContainEqual(expect.objectContaining({ check: 'geocoding', outcome: 'passed' }));
    expect(registered).toMatchObject({ status: 'registered' });
    const household = (await t.get(`/api/v1/households/${registered.household_id}`)).body;
    expect(household.area_code).toBe(areaOf('Makunduchi'));
    expect(household.location).toEqual({ latitude: expect.any(Number), longitude: expect.any(Number) });
  });

  describe('registered households', () => {
    const register = async (overrides: Record<string, unknown>) => {
      const res = await t.post('/api/v1/households', {
        area_code: 'AM-R1',
        address: 'Plot 3, Bandari Road, Mji Mkongwe',
        members: [{ relationship: 'SELF', person: aPerson() }],
        ...overrides,
      });
      expect(res.status).toBe(201);
      return res.body;
    };
    const enrich = (householdId: string) => c.service.runNow('gis', 'enrich', { household_ids: [householdId] });

    it('are geocoded only when consent or an agreement allows the address to go out', async () => {
      const household = await register({});
      const refused = await enrich(household.id);
      expect(refused.counts['skipped.consent']).toBe(1);
      expect((await t.get(`/api/v1/households/${household.id}`)).body.location).toBeNull();

      const agreement = await t.post('/api/v1/consent/agreements', {
        code: `geocoding-${cache}`,
        purpose_code: 'registration',
        purpose_text: { en: 'Placing registered households in their admin area' },
        lawful_basis: 'public_task',
        categories: ['address'],
        recipients: ['connector:gis'],
        controller: { name: 'Ministry of Social Protection' },
        retention_days: 30,
        max_validity_days: 365,
      });
      expect(agreement.status).toBe(201);
      expect((await t.post(`/api/v1/consent/agreements/${agreement.body.id}/publish`, {})).status).toBe(200);

      // the run triggered by the registration event may place it first: either way it is placed once, not twice
      const placed = await enrich(household.id);
      expect(placed.status).toBe('succeeded');
      await c.service.settle();
      const after = (await t.get(`/api/v1/households/${household.id}`)).body;
      expect(after.area_code).toBe(areaOf('Mji Mkongwe'));
      expect(after.location).toEqual({ latitude: expect.any(Number), longitude: expect.any(Number) });
      expect(after.channel).toBe('online');
      const history = (await t.get(`/api/v1/households/${household.id}/history`)).body.items; // newest first
      expect(history[0]).toMatchObject({ changed_by: 'connector:gis', channel: 'connector' });
      expect(history.filter((h: { changed_by: string }) => h.changed_by === 'connector:gis')).toHaveLength(1);

      // run again (a retry): nothing more changes
      const again = await enrich(household.id);
      expect(again.counts['households.updated']).toBeUndefined();
      expect((await t.get(`/api/v1/households/${household.id}`)).body.version).toBe(after.version);
    });

    it('are placed from the outbox when registered without a location', async () => {
      const household = await register({ address: 'Uhuru Street, Chumbe' });
      await t.hub.outbox.drain();
      await c.service.settle();
      const after = (await t.get(`/api/v1/households/${household.id}`)).body;
      expect(after.area_code).toBe(areaOf('Chumbe'));
      expect(after.location).not.toBeNull();
    });

    it('leave a household whose point is outside its area as it is', async () => {
      const household = await register({ area_code: 'AM-R2', address: 'Sokoni Lane, Kilindoni' });
      const run = await enrich(household.id);
      expect(run.counts).toMatchObject({ 'placement.mismatch': 1 });
      expect((await t.get(`/api/v1/households/${household.id}`)).body).toMatchObject({ area_code: 'AM-R2', location: null, version: household.version });
    });
  });
});
