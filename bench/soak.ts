// Load soak (issue 11, part 6; a benchmark, not a CI test): the hub runs as its own process on a scratch PostgreSQL
// database (and Redis), and this process sends it mixed traffic at a steady rate (autocannon's overall rate) for N
// minutes: reads by id, lists, searches by name, registrations (with an Idempotency-Key), the audit log, readiness.
// Each minute it records the hub's RSS (end and peak), the latency percentiles, the answers by status and the
// rate achieved; it prints a table and writes JSON to bench/results/. What to look for: RSS that keeps growing
// minute after minute (a leak), latency that drifts up, any error or 5xx.
//   npm run soak                              30 minutes at 50 requests/s
//   npm run soak -- --minutes 3 --rate 30     a short check
// Options: --minutes (30), --rate (requests/s, 50), --connections (8), --seed (households made up front: 200),
// --out (bench/results). BENCH_POSTGRES_URL names the server (default the local one); REDIS_URL Redis.
import autocannon from 'autocannon';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { scopesOf } from '../core/auth/roles.js';
import { issueAccessToken } from '../core/auth/tokens.js';
import { createUser } from '../core/auth/users.js';
import { createSecrets } from '../core/keys/secrets.js';
import { createLogger } from '../core/log.js';
import { systemContext } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';
import { HUB_ENV } from './dci-http.js';
import { startServerProcess } from './harness/hub-process.js';
import { machine, versions } from './harness/report.js';
import { openScratchDb } from './scratch-db.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '50' },
    connections: { type: 'string', default: '8' },
    seed: { type: 'string', default: '200' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const connections = Number(values.connections);
const seedHouseholds = Number(values.seed);
if (!(minutes > 0) || !Number.isInteger(rate) || rate < 1 || !Number.isInteger(connections) || connections < 1 || !Number.isInteger(seedHouseholds) || seedHouseholds < 1) {
  throw new Error('--minutes takes a positive number, --rate, --connections and --seed whole numbers of at least 1');
}
const argv = process.argv.slice(2).join(' ');
const command = process.env.npm_lifecycle_event === 'soak' ? `npm run soak${argv ? ` -- ${argv}` : ''}` : `npx tsx bench/soak.ts ${argv}`.trim();
const AREA = 'SOAK';

interface Minute {
  minute: number;
  requests: number;
  ratePerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statuses: Record<string, number>;
  rssMiB: number;
  rssPeakMiB: number;
}

/** The mix: what each request is, by weight (reads by id go to the households made up front). */
function trafficMix(token: string, householdIds: string[], names: string[]) {
  const auth = { authorization: `Bearer ${token}` };
  const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
  const kinds: { weight: number; make: () => { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> } }[] = [
    { weight: 35, make: () => ({ method: 'GET', path: `/api/v1/households/${pick(householdIds)}`, headers: auth }) },
    { weight: 15, make: () => ({ method: 'GET', path: `/api/v1/households?area_code=${AREA}&limit=20`, headers: auth }) },
    { weight: 15, make: () => ({ method: 'GET', path: `/api/v1/persons?given_name=${encodeURIComponent(pick(names))}&limit=10`, headers: auth }) },
    { weight: 20, make: () => ({ method: 'POST', path: '/api/v1/households', body: JSON.stringify(aHousehold(`Soak${randomBytes(3).toString('hex')}`)), headers: { ...auth, 'idempotency-key': randomUUID() } }) },
    { weight: 5, make: () => ({ method: 'GET', path: '/api/v1/audit?limit=20', headers: auth }) },
    { weight: 10, make: () => ({ method: 'GET', path: '/ready' }) },
  ];
  const total = kinds.reduce((s, k) => s + k.weight, 0);
  return () => {
    let r = Math.random() * total;
    for (const kind of kinds) if ((r -= kind.weight) < 0) return kind.make();
    return kinds[0].make();
  };
}

function aHousehold(given: string) {
  return {
    area_code: AREA,
    members: [
      { relationship: 'SELF', person: { given_name: given, family_name: 'Soak', birth_date: '1980-02-02', identifiers: [{ type: 'UIN', value: String(2_000_000_000 + Math.floor(Math.random() * 7_999_999_999)) }] } },
      { relationship: 'DAU', person: { given_name: `${given}d`, family_name: 'Soak', birth_date: '2012-03-03' } },
    ],
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const scratch = await openScratchDb('soak');
  const { db, config, masterKey } = scratch;
  const ctx = systemContext(config, db, createSecrets(masterKey), createLogger('warn'), SYSTEM_PRINCIPAL);
  const env: NodeJS.ProcessEnv = { ...HUB_ENV, DATABASE_URL: config.databaseUrl, SRHUB_MASTER_KEY: masterKey.toString('base64'), REDIS_URL: redisUrl, SRHUB_REDIS_PREFIX: `${scratch.name}:` };
  const hubLog = path.join(tmpdir(), `${scratch.name}-hub.log`);
  const hub = await startServerProcess(['bin/srhub.js', 'serve'], env, '/ready', hubLog);
  const abandon = async () => {
    await hub.stop();
    await scratch.close(false).catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', abandon).once('SIGTERM', abandon);
  let ok = false;
  try {
    const about = { machine: machine(), versions: await versions(db, redisUrl) };
    console.log(`srhub soak: ${minutes} min at ${rate} requests/s (${connections} connections), database ${scratch.name}; hub log ${hubLog}; ${command}`);
    await createUser(ctx.db, { username: 'soak-admin', roles: ['administrator'], password: randomBytes(18).toString('base64url') }, 'soak');
    const roles = ['administrator'];
    const { access_token: token } = await issueAccessToken(ctx.keys, { ...config, tokenTtlSeconds: Math.max(900, Math.ceil(minutes * 60 + 600)) }, { sub: 'user:soak-admin', roles, scopes: await scopesOf(db, roles), areas: null });
    const post = async (p: string, body: unknown) => {
      const res = await fetch(hub.url + p, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`POST ${p} answered ${res.status}: ${await res.text()}`);
      return res.json();
    };
    await post('/api/v1/admin-areas', { code: AREA, name: 'Soak' });
    const householdIds: string[] = [];
    const names: string[] = [];
    for (let i = 0; i < seedHouseholds; i += 500) {
      const batch = Array.from({ length: Math.min(500, seedHouseholds - i) }, (_, j) => aHousehold(`Seed${i + j}`));
      const created = await post('/api/v1/households:bulk', { households: batch });
      householdIds.push(...created.households.map((h: { id: string }) => h.id));
    }
    for (let i = 0; i < seedHouseholds; i += 37) names.push(`Seed${i}`);
    const next = trafficMix(token, householdIds, names);

    const rows: Minute[] = [];
    const wholeMinutes = Math.max(1, Math.round(minutes));
    for (let m = 1; m <= wholeMinutes; m++) {
      hub.resetWindow();
      const statuses: Record<string, number> = {};
      const result = await autocannon({
        url: hub.url,
        connections,
        overallRate: rate,
        duration: 60 * (minutes / wholeMinutes),
        timeout: 30,
        requests: [{ setupRequest: (request) => {
          const r = next();
          return { ...request, method: r.method, path: r.path, body: r.body, headers: { ...request.headers, ...r.headers, ...(r.body ? { 'content-type': 'application/json' } : {}) } };
        } }],
      });
      for (const [code, count] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = (count as { count: number }).count;
      const row: Minute = {
        minute: m,
        requests: result.requests.total,
        ratePerS: Math.round(result.requests.average),
        p50Ms: result.latency.p50,
        p90Ms: result.latency.p90,
        p99Ms: result.latency.p99,
        maxMs: result.latency.max,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        statuses,
        rssMiB: rssOf(hub.child.pid),
        rssPeakMiB: hub.windowPeakMiB(),
      };
      rows.push(row);
      console.log(`minute ${m}: ${row.requests} requests (${row.ratePerS}/s), p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, errors ${row.errors}, non-2xx ${row.non2xx}, RSS ${row.rssMiB} MiB (peak ${row.rssPeakMiB})`);
    }

    const summary = summarise(rows);
    console.log('');
    printSoakTable(rows);
    console.log(`RSS ${summary.rssFirstMiB} -> ${summary.rssLastMiB} MiB (${summary.rssGrowthMiBPerMinute >= 0 ? '+' : ''}${summary.rssGrowthMiBPerMinute} MiB/min over the second half); p99 ${summary.p99FirstMs} -> ${summary.p99LastMs} ms; ${summary.errors} errors, ${summary.non2xx} non-2xx of ${summary.requests} requests`);
    const report = { benchmark: 'srhub-soak', command, at: startedAt.toISOString(), seconds: Math.round((Date.now() - startedAt.getTime()) / 1000), options: { minutes, rate, connections, seed: seedHouseholds }, ...about, summary, minutes: rows };
    await mkdir(values.out!, { recursive: true });
    const file = path.join(values.out!, `soak-${minutes}min-${report.at.replace(/[:.]/g, '-')}.json`);
    await writeFile(file, JSON.stringify(report, null, 2) + '\n');
    console.log(`written to ${file}`);
    ok = summary.errors === 0;
  } finally {
    await hub.stop();
    await ctx.audit.stop();
    await scratch.close(false).catch((err) => console.error(`could not drop ${scratch.name}: ${err}`));
    if (!ok) process.exitCode = 1;
  }
}

/** The hub's resident set size now (MiB), from /proc (Linux). */
function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** Growth is judged on the second half (the first minutes include warm-up: JIT, caches, pools). */
function summarise(rows: Minute[]) {
  const half = rows.slice(Math.floor(rows.length / 2));
  const slope = half.length > 1 ? (half[half.length - 1].rssMiB - half[0].rssMiB) / (half.length - 1) : 0;
  return {
    requests: rows.reduce((s, r) => s + r.requests, 0),
    errors: rows.reduce((s, r) => s + r.errors, 0),
    non2xx: rows.reduce((s, r) => s + r.non2xx, 0),
    rssFirstMiB: rows[0].rssMiB,
    rssLastMiB: rows[rows.length - 1].rssMiB,
    rssMaxMiB: Math.max(...rows.map((r) => r.rssPeakMiB)),
    rssGrowthMiBPerMinute: Math.round(slope * 10) / 10,
    p99FirstMs: rows[0].p99Ms,
    p99LastMs: rows[rows.length - 1].p99Ms,
  };
}

function printSoakTable(rows: Minute[]): void {
  const header = ['minute', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'RSS MiB', 'peak MiB'];
  const lines = rows.map((r) => [r.minute, r.requests, r.ratePerS, r.p50Ms, r.p90Ms, r.p99Ms, r.maxMs, r.errors, r.non2xx, r.rssMiB, r.rssPeakMiB].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
