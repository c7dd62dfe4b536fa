// The run lease: an instance renews the lease of the run it is working on, so a run longer than the lease is never
// taken by the sweeper; a run whose instance stopped renewing (it died) is queued again once the lease runs out,
// without waiting for the run's whole time limit.
import type { TestHub } from '../../helpers/test-hub.js';
import { startFakeSystem, type FakeSystem } from './fake-system.js';
import { QUICK, sleep, startFixtureHub } from './helpers.js';

const LEASE_MS = 1500;

describe('connector run lease', () => {
  let t: TestHub;
  let sys: FakeSystem;

  beforeAll(async () => {
    sys = await startFakeSystem();
    t = await startFixtureHub({ db: 'pglite', cache: 'memory', env: { SRHUB_CONNECTOR_LEASE_MS: String(LEASE_MS) } });
    await t.hub.connectors.configure('flaky', { url: sys.url, token: 'secret-token' }, { enabled: true });
    await t.hub.db.query(`update connector_config set settings = $1::jsonb where connector_id = 'flaky'`, [
      JSON.stringify({ ...QUICK, httpTimeoutMs: 20_000 }),
    ]);
  });
  afterAll(async () => {
    await t?.stop();
    await sys?.stop();
  });

  const runRow = async (id: string) =>
    (
      await t.hub.db.query<{ status: string; attempts: number; lease_left_ms: number | null }>(
        `select status, attempts, (extract(epoch from lease_until - now()) * 1000)::int as lease_left_ms from connector_run where id = $1`,
        [id],
      )
    )[0];

  it('keeps renewing the lease of a run that outlasts it, so the sweeper never takes it twice', async () => {
    sys.delays.set('/long', 3 * LEASE_MS);
    const queued = await t.hub.connectors.enqueue('flaky', 'call', { path: '/long' });
    await sleep(2 * LEASE_MS); // past the first lease
    await t.hub.connectors.tick(); // the sweeper looks for abandoned runs
    const during = await runRow(queued.id);
    expect(during).toMatchObject({ status: 'running', attempts: 1 });
    expect(during.lease_left_ms).toBeGreaterThan(0);
    await t.hub.connectors.settle();
    expect(await runRow(queued.id)).toMatchObject({ status: 'succeeded', attempts: 1, lease_left_ms: null });
    expect(sys.hits.get('/long')).toBe(1);
  });

  it('queues again, after the lease only, a run whose instance stopped renewing it', async () => {
    const queued = await t.hub.connectors.enqueue('flaky', 'introspect', undefined);
    await t.hub.connectors.settle();
    // as if a dead instance had claimed it: running, its lease about to end, nobody renewing it
    await t.hub.db.query(
      `update connector_run set status = 'running', claimed_by = 'dead-instance', attempts = 1, finished_at = null,
              lease_until = now() + make_interval(secs => $2::double precision / 1000) where id = $1`,
      [queued.id, LEASE_MS],
    );
    await t.hub.connectors.tick();
    expect(await runRow(queued.id)).toMatchObject({ status: 'running', attempts: 1 });
    await sleep(LEASE_MS + 200);
    await t.hub.connectors.tick();
    await t.hub.connectors.settle();
    expect(await runRow(queued.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });
});
