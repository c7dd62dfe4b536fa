// The API measurements of bench/run.ts against a hub process: bulk registration (and raw COPY of the same rows),
// consent grants and token checks, reads by id, a field sync push. The load comes from this process; the hub runs
// in its own (hub-process.ts).
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db } from '../../core/db/index.js';
import type { HouseholdInput } from '../../core/registry/types.js';
import { districtsOf } from '../../core/seed/country.js';
import { generateHouseholds } from '../../core/seed/households.js';
import { newItem, postJson } from '../sync-push.js';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
}

type Request = { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> };

/** autocannon for `seconds` (after a few untimed requests to warm up), each request made by `next`. */
export async function load(baseUrl: string, concurrency: number, limit: { seconds: number } | { amount: number }, next: () => Request): Promise<LoadResult> {
  if ('seconds' in limit) await load(baseUrl, concurrency, { amount: 2 * concurrency }, next);
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: baseUrl,
    connections: concurrency,
    timeout: 60,
    ...('seconds' in limit ? { duration: limit.seconds } : { amount: limit.amount }),
    requests: [{ setupRequest: (request) => {
      const r = next();
      return { ...request, method: r.method, path: r.path, body: r.body, headers: { ...request.headers, ...r.headers, ...(r.body ? { 'content-type': 'application/json' } : {}) } };
    } }],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.requests.total === 0) throw new Error(`no request to ${baseUrl} was answered within the measure`);
  return {
    requestsPerSecond: Math.round(result.requests.total / seconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/**
 * Registers about `persons` synthetic persons through POST /api/v1/households:bulk, batches of 1,000 households, two
 * batches in flight (the next one generated while the hub writes): the sample registered on top of the seeded population.
 */
export async function bulkRegister(baseUrl: string, token: string, persons: number, seed: number): Promise<{ persons: number; households: number; seconds: number }> {
  const BATCH = 1000;
  const IN_FLIGHT = 2;
  let registeredPersons = 0;
  let registeredHouseholds = 0;
  const pending = new Set<Promise<void>>();
  const send = (households: HouseholdInput[]) => {
    const sent = postJson(`${baseUrl}/api/v1/households:bulk`, { households }, { authorization: `Bearer ${token}` }).then(({ status, body }) => {
      if (status !== 200) throw new Error(`households:bulk answered ${status}: ${JSON.stringify(body).slice(0, 500)}`);
      registeredHouseholds += households.length;
      registeredPersons += households.reduce((n, h) => n + h.members.length, 0);
    });
    const tracked = sent.finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const started = process.hrtime.bigint();
  let batch: HouseholdInput[] = [];
  for (const household of generateHouseholds({ seed, persons, areas: districtsOf() })) {
    batch.push(household);
    if (batch.length === BATCH) {
      send(batch);
      batch = [];
      if (pending.size >= IN_FLIGHT) await Promise.race(pending);
    }
  }
  if (batch.length) send(batch);
  await Promise.all(pending);
  return { persons: registeredPersons, households: registeredHouseholds, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

// the registry's own rows of a registration (the API also writes history, match keys, audit and outbox rows, which is
// its cost), each with the rows `createdBy` registered: the API sample, not the seeded population
const REGISTRY_TABLES: Record<string, (createdBy: string) => string> = {
  household: (by) => `select * from public.household where created_by = ${by}`,
  person: (by) => `select * from public.person where created_by = ${by}`,
  membership: (by) => `select m.* from public.membership m join public.household h on h.id = m.household_id where h.created_by = ${by}`,
  person_identifier: (by) => `select i.* from public.person_identifier i join public.person p on p.id = i.person_id where p.created_by = ${by}`,
};

/**
 * The floor for bulk registration: the same rows (as the API wrote them for `createdBy`) loaded with COPY into empty
 * copies of the tables with the same indexes and constraints. Exports to files first (untimed), then times the
 * loads. Uses psql's \copy (client side), so the database server may be elsewhere.
 */
export async function rawCopy(db: Db, databaseUrl: string, createdBy: string): Promise<{ seconds: number; rows: number }> {
  if (!/^[a-z]+:[a-z0-9_.-]+$/i.test(createdBy)) throw new RangeError(`not a principal id: ${createdBy}`);
  const work = await mkdtemp(path.join(tmpdir(), 'srhub-bench-copy-'));
  const psql = (...commands: string[]) =>
    execFileSync('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-At', ...commands.flatMap((c) => ['-c', c])], { encoding: 'utf8' });
  try {
    await db.execScript('drop schema if exists bench_copy cascade; create schema bench_copy;');
    for (const [table, rows] of Object.entries(REGISTRY_TABLES)) {
      await db.execScript(`create table bench_copy.${table} (like public.${table} including all)`);
      psql(`\\copy (${rows(`'${createdBy}'`)}) to '${path.join(work, table)}'`);
    }
    let rows = 0;
    const started = process.hrtime.bigint();
    // one psql session for the four loads, as a loader would do it
    const output = psql(...Object.keys(REGISTRY_TABLES).map((table) => `\\copy bench_copy.${table} from '${path.join(work, table)}'`));
    for (const [, n] of output.matchAll(/COPY (\d+)/g)) rows += Number(n);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, rows };
  } finally {
    await db.execScript('drop schema if exists bench_copy cascade');
    await rm(work, { recursive: true, force: true });
  }
}

/** Runs `work` once for every item, `concurrency` at a time; the rate in items per second. */
export async function forEach<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<{ perSecond: number; seconds: number }> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: Math.round(items.length / seconds), seconds };
}

/** A field device's push of `items` new registrations (bench/sync-push.ts's items), timed; the statuses of its answer. */
export async function syncPush(baseUrl: string, token: string, items: number): Promise<{ ms: number; statuses: Record<string, number> }> {
  const headers = { authorization: `Bearer ${token}` };
  const push = async (batch: unknown[]) => {
    const started = process.hrtime.bigint();
    const { status, body } = await postJson(`${baseUrl}/api/v1/sync/push`, { device_id: 'bench', items: batch }, headers);
    if (status !== 200) throw new Error(`sync push answered ${status}: ${JSON.stringify(body).slice(0, 500)}`);
    const statuses: Record<string, number> = {};
    for (const r of (body as { results: { status: string }[] }).results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    return { ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6), statuses };
  };
  await push(Array.from({ length: 5 }, (_, i) => newItem(1_000_000 + i))); // warm-up, outside the measure
  return push(Array.from({ length: items }, (_, i) => newItem(i)));
}
