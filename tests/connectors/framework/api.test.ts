// The connectors' admin API and the workflow checks: configuration validated against the manifest (422 naming the
// field, nothing stored), secrets sealed and never returned, enable/disable, runs on demand, health; the checks of
// enabled connectors in hub.workflow.checks, needs_review when the connector cannot answer.
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { startFakeSystem, type FakeSystem } from './fake-system.js';
import { QUICK, startFixtureHub } from './helpers.js';

describe('connectors admin API', () => {
  let t: TestHub;
  let sys: FakeSystem;
  let admin: Record<string, string>;

  beforeAll(async () => {
    sys = await startFakeSystem();
    t = await startFixtureHub({ env: { SRHUB_AUTH: 'on' } });
    admin = (await t.as(['administrator'])).headers;
  });
  afterAll(async () => {
    await t?.stop();
    await sys?.stop();
  });

  it('lists the connectors and shows a manifest with its configuration schema', async () => {
    const list = await t.get('/api/v1/connectors', { headers: admin });
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: { id: string }) => c.id).sort()).toEqual(['flaky', 'solo']);
    expect(list.body.rejected.map((r: { folder: string }) => r.folder)).toEqual(['broken']);
    const one = await t.get('/api/v1/connectors/flaky', { headers: admin });
    expect(one.body).toMatchObject({ id: 'flaky', enabled: false, secret_keys: ['token'], secrets_set: [], checks: { 'flaky-verification': 'check' } });
    expect(one.body.jobs.events).toMatchObject({ events: ['household.registered'], on_demand: false });
    expect((await t.get('/api/v1/connectors/nope', { headers: admin })).status).toBe(404);
  });

  it('refuses a configuration that does not match the schema with 422 naming the field, and stores nothing', async () => {
    const bad = await t.request('PUT', '/api/v1/connectors/flaky/configuration', { configuration: { url: 'ftp://x', token: 'short', extra: 1 } }, { headers: admin });
    expect(bad.status).toBe(422);
    const fields = bad.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['body.configuration.extra', 'body.configuration.token', 'body.configuration.url']);
    const missing = await t.request('PUT', '/api/v1/connectors/flaky/configuration', { configuration: { url: sys.url } }, { headers: admin });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'body.configuration.token' })]);
    const badCron = await t.request('PUT', '/api/v1/connectors/flaky/configuration', { schedules: { scheduled: 'every day' } }, { headers: admin });
    expect(badCron.status).toBe(422);
    expect(badCron.body.errors).toContainEqual(expect.objectContaining({ field: 'body.schedules.scheduled' }));
    const badSettings = await t.request('PUT', '/api/v1/connectors/flaky/configuration', { settings: { retries: -1 } }, { headers: admin });
    expect(badSettings.status).toBe(400); // the document already refuses it
    expect(await t.hub.db.query(`select 1 from connector_config where connector_id = 'flaky'`)).toEqual([]);
    // a connector without a valid configuration cannot be enabled
    const enable = await t.post('/api/v1/connectors/flaky/enable', undefined, { headers: admin });
    expect(enable.status).toBe(422);
  });

  it('seals secrets, never returns them, keeps them when left out and removes them with null', async () => {
    const put = await t.request('PUT', '/api/v1/connectors/flaky/configuration', { configuration: { url: sys.url, token: 'very-secret-token' }, settings: QUICK }, { headers: admin });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ configuration: { url: sys.url }, secrets_set: ['token'], enabled: false });
    expect(JSON.stringify(put.body)).not.toContain('very-secret-token');
    const [row] = await t.hub.db.query<Record<string, unknown>>(`select * from connector_config where connector_id = 'flaky'`);
    expect(JSON.stringify(row)).not.toContain('very-secret-token');
    const got = await t.get('/api/v1/connectors/flaky', { headers: admin });
    expect(JSON.stringify(got.body)).not.toContain('very-secret-token');
    // left out: kept (the job still gets it)
    const mode = await t.request('PUT', '/api/v1/connectors/flaky/configuration', { configuration: { url: sys.url, mode: 'a' }, enabled: true }, { headers: admin });
    expect(mode.body).toMatchObject({ enabled: true, secrets_set: ['token'], configuration: { url: sys.url, mode: 'a' } });
    // null removes it, which the schema refuses (token is required)
    const cleared = await t.request('PUT', '/api/v1/connectors/flaky/configuration', { configuration: { url: sys.url, token: null } }, { headers: admin });
    expect(cleared.status).toBe(422);
    expect(cleared.body.errors[0].field).toBe('body.configuration.token');
    // the change was audited, naming the keys and never a value
    const audit = await t.hub.db.query<{ fields: string[] }>(`select fields from audit_log where entity = 'connector' and entity_id = 'flaky' order by id`);
    expect(audit.map((a) => a.fields)).toContainEqual(['configuration.url', 'configuration.token', 'settings']);
  });

  it('starts a run on demand (202, queued), lists and shows runs, and refuses what cannot run', async () => {
    const started = await t.post('/api/v1/connectors/flaky/runs', { job: 'call', data: { path: '/hello' } }, { headers: admin });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ job: 'call', trigger: 'on_demand', status: 'queued' });
    await t.hub.connectors.settle();
    const shown = await t.get(`/api/v1/connectors/flaky/runs/${started.body.id}`, { headers: admin });
    expect(shown.body).toMatchObject({ status: 'succeeded', counts: { 'http.calls': 1 } });
    expect(sys.hits.get('/hello')).toBe(1);
    const list = await t.get('/api/v1/connectors/flaky/runs?limit=1', { headers: admin });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].id).toBe(started.body.id);
    const notOnDemand = await t.post('/api/v1/connectors/flaky/runs', { job: 'events' }, { headers: admin });
    expect(notOnDemand.status).toBe(422);
    const unknown = await t.post('/api/v1/connectors/flaky/runs', { job: 'nope' }, { headers: admin });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('body.job');
    await t.post('/api/v1/connectors/flaky/disable', undefined, { headers: admin });
    const disabled = await t.post('/api/v1/connectors/flaky/runs', { job: 'call' }, { headers: admin });
    expect(disabled.status).toBe(409);
    expect((await t.post('/api/v1/connectors/flaky/enable', undefined, { headers: admin })).body.enabled).toBe(true);
  });

  it('needs connectors.manage', async () => {
    const officer = (await t.as(['registry_officer'])).headers;
    expect((await t.get('/api/v1/connectors', { headers: officer })).status).toBe(403);
    expect((await t.request('PUT', '/api/v1/connectors/flaky/configuration', { enabled: false }, { headers: officer })).status).toBe(403);
    expect((await t.get('/api/v1/connectors')).status).toBe(401);
  });

  it('adds the checks of enabled connectors to the workflow; they run the job and fall back to needs_review', async () => {
    const find = () => t.hub.workflow.checks.list().find((c) => c.name === 'flaky-verification');
    expect(find()).toBeDefined();
    const ctx = { principal: t.hub.connectors.principalOf('flaky') } as never;
    const subject = { caseId: 'case-1', household: { attributes: { want: 'passed' } } } as never;
    expect(await find()!.run(ctx, subject)).toEqual({ check: 'flaky-verification', outcome: 'passed', reason: 'checked', details: expect.objectContaining({ connector: 'flaky', case: 'case-1' }) });
    const [run] = await t.hub.db.query<{ trigger: string; status: string }>(`select trigger, status from connector_run where connector_id = 'flaky' and job = 'check'`);
    expect(run).toEqual({ trigger: 'check', status: 'succeeded' });
    // the external system is down: never a silent pass
    sys.outage = true;
    const down = await find()!.run(ctx, subject);
    expect(down).toMatchObject({ check: 'flaky-verification', outcome: 'needs_review', reason: 'connector_failed' });
    const open = await find()!.run(ctx, subject); // the breaker opened (3 failures)
    expect(open).toMatchObject({ outcome: 'needs_review', reason: 'connector_unavailable' });
    sys.outage = false;
    await t.post('/api/v1/connectors/flaky/disable', undefined, { headers: admin });
    expect(find()).toBeUndefined();
  });
});

