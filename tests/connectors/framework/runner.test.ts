// The connector runner against a fake external system, on each engine pair (PGlite + memory queue, PostgreSQL +
// BullMQ on Redis): runs recorded before they start, retries with backoff, the circuit breaker, time limits,
// dead letters and re-runs, checkpoints, the concurrency limit.
import { backoffDelay } from '../../../connectors/framework/http.js';
import { postgresUrl, redisUrl } from '../../helpers/services.js';
import type { TestHub } from '../../helpers/test-hub.js';
import { startFakeSystem, type FakeSystem } from './fake-system.js';
import { checkpoint, QUICK, sleep, startFixtureHub } from './helpers.js';

const pairs: [string, { db: 'pglite' | 'postgres'; cache: 'memory' | 'redis' }][] = [['pglite + memory', { db: 'pglite', cache: 'memory' }]];
if (postgresUrl() && redisUrl()) pairs.push(['postgres + redis', { db: 'postgres', cache: 'redis' }]);

describe('backoffDelay', () => {
  it('waits between nothing and min(cap, base * 2^attempt) (full jitter)', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      expect(backoffDelay(attempt, 100, 5000, () => 0)).toBe(0);
      expect(backoffDelay(attempt, 100, 5000, () => 0.999999)).toBe(Math.floor(0.999999 * Math.min(5000, 100 * 2 ** attempt)));
    }
    expect(backoffDelay(10, 100, 5000, () => 0.5)).toBe(2500);
  });
});

