// Two hubs (two runners) on one PostgreSQL and one Redis: BullMQ hands runs to both, and every run executes once;
// a schedule slot fires once; an outbox event starts one run; a run held by a dead instance is run again once.
import { randomBytes } from 'node:crypto';
import { postgresUrl, redisUrl } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aHousehold } from '../../helpers/registry-data.js';
import { FIXTURES_DIR, QUICK } from './helpers.js';

const available = Boolean(postgresUrl() && redisUrl());
// the suite needs both servers; without them it is reported as not run rather than passing silently
(available ? describe : describe.skip)('two runners on one PostgreSQL and one Redis', () => {
  let a: TestHub;
  let b: TestHub;

  beforeAll(async () => {
    a = await startTestHub({ db: 'postgres', cache: 'redis', env: { SRHUB_CONNECTORS_DIR: FIXTURES_DIR } });
    const shared = {
      SRHUB_CONNECTORS_DIR: FIXTURES_DIR,
      DATABASE_URL: a.hub.config.databaseUrl!,
      SRHUB_MASTER_KEY: a.hub.config.masterKey!.toString('base64'),
      SRHUB_REDIS_PREFIX: a.hub.config.redisKeyPrefix,
    };
    b = await startTestHub({ db: 'postgres', cache: 'redis', env: shared });
    await a.hub.connectors.configure('flaky', { url: 'http://127.0.0.1:9', token: 'secret-token' }, { enabled: true });
    await a.hub.db.query(`update connector_config set settings = $1::jsonb where connector_id = 'flaky'`, [JSON.stringify(QUICK)]);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('uses BullMQ on the shared Redis', () => {
    expect(a.hub.connectors.queue.engine).toBe('bullmq');
    expect(b.hub.connectors.queue.engine).toBe('bullmq');
  });

  it('executes each queued run exactly once, whichever hub queued it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await (i % 2 ? a : b).hub.connectors.enqueue('flaky', 'counted')).id);
    // hand every run to the queue again from both hubs: duplicates in the queue must not run twice
    for (const id of ids) {
      await a.hub.connectors.queue.add(id);
      await b.hub.connectors.queue.add(id, 5);
    }
    await Promise.all([a.hub.connectors.settle(), b.hub.connectors.settle()]);
    const runs = await a.hub.db.query<{ id: string; status: string; attempts: number; claimed_by: string }>(
      `select id, status, attempts, claimed_by from connector_run where id = any($1::uuid[])`,
      [ids],
    );
    expect(runs.map((r) => [r.status, r.attempts])).toEqual(Array(30).fill(['succeeded', 1]));
    const executed = await a.hub.db.query<{ name: string; value: number }>(`select name, value from connector_checkpoint where name like 'executed:%'`);
    expect(executed).toHaveLength(30);
    expect(executed.every((e) => e.value === 1)).toBe(true);
  });

  it('fires a schedule slot once across both hubs', async () => {
    await a.hub.connectors.tick();
    await a.hub.db.query(`update connector_schedule set next_run_at = now() - interval '1 minute' where connector_id = 'flaky' and job = 'scheduled'`);
    await Promise.all([a.hub.connectors.tick(), b.hub.connectors.tick(), a.hub.connectors.tick(), b.hub.connectors.tick()]);
    await Promise.all([a.hub.connectors.settle(), b.hub.connectors.settle()]);
    const runs = await a.hub.db.query(`select id from connector_run where connector_id = 'flaky' and job = 'scheduled'`);
    expect(runs).toHaveLength(1);
  });

  it('starts one run per batch of events although both hubs consume the outbox', async () => {
    const area = `T${randomBytes(2).toString('hex').toUpperCase()}`;
    await a.post('/api/v1/admin-areas', { code: area, name: 'Two' });
    const household = (await b.post('/api/v1/households', aHousehold(area))).body;
    await Promise.all([a.hub.outbox.drain(), b.hub.outbox.drain()]);
    await Promise.all([a.hub.connectors.settle(), b.hub.connectors.settle()]);
    const [seen] = await a.hub.db.query<{ value: number }>(`select value from connector_checkpoint where connector_id = 'flaky' and name = $1`, [`event:${household.id}`]);
    expect(seen.value).toBe(1);
  });

  it('runs again, once, a run whose instance died while holding it', async () => {
    // a run claimed by an instance that is gone: its lease ran out
    const run = await a.hub.connectors.enqueue('flaky', 'counted');
    await Promise.all([a.hub.connectors.settle(), b.hub.connectors.settle()]);
    const lost = await a.hub.db.query<{ id: string }>(
      `insert into connector_run (id, connector_id, job, trigger, status, requested_by, attempts, claimed_by, lease_until, started_at)
       values (gen_random_uuid(), 'flaky', 'counted', 'on_demand', 'running', 'test', 1, 'dead-instance', now() - interval '1 second', now())
       returning id`,
    );
    await Promise.all([a.hub.connectors.tick(), b.hub.connectors.tick()]);
    await Promise.all([a.hub.connectors.settle(), b.hub.connectors.settle()]);
    const [row] = await a.hub.db.query<{ status: string; attempts: number }>('select status, attempts from connector_run where id = $1', [lost[0].id]);
    expect(row).toEqual({ status: 'succeeded', attempts: 2 });
    const [executed] = await a.hub.db.query<{ value: number }>(`select value from connector_checkpoint where name = $1`, [`executed:${lost[0].id}`]);
    expect(executed.value).toBe(1);
    expect(run.status).toBe('queued');
  });
});
