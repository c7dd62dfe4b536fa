// Load soak (issue 11, part 6; a benchmark, not a CI test): the hub runs as its own process on a scratch PostgreSQL
// database (and Redis), and this process sends it mixed traffic at a steady rate (autocannon's overall rate) for N
// minutes: reads by id, lists, searches by name, registrations (with an Idempotency-Key), the audit log, readiness.
// Registrations are the synthetic population's households (core/seed: its naming traditions, birth dates, districts
// and household shapes), and one in ten lands in one crowded block (a family name, an estimated birth date and a
// district shared by all of them) so the duplicate check's crowd handling stays exercised.
// Each minute it records the hub's RSS (end, lowest and mean of 1 s samples, peak), its live heap (the hub runs with
// --trace-gc: the heap a full collection leaves), the latency percentiles, the answers by
// status and the rate achieved; it prints a table, a verdict (latency and memory flat or not: the last third of the
// minutes against the first) and writes JSON to bench/results/. Exits 1 on any failed request (error, timeout, non-2xx).
//   npm run soak                              30 minutes at 50 requests/s
//   npm run soak -- --minutes 3 --rate 30     a short check
// Options: --minutes (30), --rate (requests/s, 50), --connections (8), --seed (households made up front: 200),
// --population (the generator's seed: 11), --cpu-prof (the hub writes a V8 CPU profile to the --out folder when it
// stops), --out (bench/results). BENCH_POSTGRES_URL names the server (default the local one); REDIS_URL Redis.
import autocannon from 'autocannon';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { scopesOf } from '../core/auth/roles.js';
import { issueAccessToken } from '../core/auth/tokens.js';
import { createUser } from '../core/auth/users.js';
import { createSecrets } from '../core/keys/secrets.js';
import { createLogger } from '../core/log.js';
import type { HouseholdInput } from '../core/registry/types.js';
import { createCountryAreas, districtsOf } from '../core/seed/country.js';
import { generateHouseholds } from '../core/seed/households.js';
import { systemContext } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';
import { HUB_ENV } from './dci-http.js';
import { HUB_NODE_ARGS, startServerProcess } from './harness/hub-process.js';
import { machine, versions } from './harness/report.js';
import { openScratchDb } from './scratch-db.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '50' },
    connections: { type: 'string', default: '8' },
    seed: { type: 'string', default: '200' },
    population: { type: 'string', default: '11' },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const connections = Number(values.connections);
const seedHouseholds = Number(values.seed);
const populationSeed = Number(values.population);
if (!(minutes > 0) || !Number.isInteger(rate) || rate < 1 || !Number.isInteger(connections) || connections < 1 || !Number.isInteger(seedHouseholds) || seedHouseholds < 1) {
  throw new Error('--minutes takes a positive number, --rate, --connections and --seed whole numbers of at least 1');
}
if (!Number.isInteger(populationSeed)) throw new Error('--population takes a whole number (the generator seed)');
const argv = process.argv.slice(2).join(' ');
const command = process.env.npm_lifecycle_event === 'soak' ? `npm run soak${argv ? ` -- ${argv}` : ''}` : `npx tsx bench/soak.ts ${argv}`.trim();
// the crowded block: one district, one family name, the estimated birth date of many heads of household there
const CROWD = { area: districtsOf()[0].code, familyName: 'Mwangaza', birthDate: '1980-01-01', share: 0.1 };
// generated ages count back from this day, so every run makes the same people
const AS_OF = '2026-01-01';

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
  rssMeanMiB: number;
  /** The minute's lowest 1 s sample: the floor the heap returns to after garbage collection, which a leak raises. */
  rssFloorMiB: number;
  rssPeakMiB: number;
  /** The smallest V8 heap left by a full (mark-compact) collection this minute (the hub runs with --trace-gc): live data, what a leak grows; null when none ran. */
  heapAfterGcMiB: number | null;
  /** The machine's 1-minute load average at the minute's end: latency read against it (other work shares the cores). */
  load: number;
}

