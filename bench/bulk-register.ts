// Where a bulk registration's time goes, in figures the machine's load moves little: registers N persons through
// registerHouseholds (the path of POST /households:bulk, one transaction per batch of 1,000 households) in this
// process on a scratch PostgreSQL database, and prints the process's CPU per 1,000 persons, each kind of statement's
// time per batch (pg.Client#query wrapped: from sending to the answer, so the database's time plus one round trip)
// and the rows written per person. Request parsing and validation are not in it; --http measures those too: the hub
// as a child process (`srhub serve`) and the harness's client (`npm run bench`'s: batches of 1,000 households, two
// in flight), printing the hub's CPU per 1,000 persons and its peak RSS.
//   npx tsx bench/bulk-register.ts --persons 20000 [--keep] [--verify] [--explain]
//   npx tsx bench/bulk-register.ts --persons 20000 --http
//   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/bulk-register.ts --persons 20000
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { verifyChain } from '../core/audit/chain.js';
import { createSecrets } from '../core/keys/secrets.js';
import { createLogger } from '../core/log.js';
import { registerHouseholds } from '../core/registry/households/register.js';
import type { HouseholdInput } from '../core/registry/types.js';
import { createCountryAreas, districtsOf } from '../core/seed/country.js';
import { generateHouseholds } from '../core/seed/households.js';
import { systemContext } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';
import { randomBytes } from 'node:crypto';
import { scopesOf } from '../core/auth/roles.js';
import { issueAccessToken } from '../core/auth/tokens.js';
import { createUser } from '../core/auth/users.js';
import type { Ctx } from '../core/server/context.js';
import { HUB_ENV } from './dci-http.js';
import { bulkRegister } from './harness/api-load.js';
import { HUB_NODE_ARGS, startServerProcess } from './harness/hub-process.js';
import { openScratchDb } from './scratch-db.js';

const { values } = parseArgs({
  options: {
    persons: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '7' },
    keep: { type: 'boolean', default: false },
    verify: { type: 'boolean', default: false },
    // the last batch is not committed: its statements are run again under EXPLAIN (ANALYZE, BUFFERS), then rolled back
    explain: { type: 'boolean', default: false },
    http: { type: 'boolean', default: false },
    // with --http: the hub's CPU profile, written to this folder when it stops
    'hub-prof': { type: 'string' },
  },
});

// statement kind -> count, time from sending to the answer, and the CPU the serving backend spent on it (read from
// /proc/<backend pid>/schedstat: the database on this machine only; the load of other processes hardly moves it)
const statements = new Map<string, { n: number; ms: number; cpuMs: number }>();
let timing = false;
let capture: { text: string; params: unknown[] }[] | null = null;
const kindOf = (text: string) => {
  const t = text.replace(/\s+/g, ' ').trim().toLowerCase();
  const m = /^(insert into \w+|update \w+|delete from \w+|with \w+|select pg_advisory_xact_lock|select [^(]*? from \w+|select \w+|\w+)/.exec(t);
  return (m?.[1] ?? t.slice(0, 40)).slice(0, 60);
};
const backendCpuMs = (pid: number | undefined): number => {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
};
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client & { processID?: number }, ...args: unknown[]) {
  const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text ?? '';
  if (capture && !/^(begin|commit|rollback)/i.test(text)) capture.push({ text, params: (Array.isArray(args[1]) ? args[1] : []) as unknown[] });
  const cpuBefore = timing ? backendCpuMs(this.processID) : 0;
  const result = (query as (...a: unknown[]) => unknown).apply(this, args);
  if (!timing || !(result instanceof Promise)) return result;
  const started = process.hrtime.bigint();
  return result.finally(() => {
    const kind = kindOf(text);
    const s = statements.get(kind) ?? { n: 0, ms: 0, cpuMs: 0 };
    s.n++;
    s.ms += Number(process.hrtime.bigint() - started) / 1e6;
    s.cpuMs += backendCpuMs(this.processID) - cpuBefore;
    statements.set(kind, s);
  });
} as typeof query;

const scratch = await openScratchDb('bulk');
const { config, db, masterKey } = scratch;
try {
  await createCountryAreas(db);
  const ctx = systemContext(config, db, createSecrets(masterKey), createLogger('warn'), SYSTEM_PRINCIPAL);
  await (values.http ? overHttp(ctx) : inProcess(ctx));
  if (values.verify) console.log('audit chain:', JSON.stringify(await verifyChain(db)));
} finally {
  await scratch.close(values.keep);
}

