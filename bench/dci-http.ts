// The DCI sync search measured end to end: the hub runs as its own process on the configured PostgreSQL, and
// autocannon (in this process) sends signed-in SPMIS requests at concurrency 1, 16 and 64: idtype-value searches on
// random registered UINs, and predicate searches answering a page of 100 Members. Prints a table and writes JSON
// (machine, versions, command) to bench/results/.
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/srhub_bench SRHUB_MASTER_KEY=... npx tsx bench/dci-http.ts --seed 7
// The database must already hold the population (`srhub seed --persons 1000000 --seed 7` with the same master key):
// the UINs searched for are the seed generator's, regenerated here from the seed.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
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
import { systemContext } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';

const CLIENT_ID = 'bench-spmis';
const PURPOSE = 'BENCH-ELIG';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '1,16,64' },
  },
});

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('Set DATABASE_URL to the seeded PostgreSQL database (and SRHUB_MASTER_KEY).');
  const log = createLogger('warn');
  const secrets = createSecrets(await loadMasterKey(config, log));
  const db = await initDb(config);
  const ctx = systemContext(config, db, secrets, log, SYSTEM_PRINCIPAL);
  const [{ persons }] = await db.query<{ persons: number }>('select count(*)::int as persons from person');

  // the caller: an SPMIS client, and a public-task agreement covering it (no per-person consent to look up)
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
  await db.close();

  const uins = sampleUins(Number(values.seed), 5000);
  const port = await freePort();
  const hub = await startHubProcess(port);
  const url = `http://127.0.0.1:${port}/registry/sync/search`;
  const results: Row[] = [];
  try {
    for (const concurrency of values.concurrency!.split(',').map(Number)) {
      for (const kind of ['idtype-value', 'predicate'] as const) {
        const criteria = kind === 'idtype-value'
          ? () => ({ query_type: 'idtype-value', response_entity: 'Member', query: { type: 'UIN', value: uins[Math.floor(Math.random() * uins.length)] } })
          : () => ({
              query_type: 'predicate',
              response_entity: 'Member',
              query: [{ seq_num: 1, expression1: { attribute_name: 'area-code', operator: 'eq', attribute_value: districts[Math.floor(Math.random() * districts.length)] } },
                { seq_num: 2, expression1: { attribute_name: 'YOB', operator: 'ge', attribute_value: 1950 } }],
              pagination: { page_size: 100, page_number: 1 + Math.floor(Math.random() * 5) },
            });
        results.push(await measure(url, access_token, kind, concurrency, criteria));
      }
    }
  } finally {
    hub.kill('SIGTERM');
  }
  console.table(results.map((r) => ({ query: r.query, concurrency: r.concurrency, 'req/s': r.requestsPerSecond, 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms, errors: r.errors, non2xx: r.non2xx })));
  const report = {
    benchmark: 'dci-http',
    command: `npx tsx bench/dci-http.ts ${process.argv.slice(2).join(' ')}`.trim(),
    at: new Date().toISOString(),
    persons,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    results,
  };
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/dci-http-${report.at.replace(/[:.]/g, '-')}.json`;
  await writeFile(file, JSON.stringify(report, null, 2));
  console.log(`${persons} persons in the registry; written to ${file}`);
}

const districts = districtsOf().map((d) => d.code);

interface Row {
  query: string;
  concurrency: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
}

async function measure(url: string, token: string, query: string, concurrency: number, criteria: () => object): Promise<Row> {
  const body = () =>
    JSON.stringify({
      header: { version: '1.0.0', message_id: randomUUID(), message_ts: new Date().toISOString(), action: 'search', sender_id: CLIENT_ID, total_count: 1 },
      message: {
        transaction_id: randomUUID(),
        search_request: [{ reference_id: randomUUID(), timestamp: new Date().toISOString(), search_criteria: { ...criteria(), consent: { '@type': 'Consent', purpose: { code: PURPOSE } } } }],
      },
    });
  const result = await autocannon({
    url,
    method: 'POST',
    connections: concurrency,
    duration: Number(values.seconds),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    // every request a new message id (replays are refused) and another record
    requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
  });
  return {
    query,
    concurrency,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/** UINs of the seeded population: the generator is deterministic, so the first households of the seed are registered. */
function sampleUins(seed: number, count: number): string[] {
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The hub as its own process (the load generator must not share its CPU time slices with it). */
async function startHubProcess(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/srhub.js', 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SRHUB_RATE_LIMIT_PER_MINUTE: '10000000',
      SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '10000000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false);
    if (ready) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the hub did not become ready in 60 s');
}

await main();
