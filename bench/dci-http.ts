// The DCI sync search measured end to end: the hub runs as its own process on the configured PostgreSQL, and
// autocannon (in this process) sends signed-in SPMIS requests at concurrency 1, 16 and 64: idtype-value searches on
// random registered UINs, and predicate searches answering a page of 100 Members. Prints a table with the CPU per
// request of the hub process and of the database's backends (/proc: the load of other processes moves it far less
// than the wall times) and writes JSON (machine, versions, command) to bench/results/.
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/srhub_bench SRHUB_MASTER_KEY=... npx tsx bench/dci-http.ts --seed 7
//     [--seconds 10] [--concurrency 1,16,64] [--kinds idtype-value,predicate] [--profile <folder for the hub's .cpuprofile>] [--new-queries]
// The database must already hold the population (`srhub seed --persons 1000000 --seed 7` with the same master key):
// the UINs searched for are the seed generator's, regenerated here from the seed. `npm run bench` (bench/run.ts) reuses
// the exported pieces on its own scratch database.
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createAgreement, publishAgreement } from '../consent/agreements.js';
import { DATA_CATEGORIES } from '../consent/categories.js';
import { createClient } from '../core/auth/clients.js';
import { scopesOf } from '../core/auth/roles.js';
import { issueAccessToken } from '../core/auth/tokens.js';
import { loadConfig } from '../core/config.js';
import { initDb } from '../core/db/index.js';
import { loadMasterKey } from '../core/keys/master-key.js';
import { createSecrets } from '../core/keys/secrets.js';
import { createLogger } from '../core/log.js';
import { districtsOf } from '../core/seed/country.js';
import { generateHouseholds } from '../core/seed/households.js';
import { systemContext, type Ctx } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';
import { cpuSecondsOf, HUB_NODE_ARGS, startServerProcess } from './harness/hub-process.js';

