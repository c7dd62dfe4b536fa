// The benchmark harness (issue 10): one scratch PostgreSQL database per run, populated by the fast seeder (srhub seed
// --persons) and then by a sample of further households registered through the API, shared by every measurement;
// the hub runs as its own process on it with Redis, and the load comes from this process (autocannon). Prints a table
// (each figure beside the team's target) and writes JSON with the machine, the versions and the exact command to
// bench/results/.
//   npm run bench                                   quick: 100,000 persons
//   npm run bench -- --persons 1000000              full run
// Options: --bulk-persons registered through the API on top of the seeded population (default min(persons, 100,000)),
// --seconds per load case (5 quick, 10 full), --concurrency (1,16,64), --seed (7; the API sample uses the next one),
// --keep (leave the database), --out (folder for the JSON). BENCH_POSTGRES_URL names the server (default the local
// one); REDIS_URL Redis.
// What each figure measures: docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createAgreement, publishAgreement } from '../consent/agreements.js';
import { DATA_CATEGORIES } from '../consent/categories.js';
import { createClient } from '../core/auth/clients.js';
import { createUser } from '../core/auth/users.js';
import { scopesOf } from '../core/auth/roles.js';
import { issueAccessToken } from '../core/auth/tokens.js';
import { createSecrets } from '../core/keys/secrets.js';
import { createLogger } from '../core/log.js';
import { openIdentifier } from '../core/registry/persons/sealing.js';
import { createCountryAreas } from '../core/seed/country.js';
import { seedPersons } from '../core/seed/seed.js';
import { systemContext, type Ctx } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';
import { dciSearchBody, HUB_ENV, measureSearch, prepareDciClient, searchCriteria, type SearchRow } from './dci-http.js';
import { bulkRegister, forEach, load, rawCopy, syncPush, type LoadResult } from './harness/api-load.js';
import { HUB_NODE_ARGS, startServerProcess, type ServerProcess } from './harness/hub-process.js';
import { machine, met, printTable, versions, type Measurement } from './harness/report.js';
import { openScratchDb } from './scratch-db.js';

const READER = 'bench-reader';
// the staff user whose token registers the API sample: its rows are the ones it created
const ADMIN = 'user:bench-admin';
const READ_PURPOSE = 'BENCH-READ';
const JOBS = ['scoring', 'eligibility', 'simulation', 'coverage', 'dedup'] as const;
const TSX = ['--import', 'tsx'];

