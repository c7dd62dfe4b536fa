// Round trips per DCI search, a figure the machine's load does not move: starts the hub in this process on a seeded
// database, counts the PostgreSQL statements and Redis commands it sends (pg.Client#query and Redis#sendCommand
// wrapped) while it answers 40 idtype-value and 40 predicate searches one at a time, then while it sits idle for 10 s
// (the background pollers' share, to subtract). See docs/benchmarks.md, "Issue 10".
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded> SRHUB_MASTER_KEY=<its key> npx tsx bench/round-trips.ts
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../core/config.js';
import { createLogger } from '../core/log.js';
import { openIdentifier } from '../core/registry/persons/sealing.js';
import { systemContext } from '../core/server/context.js';
import { startHub } from '../core/server/hub.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';
import { dciSearchBody, HUB_ENV, prepareDciClient, searchCriteria } from './dci-http.js';

const SEARCHES = 40;
const counts = { pg: 0, redis: 0 };
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  counts.pg++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...args: unknown[]) {
  counts.redis++;
  return (sendCommand as (...a: unknown[]) => unknown).apply(this, args);
} as typeof sendCommand;

const config = loadConfig({ ...process.env, ...HUB_ENV, PORT: '0', HOST: '127.0.0.1', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', SRHUB_REDIS_PREFIX: 'bench-round-trips:' });
const hub = await startHub(config, createLogger('warn'));
try {
  const ctx = systemContext(config, hub.db, hub.secrets, createLogger('warn'), SYSTEM_PRINCIPAL);
  const token = await prepareDciClient(ctx);
  const uins = (await hub.db.query<{ value_sealed: string }>(`select value_sealed from person_identifier where id_type = 'UIN' limit 200`))
    .map((r) => openIdentifier(ctx.secrets, 'UIN', r.value_sealed));
  if (uins.length === 0) throw new Error('the database holds no UIN: seed it first (srhub seed --persons N)');
  const search = async (kind: 'idtype-value' | 'predicate') => {
    const res = await fetch(`${hub.url}/registry/sync/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: dciSearchBody(searchCriteria(kind, uins)()),
    });
    if (res.status !== 200) throw new Error(`search answered ${res.status}`);
    await res.arrayBuffer();
  };
  const idle = async (ms: number) => {
    const before = { ...counts };
    await new Promise((r) => setTimeout(r, ms));
    return { pg: (counts.pg - before.pg) / (ms / 1000), redis: (counts.redis - before.redis) / (ms / 1000) };
  };
  await idle(3000); // start-up work settles
  const background = await idle(10_000);
  console.log(`idle: ${background.pg.toFixed(1)} statements/s, ${background.redis.toFixed(1)} Redis commands/s`);
  for (const kind of ['idtype-value', 'predicate'] as const) {
    for (let i = 0; i < 5; i++) await search(kind); // warm-up
    const before = { ...counts };
    const started = Date.now();
    for (let i = 0; i < SEARCHES; i++) await search(kind);
    const seconds = (Date.now() - started) / 1000;
    const pgPer = (counts.pg - before.pg - background.pg * seconds) / SEARCHES;
    const redisPer = (counts.redis - before.redis - background.redis * seconds) / SEARCHES;
    console.log(`${kind}: ${pgPer.toFixed(1)} statements and ${redisPer.toFixed(1)} Redis commands per search (idle rate taken off), ${((seconds * 1000) / SEARCHES).toFixed(0)} ms each`);
  }
} finally {
  await hub.stop();
}