/** The mix: what each request is, by weight (reads by id go to the households made up front). */
function trafficMix(token: string, householdIds: string[], names: string[], nextHousehold: () => HouseholdInput) {
  const auth = { authorization: `Bearer ${token}` };
  const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
  const areas = districtsOf().map((d) => d.code);
  const kinds: { weight: number; make: () => { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> } }[] = [
    { weight: 35, make: () => ({ method: 'GET', path: `/api/v1/households/${pick(householdIds)}`, headers: auth }) },
    { weight: 15, make: () => ({ method: 'GET', path: `/api/v1/households?area_code=${pick(areas)}&limit=20`, headers: auth }) },
    { weight: 15, make: () => ({ method: 'GET', path: `/api/v1/persons?given_name=${encodeURIComponent(pick(names))}&limit=10`, headers: auth }) },
    { weight: 20, make: () => ({ method: 'POST', path: '/api/v1/households', body: JSON.stringify(nextHousehold()), headers: { ...auth, 'idempotency-key': randomUUID() } }) },
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

/**
 * The households to register, one after another: the synthetic population (deterministic for a --population seed),
 * one in ten moved into the crowded block (its members take the crowd's family name, its head the crowd's birth date).
 */
function population(seed: number): () => HouseholdInput {
  const households = generateHouseholds({ seed, areas: districtsOf(), asOf: AS_OF });
  let made = 0;
  return () => {
    const household = households.next().value as HouseholdInput;
    // every tenth, not at random: the same run makes the same crowd
    if (++made % Math.round(1 / CROWD.share) !== 0) return household;
    return {
      ...household,
      area_code: CROWD.area,
      members: household.members.map((m, i) =>
        m.person ? { ...m, person: { ...m.person, family_name: CROWD.familyName, ...(i === 0 ? { birth_date: CROWD.birthDate, birth_date_estimated: true } : {}) } } : m,
      ),
    };
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const scratch = await openScratchDb('soak');
  const { db, config, masterKey } = scratch;
  await createCountryAreas(db);
  const ctx = systemContext(config, db, createSecrets(masterKey), createLogger('warn'), SYSTEM_PRINCIPAL);
  const env: NodeJS.ProcessEnv = { ...HUB_ENV, DATABASE_URL: config.databaseUrl, SRHUB_MASTER_KEY: masterKey.toString('base64'), REDIS_URL: redisUrl, SRHUB_REDIS_PREFIX: `${scratch.name}:` };
  const hubLog = path.join(tmpdir(), `${scratch.name}-hub.log`);
  // --cpu-prof: V8 writes the hub's profile when it stops (SIGTERM: the hub shuts down and exits normally)
  const profile = values['cpu-prof'] ? [`--cpu-prof`, `--cpu-prof-dir=${path.resolve(values.out!)}`, `--cpu-prof-name=soak-hub-${scratch.name}.cpuprofile`] : [];
  // --trace-gc: each full collection's heap after it goes to the hub's log, the soak's measure of live data
  const hub = await startServerProcess([...HUB_NODE_ARGS, '--trace-gc', ...profile, 'bin/srhub.js', 'serve'], env, '/ready', hubLog);
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
    const nextHousehold = population(populationSeed);
    const householdIds: string[] = [];
    const names = new Set<string>();
    for (let i = 0; i < seedHouseholds; i += 500) {
      const batch = Array.from({ length: Math.min(500, seedHouseholds - i) }, nextHousehold);
      const created = await post('/api/v1/households:bulk', { households: batch });
      householdIds.push(...created.households.map((h: { id: string }) => h.id));
      for (const h of batch) if (h.members[0]?.person?.given_name) names.add(h.members[0].person.given_name);
    }
    const next = trafficMix(token, householdIds, [...names], nextHousehold);
    // the hub's RSS once a second, for each minute's mean (the end of a minute alone falls anywhere in a GC cycle)
    let rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(rssOf(hub.child.pid)), 1000);
    sampler.unref();

    const gcLog = fullGcReader(hubLog);
    gcLog();
    const rows: Minute[] = [];
    const wholeMinutes = Math.max(1, Math.round(minutes));
    for (let m = 1; m <= wholeMinutes; m++) {
      hub.resetWindow();
      rssSamples = [];
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
        rssMeanMiB: Math.round(mean(rssSamples.length ? rssSamples : [rssOf(hub.child.pid)])),
        rssFloorMiB: rssSamples.length ? Math.min(...rssSamples) : rssOf(hub.child.pid),
        rssPeakMiB: hub.windowPeakMiB(),
        heapAfterGcMiB: ((after) => (after.length ? Math.round(Math.min(...after)) : null))(gcLog()),
        load: Math.round(loadavg()[0] * 10) / 10,
      };
      rows.push(row);
      console.log(`minute ${m}: ${row.requests} requests (${row.ratePerS}/s), p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, errors ${row.errors}, non-2xx ${row.non2xx}, RSS ${row.rssMiB} MiB (floor ${row.rssFloorMiB}, mean ${row.rssMeanMiB}, peak ${row.rssPeakMiB}), heap after full GC ${row.heapAfterGcMiB ?? '-'} MiB, load ${row.load}`);
    }
    clearInterval(sampler);

    const summary = summarise(rows);
    console.log('');
    printSoakTable(rows);
    for (const line of verdictLines(summary)) console.log(line);
    const report = { benchmark: 'srhub-soak', command, at: startedAt.toISOString(), seconds: Math.round((Date.now() - startedAt.getTime()) / 1000), options: { minutes, rate, connections, seed: seedHouseholds, population: populationSeed, crowd: CROWD }, ...about, summary, minutes: rows };
    await mkdir(values.out!, { recursive: true });
    const file = path.join(values.out!, `soak-${minutes}min-${report.at.replace(/[:.]/g, '-')}.json`);
    await writeFile(file, JSON.stringify(report, null, 2) + '\n');
    console.log(`written to ${file}`);
    ok = summary.failed === 0;
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

/**
 * Reads the hub's log from where it last stopped and returns the heap sizes (MiB) left by the full collections of
 * its main thread logged since (`--trace-gc` lines: "[pid:isolate] ... Mark-Compact 63.7 (81.4) -> 47.0 (81.7) MB";
 * worker threads log their own, smaller heaps: the main thread is the isolate with the largest heap seen).
 */
function fullGcReader(logFile: string): () => number[] {
  let offset = 0;
  let partial = '';
  const largest = new Map<string, number>();
  return () => {
    const size = statSync(logFile).size;
    if (size <= offset) return [];
    const buffer = Buffer.alloc(size - offset);
    const fd = openSync(logFile, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, offset);
    } finally {
      closeSync(fd);
    }
    offset = size;
    const lines = (partial + buffer.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    const found = lines.flatMap((line) => {
      const m = /^\[\d+:(0x[0-9a-f]+)\].*Mark-Compact(?: \(reduce\))? [\d.]+ \(([\d.]+)\) -> ([\d.]+) \([\d.]+\) MB/.exec(line);
      return m ? [{ isolate: m[1], committed: Number(m[2]), after: Number(m[3]) }] : [];
    });
    for (const f of found) largest.set(f.isolate, Math.max(largest.get(f.isolate) ?? 0, f.committed));
    const main = [...largest].sort((a, b) => b[1] - a[1])[0]?.[0];
    return found.filter((f) => f.isolate === main).map((f) => f.after);
  };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Least-squares slope of ys against xs. */
function slopeAt(xs: number[], ys: number[]): number {
  if (ys.length < 2) return 0;
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  ys.forEach((y, i) => {
    num += (xs[i] - mx) * (y - my);
    den += (xs[i] - mx) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

/** Least-squares slope of ys against 0, 1, 2, ... (per step). */
const slope = (ys: number[]) => slopeAt(ys.map((_, i) => i), ys);

// what "flat" means: the last third's typical minute no worse than the first third's by more than half (or 25 ms for
// p50, 100 ms for p99: a few slow requests in a quiet minute are noise), and the hub's live heap (the smallest heap a
// full collection left each minute; the RSS floor where no full collection ran in 3 minutes or more: RSS also holds
// memory V8 keeps for later and swings by 100 MiB with GC) fitted over the minutes after the first (warm-up: JIT,
// pools, caches) growing less than 2 MiB a minute (60 MiB in 30 minutes)
const LATENCY_RATIO = 1.5;
const LATENCY_SLACK_MS = { p50: 25, p99: 100 };
const MEMORY_MIB_PER_MINUTE = 2;

/** Thirds of the run compared (medians of the minutes' percentiles), the RSS fit, and the counts of failures. */
function summarise(rows: Minute[]) {
  const third = Math.max(1, Math.floor(rows.length / 3));
  const first = rows.slice(0, third);
  const last = rows.slice(rows.length - third);
  const p50 = { firstThirdMs: median(first.map((r) => r.p50Ms)), lastThirdMs: median(last.map((r) => r.p50Ms)) };
  const p99 = { firstThirdMs: median(first.map((r) => r.p99Ms)), lastThirdMs: median(last.map((r) => r.p99Ms)) };
  const flat = (x: { firstThirdMs: number; lastThirdMs: number }, slack: number) => x.lastThirdMs <= Math.max(x.firstThirdMs * LATENCY_RATIO, x.firstThirdMs + slack);
  const warm = rows.length > 2 ? rows.slice(1) : rows;
  const heapMinutes = warm.filter((r) => r.heapAfterGcMiB !== null);
  const byHeap = heapMinutes.length >= 3;
  // the fit over the minutes that had a full collection, against their minute numbers
  const heapSlope = byHeap ? slopeAt(heapMinutes.map((r) => r.minute), heapMinutes.map((r) => r.heapAfterGcMiB!)) : 0;
  const rssSlope = slope(warm.map((r) => r.rssFloorMiB));
  const growth = byHeap ? heapSlope : rssSlope;
  const errors = rows.reduce((s, r) => s + r.errors, 0);
  const timeouts = rows.reduce((s, r) => s + r.timeouts, 0);
  const non2xx = rows.reduce((s, r) => s + r.non2xx, 0);
  return {
    requests: rows.reduce((s, r) => s + r.requests, 0),
    errors,
    timeouts,
    non2xx,
    failed: errors + timeouts + non2xx,
    loadMin: Math.min(...rows.map((r) => r.load)),
    loadMax: Math.max(...rows.map((r) => r.load)),
    minutesPerThird: third,
    p50,
    p99,
    latencyFlat: rows.length >= 3 ? flat(p50, LATENCY_SLACK_MS.p50) && flat(p99, LATENCY_SLACK_MS.p99) : null,
    rssFirstMiB: rows[0].rssMiB,
    rssLastMiB: rows[rows.length - 1].rssMiB,
    rssFloorFirstThirdMiB: Math.round(mean(first.map((r) => r.rssFloorMiB))),
    rssFloorLastThirdMiB: Math.round(mean(last.map((r) => r.rssFloorMiB))),
    rssMeanFirstThirdMiB: Math.round(mean(first.map((r) => r.rssMeanMiB))),
    rssMeanLastThirdMiB: Math.round(mean(last.map((r) => r.rssMeanMiB))),
    rssMaxMiB: Math.max(...rows.map((r) => r.rssPeakMiB)),
    rssGrowthMiBPerMinute: round1(rssSlope),
    heapAfterGcFirstMiB: heapMinutes[0]?.heapAfterGcMiB ?? null,
    heapAfterGcLastMiB: heapMinutes[heapMinutes.length - 1]?.heapAfterGcMiB ?? null,
    heapGrowthMiBPerMinute: byHeap ? round1(heapSlope) : null,
    memoryJudgedBy: byHeap ? 'heap after full GC' : 'RSS floor',
    memoryFlat: rows.length >= 3 ? growth < MEMORY_MIB_PER_MINUTE : null,
  };
}

const signed = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${x}`);

function verdictLines(s: ReturnType<typeof summarise>): string[] {
  const word = (flat: boolean | null) => (flat === null ? 'not judged (fewer than 3 minutes)' : flat ? 'FLAT' : 'NOT FLAT');
  return [
    `machine load average ${s.loadMin}-${s.loadMax} (${cpus().length} cores): latency on a loaded machine follows the load`,
    `latency ${word(s.latencyFlat)}: p50 ${s.p50.firstThirdMs} -> ${s.p50.lastThirdMs} ms, p99 ${s.p99.firstThirdMs} -> ${s.p99.lastThirdMs} ms (median minute, first third -> last third of ${s.minutesPerThird} minutes each)`,
    `memory ${word(s.memoryFlat)} (by ${s.memoryJudgedBy}; flat below +${MEMORY_MIB_PER_MINUTE} MiB/min fitted after the first minute): heap after full GC ${signed(s.heapGrowthMiBPerMinute)} MiB/min (${s.heapAfterGcFirstMiB ?? '-'} -> ${s.heapAfterGcLastMiB ?? '-'} MiB); RSS floor ${signed(s.rssGrowthMiBPerMinute)} MiB/min (${s.rssFloorFirstThirdMiB} -> ${s.rssFloorLastThirdMiB} MiB, first third -> last), mean ${s.rssMeanFirstThirdMiB} -> ${s.rssMeanLastThirdMiB} MiB, peak ${s.rssMaxMiB} MiB`,
    `${s.failed === 0 ? 'no failures' : 'FAILURES'}: ${s.errors} errors, ${s.timeouts} timeouts, ${s.non2xx} non-2xx of ${s.requests} requests`,
  ];
}

function printSoakTable(rows: Minute[]): void {
  const header = ['minute', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'RSS MiB', 'floor MiB', 'mean MiB', 'peak MiB', 'heap MiB', 'load'];
  const lines = rows.map((r) => [r.minute, r.requests, r.ratePerS, r.p50Ms, r.p90Ms, r.p99Ms, r.maxMs, r.errors, r.non2xx, r.rssMiB, r.rssFloorMiB, r.rssMeanMiB, r.rssPeakMiB, r.heapAfterGcMiB ?? '-', r.load].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