const { values } = parseArgs({
  options: {
    persons: { type: 'string', default: '100000' },
    'bulk-persons': { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string', default: '1,16,64' },
    seed: { type: 'string', default: '7' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
  },
});
const persons = Number(values.persons);
const bulkPersons = Number(values['bulk-persons'] ?? Math.min(persons, 100_000));
const seed = Number(values.seed);
const seconds = Number(values.seconds ?? (persons >= 1_000_000 ? 10 : 5));
const concurrencies = values.concurrency!.split(',').map(Number);
if (!Number.isInteger(persons) || persons < 100) throw new Error('--persons takes a whole number of at least 100');
if (!Number.isInteger(bulkPersons) || bulkPersons < 100) throw new Error('--bulk-persons takes a whole number of at least 100');
if (!Number.isSafeInteger(seed)) throw new Error('--seed takes a whole number');
if (!(seconds > 0) || concurrencies.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('--seconds and --concurrency take positive numbers');
const argv = process.argv.slice(2).join(' ');
const command = process.env.npm_lifecycle_event === 'bench' ? `npm run bench${argv ? ` -- ${argv}` : ''}` : `npx tsx bench/run.ts ${argv}`.trim();

const measurements: Measurement[] = [];
const runStarted = Date.now();
const elapsed = () => `[${((Date.now() - runStarted) / 1000).toFixed(0)} s]`;
const add = (m: Measurement) => {
  measurements.push(m);
  console.log(`${elapsed()}   ${m.label}: ${m.value} ${m.unit}${m.note ? ` (${m.note})` : ''}`);
};
const loadNote = (r: LoadResult & { timeouts?: number }) =>
  `p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.requests} requests${r.errors + r.non2xx ? `, ${r.errors} errors (${r.timeouts ?? 0} timeouts), ${r.non2xx} non-2xx` : ''}`;

async function main(): Promise<void> {
  const startedAt = new Date();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const scratch = await openScratchDb('run');
  const { db, config, masterKey } = scratch;
  const ctx = systemContext(config, db, createSecrets(masterKey), createLogger('warn'), SYSTEM_PRINCIPAL);
  const env: NodeJS.ProcessEnv = {
    ...HUB_ENV,
    DATABASE_URL: config.databaseUrl,
    SRHUB_MASTER_KEY: masterKey.toString('base64'),
    REDIS_URL: redisUrl,
    SRHUB_REDIS_PREFIX: `${scratch.name}:`,
  };
  const children: ServerProcess[] = [];
  let ok = false;
  // stopped from outside (Ctrl-C, a test's timeout): the child processes and the scratch database go too
  const abandon = async () => {
    for (const child of children) await child.stop();
    await scratch.close(Boolean(values.keep)).catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', abandon).once('SIGTERM', abandon);
  try {
    const about = { machine: machine(), versions: await versions(db, redisUrl) };
    console.log(`srhub benchmark: ${persons.toLocaleString('en-US')} persons seeded + ${bulkPersons.toLocaleString('en-US')} registered through the API, database ${scratch.name}; ${command}`);
    await createCountryAreas(db);
    const tokens = await prepareCallers(ctx);
    await seedPopulation(ctx);

    const hubLog = path.join(tmpdir(), `${scratch.name}-hub.log`);
    const hub = await startServerProcess([...HUB_NODE_ARGS, 'bin/srhub.js', 'serve'], env, '/ready', hubLog);
    console.log(`hub log (warnings and errors): ${hubLog}`);
    children.push(hub);
    await registration(hub, tokens.admin, ctx, config.databaseUrl!);
    const peakAfterRegistration = hub.peakRssMiB();
    hub.resetWindow();
    await dciSearch(hub, tokens.dci, ctx, env);
    const personIds = await consentAndReads(hub, tokens, ctx);
    await sync(hub, tokens.admin);
    add({
      key: 'memory.hub_peak_mib', label: 'hub memory, peak RSS under load', value: hub.peakRssMiB(), unit: 'MiB', target: { op: '<', value: 512 },
      note: `${hub.windowPeakMiB()} MiB during searches, reads and sync; ${peakAfterRegistration} MiB by the end of bulk registration`,
      detail: { underSearchLoadMiB: hub.windowPeakMiB(), duringRegistrationMiB: peakAfterRegistration },
    });
    await hub.stop();
    children.pop();
    await heavyJobs(env);

    console.log('');
    console.log(`srhub benchmark, ${persons.toLocaleString('en-US')} persons seeded + ${bulkPersons.toLocaleString('en-US')} registered (${personIds} with consents); targets are the team's for the full run (1,000,000 persons, 2 cores)`);
    printTable(measurements);
    const report = {
      benchmark: 'srhub',
      command,
      at: startedAt.toISOString(),
      seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      persons,
      options: { seconds, concurrency: concurrencies, seed, bulkPersons },
      ...about,
      results: measurements.map((m) => ({ ...m, met: met(m) })),
    };
    await mkdir(values.out!, { recursive: true });
    const file = path.join(values.out!, `bench-${persons}-${report.at.replace(/[:.]/g, '-')}.json`);
    await writeFile(file, JSON.stringify(report, null, 2) + '\n');
    console.log(`written to ${file}`);
    ok = true;
  } finally {
    for (const child of children) await child.stop();
    await ctx.audit.stop();
    await scratch.close(Boolean(values.keep)).catch((err) => console.error(`could not drop ${scratch.name}: ${err}`));
    if (!ok) process.exitCode = 1;
  }
}

/** Access tokens signed with the database's keys: an administrator (staff), the DCI client, a client reading by consent. */
async function prepareCallers(ctx: Ctx): Promise<{ admin: string; dci: string; reader: string; agreementId: string }> {
  const token = async (sub: string, roles: string[]) =>
    (await issueAccessToken(ctx.keys, { ...ctx.config, tokenTtlSeconds: 6 * 3600 }, { sub, roles, scopes: await scopesOf(ctx.db, roles), areas: null })).access_token;
  await createUser(ctx.db, { username: ADMIN.slice('user:'.length), roles: ['administrator'], password: randomBytes(18).toString('base64url') }, 'bench');
  await createClient(ctx.db, { client_id: READER, name: 'Benchmark reader', roles: ['program_officer'], areas: null }, 'bench');
  const agreement = await createAgreement(ctx, {
    code: 'bench-read', purpose_code: READ_PURPOSE, purpose_text: { en: 'Benchmark reads by consent' }, lawful_basis: 'consent',
    categories: [...DATA_CATEGORIES], recipients: [READER], controller: { name: 'Benchmark' }, retention_days: 30, max_validity_days: 365,
  });
  await publishAgreement(ctx, agreement.id);
  return {
    admin: await token(ADMIN, ['administrator']),
    dci: await prepareDciClient(ctx),
    reader: await token(`client:${READER}`, ['program_officer']),
    agreementId: agreement.id,
  };
}

/** The population: written directly by the fast seeder (core/seed), as `srhub seed --persons N` does, before the hub starts. */
async function seedPopulation(ctx: Ctx): Promise<void> {
  console.log(`${elapsed()} seeding ${persons} persons (srhub seed --persons ${persons} --seed ${seed})...`);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const seeded = await seedPersons(ctx, persons, seed);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  // this process's CPU (generating, sealing, encoding); the rest of the time is the database's
  const cpuMsPer1000 = Math.round((cpu.user + cpu.system) / seeded.persons);
  add({
    key: 'seed.persons_per_s', label: 'population seeded (fast seeder, direct writes)', value: Math.round(seeded.persons / seconds), unit: 'persons/s',
    note: `${seeded.persons} persons in ${seeded.households} households, ${seconds.toFixed(1)} s; seeder CPU ${cpuMsPer1000} ms per 1,000 persons`,
    detail: { ...seeded, seconds, seederCpuMsPer1000: cpuMsPer1000 },
  });
}

async function registration(hub: ServerProcess, token: string, ctx: Ctx, databaseUrl: string): Promise<void> {
  console.log(`${elapsed()} bulk registration of ${bulkPersons} further persons through the API...`);
  const cpuBefore = hub.cpuSeconds();
  // the next seed: another identifier block, so the sample's UINs are not the seeded population's
  const api = await bulkRegister(hub.url, token, bulkPersons, seed + 1);
  const apiRate = Math.round(api.persons / api.seconds);
  // the hub's own CPU per 1,000 persons: what one core of the hub can register at most, whatever else loads the machine
  const cpuMsPer1000 = Math.round(((hub.cpuSeconds() - cpuBefore) * 1e6) / api.persons);
  add({
    key: 'registration.api_persons_per_s', label: 'bulk registration through the API', value: apiRate, unit: 'persons/s', target: { op: '>=', value: 20000 },
    note: `${api.persons} persons in ${api.households} households, ${api.seconds.toFixed(1)} s; hub CPU ${cpuMsPer1000} ms per 1,000 persons`, detail: { ...api, hubCpuMsPer1000: cpuMsPer1000 },
  });
  await ctx.db.query('analyze');
  // the registrations' events (outbox) are consumed in the background by the hub: rescoring, workflow, connectors,
  // subscriptions; the searches below are measured once that has settled, as on a hub between imports
  const drained = await outboxDrain(ctx);
  add({
    key: 'registration.outbox_drain_s', label: 'outbox consumed after the bulk registration', value: drained.seconds, unit: 's',
    note: `${drained.events} events, ${drained.consumers} consumers${drained.done ? '' : `; NOT drained within ${DRAIN_LIMIT_S} s, measuring anyway`}`, detail: drained,
  });
  const copy = await rawCopy(ctx.db, databaseUrl, ADMIN);
  const copyRate = Math.round(api.persons / copy.seconds);
  add({ key: 'registration.copy_persons_per_s', label: 'raw COPY of the same rows', value: copyRate, unit: 'persons/s', note: `${copy.rows} rows of 4 tables in ${copy.seconds.toFixed(1)} s`, detail: copy });
  add({ key: 'registration.api_to_copy', label: 'bulk registration / raw COPY', value: Math.round((apiRate / copyRate) * 1000) / 1000, unit: 'x' });
}

const DRAIN_LIMIT_S = 1800;

/** Waits until every outbox consumer has passed the last event (at most DRAIN_LIMIT_S). */
async function outboxDrain(ctx: Ctx): Promise<{ seconds: number; events: number; consumers: number; done: boolean }> {
  const started = Date.now();
  const [{ last, events }] = await ctx.db.query<{ last: string | null; events: number }>('select max(id)::text as last, count(*)::int as events from outbox_event');
  for (;;) {
    const [{ behind, consumers }] = await ctx.db.query<{ behind: number; consumers: number }>(
      'select count(*) filter (where last_id < $1::bigint)::int as behind, count(*)::int as consumers from outbox_consumer', [last ?? '0']);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    if (behind === 0) return { seconds, events, consumers, done: true };
    if (seconds > DRAIN_LIMIT_S) return { seconds, events, consumers, done: false };
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function dciSearch(hub: ServerProcess, token: string, ctx: Ctx, env: NodeJS.ProcessEnv): Promise<void> {
  const uins = (await ctx.db.query<{ value_sealed: string }>(`select value_sealed from person_identifier where id_type = 'UIN' order by md5(value_sealed) limit 5000`))
    .map((r) => openIdentifier(ctx.secrets, 'UIN', r.value_sealed));
  if (uins.length === 0) throw new Error('the population has no UIN to search for');
  const kinds = ['idtype-value', 'predicate'] as const;
  const hubRows = new Map<string, SearchRow & { hubCpuMsPerRequest?: number }>();
  console.log(`${elapsed()} DCI sync search through the hub...`);
  for (const c of concurrencies) for (const kind of kinds) {
    await warmUp(hub.url, '/registry/sync/search', token, kind, c, uins);
    const cpuBefore = hub.cpuSeconds();
    const r = await measureSearch(`${hub.url}/registry/sync/search`, token, kind, c, seconds, searchCriteria(kind, uins));
    hubRows.set(`${kind}:${c}`, { ...r, hubCpuMsPerRequest: Math.round(((hub.cpuSeconds() - cpuBefore) * 10000) / Math.max(1, r.requests)) / 10 });
  }
  console.log(`${elapsed()} the same searches on a bare node:http server with pg...`);
  const bare = await startServerProcess([...TSX, 'bench/harness/bare-server.ts'], env, '/');
  try {
    for (const c of concurrencies) for (const kind of kinds) {
      await warmUp(bare.url, '/', token, kind, c, uins);
      const b = await measureSearch(`${bare.url}/`, token, kind, c, seconds, searchCriteria(kind, uins));
      const h = hubRows.get(`${kind}:${c}`)!;
      for (const [who, r] of [['hub', h], ['bare server', b]] as const) {
        if (r.non2xx > 0 || r.errors > r.timeouts) throw new Error(`DCI ${kind} c${c} on the ${who}: ${r.errors} errors and ${r.non2xx} non-2xx answers`);
      }
      // none answered within the measure: the p99 is at least its length (autocannon reports 0)
      const p99 = h.requests === 0 ? seconds * 1000 : h.p99Ms;
      const target = c === 16 ? { op: '<' as const, value: kind === 'idtype-value' ? 20 : 100 } : undefined;
      add({
        key: `dci.${kind}.c${c}.p99_ms`, label: `DCI ${kind}${kind === 'predicate' ? ' (page of 100)' : ''}, c${c}: p99`, value: p99, unit: 'ms', target,
        note: `${h.requests === 0 ? `NO answer within the ${seconds} s measure` : `${loadNote(h)}, hub CPU ${h.hubCpuMsPerRequest} ms per request`}; bare server p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms, ${b.requests} requests`,
        detail: { hub: h, bare: b },
      });
      add({ key: `dci.${kind}.c${c}.requests_per_s`, label: `DCI ${kind}, c${c}: throughput`, value: h.requestsPerSecond, unit: 'req/s', note: `bare server ${b.requestsPerSecond} req/s` });
      add({ key: `dci.${kind}.c${c}.hub_to_bare`, label: `DCI ${kind}, c${c}: hub / bare server throughput`, value: Math.round((h.requestsPerSecond / Math.max(1, b.requestsPerSecond)) * 1000) / 1000, unit: 'x' });
    }
  } finally {
    await bare.stop();
  }
}

/** A few untimed searches first: the first ones of a kind pay for plans, validators and JIT. */
async function warmUp(baseUrl: string, urlPath: string, token: string, kind: 'idtype-value' | 'predicate', concurrency: number, uins: string[]): Promise<void> {
  const criteria = searchCriteria(kind, uins);
  await load(baseUrl, concurrency, { amount: 2 * concurrency }, () => ({ method: 'POST', path: urlPath, headers: { authorization: `Bearer ${token}` }, body: dciSearchBody(criteria()) }));
}

/**
 * Consents granted through the API for a sample of persons (each answer carries a signed consent token), tokens
 * verified, then reads by id: by a staff user (scope check only) and by a client (the consent check on each read).
 */
async function consentAndReads(hub: ServerProcess, tokens: Awaited<ReturnType<typeof prepareCallers>>, ctx: Ctx): Promise<number> {
  const sample = Math.min(1000, Math.floor(persons / 2));
  const ids = (await ctx.db.query<{ id: string }>('select id from person order by md5(id::text) limit $1', [sample + 1])).map((r) => r.id);
  const admin = { authorization: `Bearer ${tokens.admin}` };
  const grant = (personId: string) => ({ method: 'POST' as const, path: '/api/v1/consent/consents', headers: admin, body: JSON.stringify({ agreement_id: tokens.agreementId, person_id: personId }) });
  const first = await fetch(hub.url + '/api/v1/consent/consents', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: grant(ids.pop()!).body });
  if (first.status !== 201) throw new Error(`granting a consent answered ${first.status}: ${await first.text()}`);
  const { token } = (await first.json()) as { token: string };

  console.log(`${elapsed()} consents and reads by id (${ids.length} persons)...`);
  // a failed grant is counted and reported (with the request id to look up in the hub's log), not retried
  const failed: string[] = [];
  const consented: string[] = [];
  const issued = await forEach(ids, 16, async (personId) => {
    const res = await fetch(hub.url + '/api/v1/consent/consents', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: grant(personId).body });
    if (res.status !== 201) failed.push(`${res.status} ${((await res.json()) as { request_id?: string }).request_id}`);
    else {
      consented.push(personId);
      await res.arrayBuffer();
    }
  });
  if (failed.length > ids.length / 10) throw new Error(`${failed.length} of ${ids.length} consent grants failed: ${failed.slice(0, 5).join(', ')}`);
  add({
    key: 'consent.issue_per_s', label: 'consent recorded + token issued (API, 16 at a time)', value: Math.round((ids.length - failed.length) / issued.seconds), unit: '/s',
    note: `${ids.length} grants in ${issued.seconds.toFixed(1)} s${failed.length ? `; ${failed.length} FAILED (status and request id: ${failed.slice(0, 3).join(', ')})` : ''}`,
    detail: { grants: ids.length, failed },
  });
  const verify = JSON.stringify({ token, audience: READER, purpose: READ_PURPOSE });
  const verified = await load(hub.url, 16, { seconds }, () => ({ method: 'POST', path: '/api/v1/consent/verify', body: verify }));
  add({ key: 'consent.verify_per_s', label: 'consent token verified (API, c16)', value: verified.requestsPerSecond, unit: '/s', note: loadNote(verified), detail: { ...verified } });

  // reads of the persons whose consent was recorded: the client may see each of them
  const pick = () => consented[Math.floor(Math.random() * consented.length)];
  const staff = await load(hub.url, 16, { seconds }, () => ({ method: 'GET', path: `/api/v1/persons/${pick()}`, headers: admin }));
  add({ key: 'read.by_id.staff_per_s', label: 'read by id, staff user (no consent check), c16', value: staff.requestsPerSecond, unit: 'req/s', note: loadNote(staff), detail: { ...staff } });
  const reader = { authorization: `Bearer ${tokens.reader}`, 'x-purpose': READ_PURPOSE };
  const client = await load(hub.url, 16, { seconds }, () => ({ method: 'GET', path: `/api/v1/persons/${pick()}`, headers: reader }));
  add({ key: 'read.by_id.consent_per_s', label: 'read by id, client (consent check), c16', value: client.requestsPerSecond, unit: 'req/s', note: loadNote(client), detail: { ...client } });
  for (const [name, r] of [['verifications', verified], ['staff reads', staff], ['client reads', client]] as const) {
    if (r.errors + r.non2xx > 0) throw new Error(`${name}: ${r.errors} errors and ${r.non2xx} non-2xx answers`);
  }
  return consented.length;
}

async function sync(hub: ServerProcess, token: string): Promise<void> {
  // bench/sync-push.ts's households live in the area BENCH
  const area = await fetch(hub.url + '/api/v1/admin-areas', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ code: 'BENCH', name: 'Bench' }) });
  if (!area.ok) throw new Error(`creating the BENCH area answered ${area.status}: ${await area.text()}`);
  const pushed = await syncPush(hub.url, token, 1000);
  add({ key: 'sync.push_1000_ms', label: 'field sync push of 1,000 new registrations', value: pushed.ms, unit: 'ms', note: `${(pushed.ms / 1000).toFixed(2)} ms per item; ${JSON.stringify(pushed.statuses)}`, detail: pushed });
}

/** The heavy jobs, each in its own process over the whole population (the hub is stopped: nothing else runs them). */
async function heavyJobs(env: NodeJS.ProcessEnv): Promise<void> {
  const targets: Partial<Record<(typeof JOBS)[number], number>> = { simulation: 5, coverage: 2 };
  for (const job of JOBS) {
    console.log(`${elapsed()} ${job}...`);
    const out = execFileSync(process.execPath, [...TSX, 'bench/harness/jobs.ts', job], { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    const result = JSON.parse(out.trim().split('\n').pop()!) as { ms: number; maxRssMiB: number; detail: Record<string, unknown> };
    const target = targets[job];
    add({
      key: `jobs.${job}_s`, label: `${job} over the whole population`, value: Math.round(result.ms / 10) / 100, unit: 's',
      target: target ? { op: '<', value: target } : undefined, note: `peak RSS ${result.maxRssMiB} MiB; ${JSON.stringify(result.detail)}`, detail: { ...result.detail, maxRssMiB: result.maxRssMiB },
    });
  }
}

await main();
