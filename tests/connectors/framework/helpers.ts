// Shared set-up of the framework's tests: a hub whose connectors come from ./fixtures, and the fake system.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestHub, type TestHub, type TestHubOptions } from '../../helpers/test-hub.js';

export const FIXTURES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function startFixtureHub(options: TestHubOptions = {}): Promise<TestHub> {
  return startTestHub({ ...options, env: { SRHUB_CONNECTORS_DIR: FIXTURES_DIR, ...options.env } });
}

/** Settings that keep the tests quick: short backoff and cool-down. */
export const QUICK = { retries: 2, backoffMs: 5, maxBackoffMs: 20, breakerFailures: 3, breakerCooldownMs: 200, httpTimeoutMs: 2000 };

export async function checkpoint<T = unknown>(t: TestHub, connectorId: string, name: string): Promise<T | undefined> {
  const [row] = await t.hub.db.query<{ value: T }>('select value from connector_checkpoint where connector_id = $1 and name = $2', [connectorId, name]);
  return row?.value;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