export const CLIENT_ID = 'bench-spmis';
export const PURPOSE = 'BENCH-ELIG';
export const HUB_ENV = { LOG_LEVEL: 'warn', SRHUB_RATE_LIMIT_PER_MINUTE: '10000000', SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '10000000' };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '7' },
      seconds: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '1,16,64' },
      kinds: { type: 'string', default: 'idtype-value,predicate' },
      // a CPU profile of the hub process (node --cpu-prof) written into this folder when it stops
      profile: { type: 'string' },
      // predicates that vary in the year too: each page counts its total anew (a first page), see searchCriteria
      'new-queries': { type: 'boolean', default: false },
    },
  });
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('Set DATABASE_URL to the seeded PostgreSQL database (and SRHUB_MASTER_KEY).');
  const log = createLogger('warn');
  const secrets = createSecrets(await loadMasterKey(config, log));
  const db = await initDb(config);
  const ctx = systemContext(config, db, secrets, log, SYSTEM_PRINCIPAL);
  const [{ persons }] = await db.query<{ persons: number }>('select count(*)::int as persons from person');
  const access_token = await prepareDciClient(ctx);

  const uins = sampleUins(Number(values.seed), 5000);
  const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const hub = await startServerProcess([...HUB_NODE_ARGS, ...profile, 'bin/srhub.js', 'serve'], HUB_ENV);
  const url = `${hub.url}/registry/sync/search`;
  const results: (SearchRow & CpuPerRequest)[] = [];
  try {
    for (const concurrency of values.concurrency!.split(',').map(Number)) {
      for (const kind of values.kinds!.split(',') as ('idtype-value' | 'predicate')[]) {
        const criteria = searchCriteria(kind, uins, values['new-queries']);
        await measureSearch(url, access_token, kind, concurrency, 1, criteria); // warm-up: plans, validators, JIT, pool
        const before = { hub: hub.cpuSeconds(), db: await backendCpu(db) };
        const row = await measureSearch(url, access_token, kind, concurrency, Number(values.seconds), criteria);
        const after = { hub: hub.cpuSeconds(), db: await backendCpu(db) };
        results.push({ ...row, ...cpuPerRequest(before, after, row.requests) });
      }
    }
  } finally {
    await hub.stop();
    await db.close();
  }
  console.table(results.map((r) => ({
    query: r.query, concurrency: r.concurrency, 'req/s': r.requestsPerSecond, 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms,
    'hub CPU ms/req': r.hubCpuMs, 'db CPU ms/req': r.dbCpuMs, errors: r.errors, non2xx: r.non2xx,
  })));
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const report = {
    benchmark: 'dci-http',
    command: `npx tsx bench/dci-http.ts ${process.argv.slice(2).join(' ')}`.trim(),
    at: new Date().toISOString(),
    persons,
    loadAverage: os.loadavg(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    results,
  };
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/dci-http-${report.at.replace(/[:.]/g, '-')}.json`;
  await writeFile(file, JSON.stringify(report, null, 2));
  console.log(`${persons} persons in the registry; written to ${file}`);
}

interface CpuPerRequest {
  /** CPU (user + system) of the hub process per answered request, ms: what the load of other processes moves little. */
  hubCpuMs: number;
  /** The same for the PostgreSQL backends serving this database (its pool's connections), ms. */
  dbCpuMs: number;
}

/** CPU seconds used so far by each backend connected to this database (other than the asking one), by pid. */
async function backendCpu(db: Awaited<ReturnType<typeof initDb>>): Promise<Map<number, number>> {
  const rows = await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
  return new Map(rows.map((r) => [r.pid, cpuSecondsOf(r.pid)]));
}

function cpuPerRequest(before: { hub: number; db: Map<number, number> }, after: { hub: number; db: Map<number, number> }, requests: number): CpuPerRequest {
  let db = 0;
  // a backend that started during the measure counts from zero; one that ended is lost (the pool keeps its connections)
  for (const [pid, seconds] of after.db) db += seconds - (before.db.get(pid) ?? 0);
  const per = (seconds: number) => Math.round((seconds * 10_000) / Math.max(1, requests)) / 10;
  return { hubCpuMs: per(after.hub - before.hub), dbCpuMs: per(db) };
}

/**
 * The caller: an SPMIS client with a public-task agreement covering it (no per-person consent to look up); made once
 * per database. Returns an hour's access token signed with the database's keys (the hub process trusts it).
 */
export async function prepareDciClient(ctx: Ctx): Promise<string> {
  const { db, config } = ctx;
  const [existing] = await db.query('select 1 from api_client where client_id = $1', [CLIENT_ID]);
  if (!existing) {
    await createClient(db, { client_id: CLIENT_ID, name: 'Benchmark SPMIS', roles: ['dci_client'], areas: null }, 'bench');
    const agreement = await createAgreement(ctx, {
      code: 'bench-elig',
      purpose_code: PURPOSE,
      purpose_text: { en: 'Benchmark eligibility checks' },
      lawful_basis: 'public_task',
      categories: [...DATA_CATEGORIES],
      recipients: [CLIENT_ID],
      controller: { name: 'Benchmark' },
      retention_days: 30,
      max_validity_days: 365,
    });
    await publishAgreement(ctx, agreement.id);
  }
  const roles = ['dci_client'];
  const { access_token } = await issueAccessToken(ctx.keys, { ...config, tokenTtlSeconds: 3600 }, {
    sub: `client:${CLIENT_ID}`,
    roles,
    scopes: await scopesOf(db, roles),
    areas: null,
  });
  return access_token;
}

/**
 * A generator of search criteria: an idtype-value search on one of the UINs, or a predicate answering a page of 100
 * (one of 18 districts, born 1950 or later, pages 1 to 5). With `newQueries` the year varies too (60 values): nearly
 * every predicate is then a query not seen before, whose total_count is counted rather than reused.
 */
export function searchCriteria(kind: 'idtype-value' | 'predicate', uins: string[], newQueries = false): () => object {
  return kind === 'idtype-value'
    ? () => ({ query_type: 'idtype-value', response_entity: 'Member', query: { type: 'UIN', value: uins[Math.floor(Math.random() * uins.length)] } })
    : () => ({
        query_type: 'predicate',
        response_entity: 'Member',
        query: [{ seq_num: 1, expression1: { attribute_name: 'area-code', operator: 'eq', attribute_value: districts[Math.floor(Math.random() * districts.length)] } },
          { seq_num: 2, expression1: { attribute_name: 'YOB', operator: 'ge', attribute_value: newQueries ? 1930 + Math.floor(Math.random() * 60) : 1950 } }],
        pagination: { page_size: 100, page_number: 1 + Math.floor(Math.random() * 5) },
      });
}

const districts = districtsOf().map((d) => d.code);

export interface SearchRow {
  query: string;
  concurrency: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  /** Requests given up after autocannon's 10 s timeout. */
  timeouts: number;
  non2xx: number;
}

/** A DCI sync search request body around one search_criteria item (new message and transaction ids each time). */
export function dciSearchBody(criteria: object): string {
  return JSON.stringify({
    header: { version: '1.0.0', message_id: randomUUID(), message_ts: new Date().toISOString(), action: 'search', sender_id: CLIENT_ID, total_count: 1 },
    message: {
      transaction_id: randomUUID(),
      search_request: [{ reference_id: randomUUID(), timestamp: new Date().toISOString(), search_criteria: { ...criteria, consent: { '@type': 'Consent', purpose: { code: PURPOSE } } } }],
    },
  });
}

/** autocannon at this concurrency for `seconds`, each request a new message id (replays are refused) and another record. */
export async function measureSearch(url: string, token: string, query: string, concurrency: number, seconds: number, criteria: () => object): Promise<SearchRow> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: concurrency,
    duration: seconds,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, body: dciSearchBody(criteria()) }) }],
  });
  return {
    query,
    concurrency,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/** UINs of the seeded population: the generator is deterministic, so the first households of the seed are registered. */
export function sampleUins(seed: number, count: number): string[] {
  const uins: string[] = [];
  for (const household of generateHouseholds({ seed, count: count * 2, areas: districtsOf() })) {
    for (const member of household.members) {
      const uin = member.person?.identifiers?.find((i) => i.type === 'UIN');
      if (uin) uins.push(uin.value);
      if (uins.length === count) return uins;
    }
  }
  return uins;
}

// run as a command, not when imported by the harness
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