async function overHttp(ctx: Ctx): Promise<void> {
  const env = {
    ...HUB_ENV, DATABASE_URL: config.databaseUrl, SRHUB_MASTER_KEY: masterKey.toString('base64'),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', SRHUB_REDIS_PREFIX: `${scratch.name}:`,
  };
  await createUser(ctx.db, { username: 'bulk-loader', roles: ['administrator'], password: randomBytes(18).toString('base64url') }, 'bench');
  const { access_token: token } = await issueAccessToken(ctx.keys, { ...ctx.config, tokenTtlSeconds: 3600 }, {
    sub: 'user:bulk-loader', roles: ['administrator'], scopes: await scopesOf(ctx.db, ['administrator']), areas: null,
  });
  const profile = values['hub-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['hub-prof']}`] : [];
  const hub = await startServerProcess([...HUB_NODE_ARGS, ...profile, 'bin/srhub.js', 'serve'], env);
  try {
    const cpuBefore = hub.cpuSeconds();
    const api = await bulkRegister(hub.url, token, Number(values.persons), Number(values.seed));
    const cpuMs = (hub.cpuSeconds() - cpuBefore) * 1000;
    console.log(`over HTTP: ${api.persons} persons in ${api.households} households, ${api.seconds.toFixed(2)} s wall ` +
      `(${Math.round(api.persons / api.seconds)} persons/s), hub CPU ${Math.round((cpuMs / api.persons) * 1000)} ms per 1,000 persons, ` +
      `hub peak RSS ${hub.peakRssMiB()} MiB`);
  } finally {
    await hub.stop();
  }
}

async function inProcess(ctx: Ctx): Promise<void> {
  const all = [...generateHouseholds({ seed: Number(values.seed), persons: Number(values.persons), areas: districtsOf() })];
  const batchSize = Number(values.batch);
  const batches: HouseholdInput[][] = [];
  for (let i = 0; i < all.length; i += batchSize) batches.push(all.slice(i, i + batchSize));
  const persons = all.reduce((n, h) => n + h.members.length, 0);

  global.gc?.();
  timing = true;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let peakRss = 0;
  const explained = values.explain ? batches.pop()! : undefined;
  for (const households of batches) {
    await db.transaction(async (tx) => {
      const r = await registerHouseholds(tx, ctx, households, { defaultChannel: 'bulk_import', at: (i) => `body.households[${i}]`, skipInvalid: false });
      if (r.errors.length) throw new Error(`refused: ${JSON.stringify(r.errors.slice(0, 3))}`);
    });
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  timing = false;

  const cpuMs = (used.user + used.system) / 1000;
  console.log(`${persons} persons in ${all.length} households, ${batches.length} batches: ${seconds.toFixed(2)} s wall ` +
    `(${Math.round(persons / seconds)} persons/s), process CPU ${Math.round(cpuMs)} ms = ${Math.round((cpuMs / persons) * 1000)} ms per 1,000 persons, ` +
    `peak RSS ${Math.round(peakRss / 2 ** 20)} MiB`);
  const rows = [...statements].sort((a, b) => b[1].cpuMs - a[1].cpuMs);
  const sum = (f: (s: { n: number; ms: number; cpuMs: number }) => number) => rows.reduce((n, [, s]) => n + f(s), 0) / batches.length;
  console.log(`statements: ${sum((s) => s.n)} per batch, ${sum((s) => s.ms).toFixed(0)} ms per batch until answered, ` +
    `database backend CPU ${sum((s) => s.cpuMs).toFixed(0)} ms per batch (${((sum((s) => s.cpuMs) * batches.length) / persons * 1000).toFixed(0)} ms per 1,000 persons)`);
  console.log('  backend CPU   answered   count  statement (per batch)');
  for (const [kind, s] of rows) {
    console.log(`  ${(s.cpuMs / batches.length).toFixed(1).padStart(8)} ms  ${(s.ms / batches.length).toFixed(1).padStart(8)} ms  ${String(s.n / batches.length).padStart(5)}x  ${kind}`);
  }
  const counts = await db.query<{ t: string; n: number }>(
    `select t, n from (values ('person', (select count(*) from person)), ('person_identifier', (select count(*) from person_identifier)),
       ('household', (select count(*) from household)), ('membership', (select count(*) from membership)),
       ('record_history', (select count(*) from record_history)), ('dedup_match_key', (select count(*) from dedup_match_key)),
       ('outbox_event', (select count(*) from outbox_event)), ('audit_log', (select count(*) from audit_log))) v(t, n)`,
  );
  console.log(`rows per person: ${counts.map((c) => `${c.t} ${(Number(c.n) / persons).toFixed(2)}`).join(', ')}`);
  const [{ size }] = await db.query<{ size: string }>(`select pg_size_pretty(pg_total_relation_size('audit_log')) as size`);
  console.log(`audit_log with its indexes: ${size}`);
  if (explained) await explain(explained);

  async function explain(households: HouseholdInput[]): Promise<void> {
    const ROLLBACK = new Error('rollback');
    const captured: { text: string; params: unknown[] }[] = [];
    await db
      .transaction(async (tx) => {
        capture = captured;
        await registerHouseholds(tx, ctx, households, { defaultChannel: 'bulk_import', at: (i) => `body.households[${i}]`, skipInvalid: false });
        capture = null;
        throw ROLLBACK;
      })
      .catch((err) => {
        if (err !== ROLLBACK) throw err;
      });
    await db
      .transaction(async (tx) => {
        for (const { text, params } of captured) {
          const plan = await tx.query<Record<string, string>>(`explain (analyze, buffers, timing off) ${text}`, params);
          console.log(`\n${kindOf(text)}\n${plan.map((r) => Object.values(r)[0]).join('\n')}`);
        }
        throw ROLLBACK;
      })
      .catch((err) => {
        if (err !== ROLLBACK) throw err;
      });
  }
}