describe('the example connector (written from docs/connectors.md)', () => {
  let t: TestHub;
  let sim: { url: string; stop(): Promise<void>; state: { prices: unknown[]; announcements: Map<string, unknown>; outage: boolean } };

  beforeAll(async () => {
    t = await startTestHub();
    const { startPriceApi } = await import('../../../connectors/example/simulator.js');
    sim = await startPriceApi({});
  });
  afterAll(async () => {
    await t?.stop();
    await sim?.stop();
  });

  it('loads from the connectors folder with the hub and runs its pull against its simulator', async () => {
    const example = t.hub.connectors.loaded.get('example');
    expect(example?.manifest.kinds).toEqual(['pull', 'push']);
    await t.hub.connectors.configure('example', example!.simulator!.demoConfiguration(sim.url), { enabled: true });
    const first = await t.hub.connectors.runNow('example', 'pull-prices');
    expect(first).toMatchObject({ status: 'succeeded', counts: { succeeded: 12 }, result: { applied: 12 } });
    const [maize] = await t.hub.db.query<{ value: { price: number } }>(`select value from connector_checkpoint where connector_id = 'example' and name = 'price:central:maize'`);
    expect(maize.value.price).toBe(100); // p0001, the only central maize observation
    // new observations: only they are applied
    (sim.state.prices as unknown[]).push({ id: 'p0013', market: 'central', commodity: 'maize', price: 250, observed_at: '2026-02-01T00:00:00.000Z' });
    const second = await t.hub.connectors.runNow('example', 'pull-prices');
    expect(second.counts).toMatchObject({ succeeded: 1 });
    const [latest] = await t.hub.db.query<{ value: { price: number } }>(`select value from connector_checkpoint where connector_id = 'example' and name = 'price:central:maize'`);
    expect(latest.value.price).toBe(250);
  });

  it('announces a registered household (ids and area code only), once', async () => {
    const { aHousehold } = await import('../../helpers/registry-data.js');
    await t.post('/api/v1/admin-areas', { code: 'EXA', name: 'Example' });
    const household = await t.post('/api/v1/households', aHousehold('EXA'));
    await t.hub.workflow.settle();
    await t.hub.connectors.settle();
    const sent = [...sim.state.announcements.values()];
    expect(sent).toEqual([{ household_id: household.body.id, area_code: 'EXA' }]);
  });

  it('demo mode starts every simulator, configures and enables its connector, and stops them with the hub', async () => {
    const { startDemoConnectors } = await import('../../../connectors/framework/demo.js');
    const started = await startDemoConnectors(t.hub.connectors, t.hub.log);
    const withSimulator = [...t.hub.connectors.loaded.values()].filter((c) => c.simulator).map((c) => c.manifest.id).sort();
    expect(started.map((s) => s.id).sort()).toEqual(withSimulator);
    const example = started.find((s) => s.id === 'example')!;
    const enabled = await t.hub.db.query<{ connector_id: string }>('select connector_id from connector_config where enabled order by 1');
    expect(enabled.map((r) => r.connector_id)).toEqual(withSimulator);
    expect((await t.hub.connectors.runNow('example', 'pull-prices')).status).toBe('succeeded');
    await t.hub.connectors.stop();
    await expect(fetch(`${example.url}/prices`)).rejects.toThrow();
  });
});
