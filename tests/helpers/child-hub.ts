// What the kill tests share (a hub as a child process, killed -9 mid-run and started again on the same storage):
// storage of the test's own that outlives the process, the environment both processes start with, plain HTTP calls
// and polling. The process itself: hub-process.ts.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from './databases.js';
import type { HubProcess } from './hub-process.js';
import { copyPgliteTemplate } from './pglite-template.js';
import type { DbEngineName } from './services.js';

export const POLL_MS = 250;
/** How long a child hub may take to start: PGlite on a loaded machine needs most of a minute. */
export const CHILD_START_TIMEOUT_MS = 150_000;

export interface ChildHubStorage {
  /** The environment every process of the test starts with: the same data, the same master key. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A data folder and a database of the test's own, and the environment that points a hub process at them. */
export async function childHubStorage(engine: DbEngineName, extraEnv: Record<string, string> = {}): Promise<ChildHubStorage> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-child-'));
  const database = await createTestDatabase(engine, { migrated: true });
  // a copy of the run's migrated template: creating PGlite from nothing costs the child process most of a minute
  if (engine === 'pglite') await copyPgliteTemplate(path.join(dataDir, 'pglite'));
  return {
    env: {
      SRHUB_DATA_DIR: dataDir,
      SRHUB_AUTH: 'off',
      SRHUB_EGRESS_ALLOW: 'loopback',
      // the tests poll the hub from this one address faster than the default per-address limit allows
      SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
      SRHUB_MASTER_KEY: randomBytes(32).toString('base64'),
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      ...extraEnv,
    },
    async drop() {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** One JSON request to the hub process (SRHUB_AUTH=off: no token). */
export async function callHub(hub: HubProcess, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${hub.url}${url}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/** Polls every POLL_MS until `probe` gives a value; on timeout the error says what was awaited (and `explain`). */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, explain?: () => Promise<string>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}${explain ? `: ${await explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Queues a connector job on demand and waits until its run ends; the run as the API shows it. */
export async function runConnectorJob(hub: HubProcess, connectorId: string, job: string, timeoutMs = 60_000): Promise<any> {
  const queued = await callHub(hub, 'POST', `/api/v1/connectors/${connectorId}/runs`, { job });
  if (queued.status !== 202) throw new Error(`the ${job} run was not queued: ${queued.status} ${JSON.stringify(queued.body)}`);
  return waitUntil(`the ${connectorId} ${job} run to end`, async () => {
    const r = await callHub(hub, 'GET', `/api/v1/connectors/${connectorId}/runs/${queued.body.id}`);
    return ['succeeded', 'failed', 'partial'].includes(r.body?.status) ? r.body : undefined;
  }, timeoutMs);
}

/**
 * A count summed over every run of a connector queued since a time: a restarted hub's scheduled run (quarter-hourly
 * pulls) may start beside the one a test asks for, and exactly-once holds over all of them.
 */
export async function countSince(hub: HubProcess, connectorId: string, since: string, count: string): Promise<number> {
  const runs = (await callHub(hub, 'GET', `/api/v1/connectors/${connectorId}/runs`)).body.items as { queued_at: string; counts: Record<string, number> }[];
  return runs.filter((r) => r.queued_at >= since).reduce((n, r) => n + (r.counts[count] ?? 0), 0);
}

/** kill -9: no shutdown hook runs, whatever was not committed is lost. */
export async function killHard(hub: HubProcess): Promise<void> {
  hub.child.kill('SIGKILL');
  await hub.exited;
}

export async function stopGracefully(hub: HubProcess): Promise<void> {
  hub.child.kill('SIGTERM');
  await hub.exited;
}