describe.each(pairs)('connector runner (%s)', (_name, engines) => {
  let t: TestHub;
  let sys: FakeSystem;

  beforeAll(async () => {
    sys = await startFakeSystem();
    t = await startFixtureHub(engines);
  });
  afterAll(async () => {
    await t?.stop();
    await sys?.stop();
  });
  beforeEach(async () => {
    sys.outage = false;
    sys.delays.clear();
    sys.refused.clear();
    sys.hits.clear();
    await t.hub.db.query('delete from connector_breaker');
    await t.hub.connectors.configure('flaky', { url: sys.url, token: 'secret-token' }, { enabled: true });
    await t.hub.db.query(`update connector_config set settings = $1::jsonb where connector_id = 'flaky'`, [JSON.stringify(QUICK)]);
  });

  it('loads the connectors of the folder and leaves out a broken one, saying why', async () => {
    expect([...t.hub.connectors.loaded.keys()].sort()).toEqual(['flaky', 'solo']);
    const broken = t.hub.connectors.rejected.find((r) => r.folder === 'broken');
    expect(broken?.problems).toEqual(expect.arrayContaining([expect.stringContaining('manifest.configSchema'), expect.stringContaining('jobs.pull')]));
  });

  it('records a run as queued before it starts, then running, then how it ended', async () => {
    const queued = await t.hub.connectors.enqueue('flaky', 'introspect', undefined);
    expect(queued.status).toBe('queued');
    const [row] = await t.hub.db.query<{ id: string }>('select id from connector_run where id = $1', [queued.id]);
    expect(row?.id).toBe(queued.id);
    await t.hub.connectors.settle();
    const done = await t.get(`/api/v1/connectors/flaky/runs/${queued.id}`);
    expect(done.body).toMatchObject({ status: 'succeeded', trigger: 'on_demand', attempts: 1 });
    expect(done.body.log).toEqual([expect.objectContaining({ message: 'introspected' })]);
    const now = await t.hub.connectors.runNow('flaky', 'introspect');
    // the job saw its own row: running, queued no later than it started
    expect(now.result).toEqual({ status: 'running', queuedBeforeStart: true });
  });

  it('retries a retryable failure with backoff, then succeeds', async () => {
    sys.script('/wobbly', [503, 502]);
    const run = await t.hub.connectors.runNow('flaky', 'call', { path: '/wobbly' });
    expect(run.status).toBe('succeeded');
    expect(run.result).toEqual({ status: 200 });
    expect(sys.hits.get('/wobbly')).toBe(3);
    expect(run.counts).toMatchObject({ 'http.calls': 3, 'http.retries': 2 });
  });

  it('does not retry a POST unless the job says it is safe, nor a 4xx answer', async () => {
    sys.script('/post', [503]);
    const post = await t.hub.connectors.runNow('flaky', 'call', { path: '/post', method: 'POST', body: {} });
    expect(post.status).toBe('failed');
    expect(sys.hits.get('/post')).toBe(1);
    sys.script('/missing', [404]);
    const missing = await t.hub.connectors.runNow('flaky', 'call', { path: '/missing' });
    expect(missing.result).toEqual({ status: 404 });
    expect(sys.hits.get('/missing')).toBe(1);
  });

  it('opens the breaker after repeated failures, refuses calls while open, and closes after a successful probe', async () => {
    // a cool-down no test outlasts; "later" is made by moving the opening time back
    await t.hub.db.query(`update connector_config set settings = settings || '{"breakerCooldownMs": 600000}'::jsonb where connector_id = 'flaky'`);
    const coolDownPassed = () => t.hub.db.query(`update connector_breaker set opened_at = now() - interval '11 minutes' where connector_id = 'flaky'`);
    sys.outage = true;
    // 3 attempts (1 + 2 retries) reach the threshold of 3 consecutive failures
    const first = await t.hub.connectors.runNow('flaky', 'call', { path: '/down' });
    expect(first.status).toBe('failed');
    expect(sys.hits.get('/down')).toBe(3);
    expect((await t.get('/api/v1/connectors/flaky/health')).body.breaker).toMatchObject({ state: 'open', consecutive_failures: 3 });
    const refused = await t.hub.connectors.runNow('flaky', 'call', { path: '/down' });
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/circuit breaker/);
    expect(sys.hits.get('/down')).toBe(3); // nothing went out
    // after the cool-down one probe goes out; it fails: open again, and the retries meet the open breaker
    await coolDownPassed();
    const failedProbe = await t.hub.connectors.runNow('flaky', 'call', { path: '/down' });
    expect(failedProbe.status).toBe('failed');
    expect(sys.hits.get('/down')).toBe(4);
    expect((await t.get('/api/v1/connectors/flaky/health')).body.breaker.state).toBe('open');
    // the system is back: the next probe succeeds and closes the breaker
    sys.outage = false;
    await coolDownPassed();
    const probe = await t.hub.connectors.runNow('flaky', 'call', { path: '/down' });
    expect(probe.status).toBe('succeeded');
    const health = (await t.get('/api/v1/connectors/flaky/health')).body;
    expect(health.breaker).toEqual({ state: 'closed', consecutive_failures: 0, opened_at: null });
    expect(health.last_success_at).not.toBeNull();
    expect(health.runs_failed).toBeGreaterThanOrEqual(3);
  });

  it('stops a run at its time limit and commits nothing after it', async () => {
    await t.hub.db.query(`update connector_config set settings = settings || '{"timeoutMs": 300}'::jsonb where connector_id = 'flaky'`);
    const run = await t.hub.connectors.runNow('flaky', 'slow', { ms: 1500 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/timed out after 300 ms/);
    await sleep(1500); // the job's own work ends later: its transaction must not commit
    expect(await checkpoint(t, 'flaky', `slept:${run.id}`)).toBeUndefined();
  });

  it('gives up a slow HTTP answer after the attempt limit and retries it', async () => {
    await t.hub.db.query(`update connector_config set settings = settings || '{"httpTimeoutMs": 100, "retries": 1}'::jsonb where connector_id = 'flaky'`);
    sys.delays.set('/slow', 1000);
    const run = await t.hub.connectors.runNow('flaky', 'call', { path: '/slow' });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/timed out/);
    expect(run.counts['http.calls']).toBe(2);
  });

  it('dead-letters failing items (sealed), finishes the rest, and re-runs only those items', async () => {
    sys.refused = new Set([2, 4]);
    const run = await t.hub.connectors.runNow('flaky', 'items', { items: [1, 2, 3, 4, 5].map((n) => ({ n, marker: `item-marker-${n}` })) });
    expect(run.status).toBe('partial');
    expect(run.counts).toMatchObject({ succeeded: 3, failed: 2 });
    const shown = await t.get(`/api/v1/connectors/flaky/runs/${run.id}`);
    expect(shown.body.dead_letter_items.map((d: { error: string }) => d.error)).toEqual(['item 2 refused with 422', 'item 4 refused with 422']);
    expect(JSON.stringify(shown.body)).not.toContain('item-marker');
    const stored = await t.hub.db.query<{ item_sealed: string }>('select item_sealed from connector_dead_letter where run_id = $1', [run.id]);
    expect(stored).toHaveLength(2);
    expect(stored.map((s) => s.item_sealed).join()).not.toContain('item-marker');
    // the run's input is sealed too
    const [input] = await t.hub.db.query<{ input_sealed: string }>('select input_sealed from connector_run where id = $1', [run.id]);
    expect(input.input_sealed).not.toContain('item-marker');

    sys.refused.clear();
    const rerun = await t.post(`/api/v1/connectors/flaky/runs/${run.id}/rerun`, undefined);
    expect(rerun.status).toBe(202);
    expect(rerun.body).toMatchObject({ trigger: 'rerun', rerun_of: run.id, status: 'queued' });
    await t.hub.connectors.settle();
    const after = await t.get(`/api/v1/connectors/flaky/runs/${rerun.body.id}`);
    expect(after.body).toMatchObject({ status: 'succeeded', counts: { succeeded: 2 } });
    for (const n of [1, 2, 3, 4, 5]) expect(await checkpoint(t, 'flaky', `applied:${n}`)).toBe(1);
    // each dead letter is re-run once
    const again = await t.post(`/api/v1/connectors/flaky/runs/${run.id}/rerun`, undefined);
    expect(again.status).toBe(409);
  });

  it('resumes a pull from its checkpoint after a run was cut off, applying every change once', async () => {
    sys.changes = [1, 2, 3, 4, 5].map((id) => ({ id }));
    await t.hub.db.query(`delete from connector_checkpoint where connector_id = 'flaky' and (name = 'cursor' or name like 'pulled:%')`);
    // the run dies (its time limit) while change 3's detail hangs; the limit leaves changes 1 and 2 ample time
    await t.hub.db.query(`update connector_config set settings = settings || '{"timeoutMs": 8000, "httpTimeoutMs": 30000, "retries": 0}'::jsonb where connector_id = 'flaky'`);
    sys.delays.set('/details/3', 30_000);
    const cut = await t.hub.connectors.runNow('flaky', 'pull');
    expect(cut.status).toBe('failed');
    expect(await checkpoint(t, 'flaky', 'cursor')).toBe(2);
    sys.delays.clear();
    const resumed = await t.hub.connectors.runNow('flaky', 'pull');
    expect(resumed.status).toBe('succeeded');
    expect(resumed.counts.succeeded).toBe(3);
    for (const id of [1, 2, 3, 4, 5]) expect(await checkpoint(t, 'flaky', `pulled:${id}`)).toBe(1);
    expect(await checkpoint(t, 'flaky', 'cursor')).toBe(5);
    // nothing new: a run applies nothing
    const idle = await t.hub.connectors.runNow('flaky', 'pull');
    expect(idle.counts.succeeded ?? 0).toBe(0);
  });

  it('keeps to the concurrency limit', async () => {
    await t.hub.connectors.configure('solo', {}, { enabled: true });
    for (let i = 0; i < 6; i++) await t.hub.connectors.enqueue('solo', 'work');
    await t.hub.connectors.settle();
    const runs = await t.hub.db.query<{ status: string }>(`select status from connector_run where connector_id = 'solo'`);
    expect(runs.map((r) => r.status)).toEqual(Array(6).fill('succeeded'));
    expect(await checkpoint(t, 'solo', 'max')).toBe(1);
  });

  it('starts runs for registry events (the connector enabled), in the outbox consumer\'s transaction', async () => {
    const area = `E${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
    await t.post('/api/v1/admin-areas', { code: area, name: 'Events' });
    const { aHousehold } = await import('../../helpers/registry-data.js');
    const created = await t.post('/api/v1/households', aHousehold(area));
    expect(created.status).toBe(201);
    await t.hub.connectors.settle();
    expect(await checkpoint(t, 'flaky', `event:${created.body.id}`)).toBe(1);
    // disabled: the events pass by
    await t.hub.connectors.setEnabled('flaky', false);
    const second = await t.post('/api/v1/households', aHousehold(area));
    await t.hub.connectors.settle();
    expect(await checkpoint(t, 'flaky', `event:${second.body.id}`)).toBeUndefined();
  });

  it('fires a schedule slot once, and not again until the next slot', async () => {
    await t.hub.connectors.tick(); // creates the schedule row at its next slot
    await t.hub.db.query(`update connector_schedule set next_run_at = now() - interval '1 minute' where connector_id = 'flaky' and job = 'scheduled'`);
    await Promise.all([t.hub.connectors.tick(), t.hub.connectors.tick()]);
    await t.hub.connectors.tick();
    await t.hub.connectors.settle();
    const runs = await t.hub.db.query<{ status: string; trigger: string }>(`select status, trigger from connector_run where connector_id = 'flaky' and job = 'scheduled'`);
    expect(runs).toEqual([{ status: 'succeeded', trigger: 'schedule' }]);
    const [slot] = await t.hub.db.query<{ later: boolean }>(`select next_run_at > now() as later from connector_schedule where connector_id = 'flaky' and job = 'scheduled'`);
    expect(slot.later).toBe(true);
  });

  it('refuses a queued run of a disabled connector instead of running it', async () => {
    await t.hub.connectors.setEnabled('flaky', false);
    const run = await t.hub.connectors.runNow('flaky', 'call', { path: '/never' });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/disabled/);
    expect(sys.hits.get('/never')).toBeUndefined();
  });
});
