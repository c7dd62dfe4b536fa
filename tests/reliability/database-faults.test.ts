// The hub (a real process) on a PostgreSQL cluster and a Redis server of the test's own, which the test stops and
// starts under a steady write load (the machine's shared servers are never touched): PostgreSQL crashing and coming
// back, Redis gone and back, every database connection taken. The hub must answer 503 with Retry-After (never a
// 500, never a dropped connection), say it is not ready while PostgreSQL is gone, recover without a restart, and
// lose nothing it acknowledged; writes answered 503 are sent again with their Idempotency-Key and applied once.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DEMO_API_KEY, startPriceApi } from '../../connectors/example/simulator.js';
import { callHub, CHILD_START_TIMEOUT_MS, stopGracefully, waitUntil } from '../helpers/child-hub.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../helpers/private-services.js';
import { sendWrite, startWriteLoad, type Write } from './write-load.js';

const AREA = 'RF1';
const POOL_SIZE = 6;
const ACQUIRE_TIMEOUT_MS = 2000;

describe('database and cache faults under load (private PostgreSQL and Redis)', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let databaseUrl: string;
  let dataDir: string;
  let hub: HubProcess;
  let prices: Awaited<ReturnType<typeof startPriceApi>>;
  const figures = { faults: 0, writes: 0, unavailable: 0, checked: 0 };

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    databaseUrl = await postgres.createDatabase('srhub_faults');
    dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-faults-'));
    prices = await startPriceApi({ port: 0 });
    hub = await startHubProcess([], {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      SRHUB_REDIS_PREFIX: 'faults:',
      SRHUB_DATA_DIR: dataDir,
      SRHUB_AUTH: 'off',
      SRHUB_MASTER_KEY: randomBytes(32).toString('base64'),
      SRHUB_EGRESS_ALLOW: 'loopback',
      SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      SRHUB_DB_POOL_SIZE: String(POOL_SIZE),
      SRHUB_DB_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
    }, CHILD_START_TIMEOUT_MS);
    expect((await callHub(hub, 'POST', '/api/v1/admin-areas', { code: AREA, name: 'Faults' })).status).toBe(201);
    const configured = await callHub(hub, 'PUT', '/api/v1/connectors/example/configuration', {
      configuration: { baseUrl: prices.url, apiKey: DEMO_API_KEY },
      enabled: true,
    });
    expect(configured.status).toBe(200);
  }, CHILD_START_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    if (hub?.child.exitCode !== null) console.log(`the hub exited ${hub?.child.exitCode}: ${hub?.output().slice(-4000)}`);
    if (hub) await stopGracefully(hub);
    await prices?.stop();
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    console.log(`database and cache faults: ${figures.faults} faults injected, ${figures.writes} writes (${figures.unavailable} answers 503), ${figures.checked} records checked, lost: 0`);
  });

  const ready = async () => {
    const res = await fetch(`${hub.url}/ready`);
    return { status: res.status, body: (await res.json()) as { status: string; checks: { database: string; cache: string } } };
  };
  const stored = async (ids: string[]) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>('select id from household where id = any($1::uuid[])', [ids]);
      const [{ n }] = (await client.query<{ n: string }>('select count(*) as n from household where area_code = $1', [AREA])).rows;
      return { found: new Set(rows.map((r) => r.id)), total: Number(n) };
    } finally {
      await client.end();
    }
  };
  const alive = () => expect(hub.child.exitCode).toBeNull();
  let allWrites: Write[] = [];

  it('keeps serving from PostgreSQL while Redis is down, queues connector runs in process, and uses Redis again once it is back', async () => {
    expect((await ready()).body.checks).toEqual({ database: 'up', cache: 'up' });
    await redis.stop();
    figures.faults += 1;
    await waitUntil('the hub to see Redis gone', async () => ((await ready()).body.checks.cache === 'down' ? true : undefined));
    // still ready: only the database decides
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'up', cache: 'down' } } });

    const failures: string[] = [];
    const during: Write[] = Array.from({ length: 8 }, (_, i) => ({ key: `redis-down-${i}`, given: `RedisDown${i}`, statuses: [] }));
    for (const write of during) expect(await sendWrite(hub, AREA, write, failures)).toBe(201);
    expect(failures).toEqual([]);
    // reads, a cached report, and an on-demand connector run (BullMQ cannot take it: the hub runs it itself)
    expect((await callHub(hub, 'GET', `/api/v1/households/${during[0].id}`)).status).toBe(200);
    expect((await callHub(hub, 'GET', '/api/v1/dashboard')).status).toBe(200);
    const run = await callHub(hub, 'POST', '/api/v1/connectors/example/runs', { job: 'pull-prices' });
    expect(run.status).toBe(202);
    await waitUntil('the pull run to end while Redis is down', async () => {
      const r = await callHub(hub, 'GET', `/api/v1/connectors/example/runs/${run.body.id}`);
      return r.body?.status === 'succeeded' ? true : undefined;
    }, 60_000);
    expect(hub.output()).toMatch(/Redis unreachable, the run is queued in this process/);
    // every household registered during the outage was announced by the connector (outbox -> run -> in-process queue)
    const announced = () => new Set([...prices.state.announcements.values()].map((a) => a.household_id));
    await waitUntil('announcements of the households registered without Redis', async () => (during.every((w) => announced().has(w.id!)) ? true : undefined), 60_000);

    await redis.start();
    await waitUntil('the hub to reconnect to Redis', async () => ((await ready()).body.checks.cache === 'up' ? true : undefined), 60_000);
    const after: Write = { key: 'redis-back', given: 'RedisBack', statuses: [] };
    expect(await sendWrite(hub, AREA, after, failures)).toBe(201);
    const again = await callHub(hub, 'POST', '/api/v1/connectors/example/runs', { job: 'pull-prices' });
    expect(again.status).toBe(202);
    await waitUntil('a pull run through BullMQ again', async () => ((await callHub(hub, 'GET', `/api/v1/connectors/example/runs/${again.body.id}`)).body?.status === 'succeeded' ? true : undefined), 60_000);
    await waitUntil('the announcement after Redis is back', async () => (announced().has(after.id!) ? true : undefined), 60_000);
    // one announcement per household (keyed by its registration event)
    const byHousehold = [...prices.state.announcements.values()].map((a) => a.household_id);
    expect(new Set(byHousehold).size).toBe(byHousehold.length);
    allWrites = [...during, after];
    figures.writes += allWrites.length;
    figures.checked += allWrites.length; // each announced
    alive();
  }, 240_000);

  it('answers 503 with Retry-After while PostgreSQL is down, recovers by itself when it is back, and loses nothing it acknowledged', async () => {
    const load = startWriteLoad(hub, AREA);
    try {
      await waitUntil('writes acknowledged before the crash', async () => (load.acknowledged() >= 10 ? true : undefined), 60_000);
      await postgres.stop('immediate'); // a crash of the server: sessions cut, recovery from WAL at the next start
      figures.faults += 1;
      const down = await waitUntil('the hub to report not ready', async () => {
        const r = await ready();
        return r.status === 503 ? r : undefined;
      });
      expect(down.body).toEqual({ status: 'not_ready', checks: { database: 'down', cache: 'up' } });
      const unavailableBefore = load.unavailable();
      await waitUntil('writes refused while PostgreSQL is down', async () => (load.unavailable() >= unavailableBefore + 10 ? true : undefined));
      expect((await fetch(`${hub.url}/health`)).status).toBe(200);

      await postgres.start();
      await waitUntil('the hub to be ready again without a restart', async () => ((await ready()).status === 200 ? true : undefined), 60_000);
      const acknowledged = load.acknowledged();
      await waitUntil('writes acknowledged after the restart', async () => (load.acknowledged() >= acknowledged + 10 ? true : undefined), 60_000);
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
    expect(load.unavailable()).toBeGreaterThanOrEqual(10);
    // the refused writes again, with their keys: each applied once, whether or not its first attempt had committed
    await load.retryUnacknowledged(60_000);
    expect(load.failures).toEqual([]);
    allWrites = [...allWrites, ...load.writes];
    figures.writes += load.writes.length;
    figures.unavailable += load.unavailable();
    const ids = allWrites.map((w) => w.id!);
    expect(new Set(ids).size).toBe(ids.length);
    const { found, total } = await stored(ids);
    expect(ids.filter((id) => !found.has(id))).toEqual([]);
    expect(total).toBe(ids.length);
    figures.checked += ids.length;
    alive();
  }, 240_000);

  it('answers 503 with Retry-After when every database connection is taken, and serves again once they are free', async () => {
    // a lock held from outside: every write holds its connection waiting for it, until the pool has none left
    const blocker = new pg.Client({ connectionString: databaseUrl });
    await blocker.connect();
    const failures: string[] = [];
    const writes: Write[] = Array.from({ length: POOL_SIZE * 3 }, (_, i) => ({ key: `pool-exhaustion-${i}`, given: `Pool${i}`, statuses: [] }));
    let answers: Promise<number[]> | undefined;
    try {
      await blocker.query('begin');
      await blocker.query('lock table household in access exclusive mode');
      figures.faults += 1;
      answers = Promise.all(writes.map((w) => sendWrite(hub, AREA, w, failures)));
      await waitUntil('requests refused for want of a connection', async () => (writes.filter((w) => w.statuses.includes(503)).length >= POOL_SIZE ? true : undefined), 60_000, async () => `answers ${JSON.stringify(writes.map((w) => w.statuses))}, ${failures.join('; ')}, ${hub.output().slice(-2000)}`);
      expect((await ready()).status).toBe(503);
      expect((await fetch(`${hub.url}/health`)).status).toBe(200);
    } finally {
      await blocker.query('rollback').catch(() => undefined);
      await blocker.end();
    }
    const statuses = await answers!;
    expect(failures).toEqual([]);
    expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);
    figures.unavailable += statuses.filter((s) => s === 503).length;
    await waitUntil('the hub to be ready again', async () => ((await ready()).status === 200 ? true : undefined), 60_000);
    for (const write of writes) {
      while (!write.id) {
        const status = await sendWrite(hub, AREA, write, failures);
        if (status !== 201 && status !== 503) break;
      }
    }
    expect(failures).toEqual([]);
    allWrites = [...allWrites, ...writes];
    figures.writes += writes.length;
    const ids = allWrites.map((w) => w.id!);
    const { found, total } = await stored(ids);
    expect(ids.filter((id) => !found.has(id))).toEqual([]);
    expect(total).toBe(ids.length);
    figures.checked += ids.length;
    // the audit chain holds every write, linked, across the crash and the refusals
    const verified = await callHub(hub, 'GET', '/api/v1/audit/verify');
    expect(verified.status).toBe(200);
    expect(verified.body.valid).toBe(true);
    figures.checked += verified.body.entries;
    alive();
  }, 180_000);
});
