// kill -9 of the hub in the middle of a sync push: what was answered is kept, every chunk of the interrupted push is
// there whole or not at all, and pushing the batch again after the restart yields each record exactly once.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHUNK } from '../../../core/sync/push.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/databases.js';
import { startHubProcess } from '../../helpers/hub-process.js';
import { copyPgliteTemplate } from '../../helpers/pglite-template.js';
import { dbEngines } from '../../helpers/services.js';
import { anAnsweredHousehold } from '../forms/form-data.js';

// under the 1,000 items a push may carry, so the whole batch can be pushed again
const BATCH = 3 * CHUNK + 10;
// a hub process compiles its sources at start: slow on a busy machine
const START_MS = 300_000;

interface Result {
  client_id: string;
  status: string;
  first_status?: string;
  case_id?: string;
}

async function push(url: string, items: unknown[]): Promise<{ status: number | 'connection lost'; results?: Result[] }> {
  try {
    const res = await fetch(`${url}/api/v1/sync/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device_id: 'crash', items }) });
    return { status: res.status, results: res.status === 200 ? (await res.json()).results : undefined };
  } catch {
    return { status: 'connection lost' };
  }
}

async function getWhenReady(url: string): Promise<{ status: number; body: unknown }> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url);
    const body = await res.json();
    if (res.status !== 503 || attempt === 10) return { status: res.status, body };
    await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
  }
}

describe.each(dbEngines())('killing the hub mid-sync-push on %s', (engine) => {
  let dataDir: string;
  let database: TestDatabase;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-sync-crash-'));
    // migrated copies of the run's templates: a first start from nothing is e2e/cli.test.ts's, not this test's
    database = await createTestDatabase(engine, { migrated: true });
    if (engine === 'pglite') await copyPgliteTemplate(path.join(dataDir, 'pglite'));
  });
  afterEach(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves each chunk whole or absent, and the batch pushed again taken exactly once', async () => {
    const env: Record<string, string> = { SRHUB_DATA_DIR: dataDir, SRHUB_AUTH: 'off', SRHUB_MASTER_KEY: randomBytes(32).toString('base64'), ...(database.url ? { DATABASE_URL: database.url } : {}) };
    const hub = await startHubProcess([], env, START_MS);
    await fetch(`${hub.url}/api/v1/admin-areas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'AM-R1-D1', name: 'Crash' }) });
    const items = Array.from({ length: BATCH }, () => ({
      client_id: randomUUID(), captured_at: new Date().toISOString(), form: { id: 'household-socioeconomic', version: 1 }, kind: 'new', household: anAnsweredHousehold(),
    }));
    // a small push that is answered, then the rest cut off by kill -9 while it is being written
    expect((await push(hub.url, items.slice(0, 10))).status).toBe(200);
    const inFlight = push(hub.url, items.slice(10));
    await new Promise((r) => setTimeout(r, 300));
    hub.child.kill('SIGKILL');
    const cut = await inFlight;
    await hub.exited;

    const restarted = await startHubProcess([], env, START_MS);
    try {
      const pushedAt = Date.now();
      const again = await push(restarted.url, items);
      const pushMs = Date.now() - pushedAt;
      expect(again.status).toBe(200);
      const results = again.results!;
      // what was answered is there: a duplicate of its first answer
      for (const r of results.slice(0, 10)) expect([r.status, r.first_status]).toEqual(['duplicate', 'accepted']);
      const rest = results.slice(10);
      if (cut.status === 200) {
        expect(rest.every((r) => r.status === 'duplicate')).toBe(true);
      } else {
        // chunks commit in order, each whole: the items that got in are the first whole chunks of the cut push
        const got = rest.filter((r) => r.status === 'duplicate').length;
        expect(rest.slice(0, got).every((r) => r.status === 'duplicate' && r.first_status === 'accepted')).toBe(true);
        expect(rest.slice(got).every((r) => r.status === 'accepted')).toBe(true);
        expect(got === rest.length || got % CHUNK === 0).toBe(true);
      }
      // exactly once: one case per item, none shared
      const caseIds = new Set(results.map((r) => r.case_id));
      expect(caseIds.size).toBe(BATCH);
      expect(caseIds.has(undefined)).toBe(false);
      // the restarted hub is still working through the pushed batch in the background: a 503 means "retry after"
      const verify = await getWhenReady(`${restarted.url}/api/v1/audit/verify`);
      if (verify.status !== 200) console.log(`audit check answered ${verify.status} (the push again took ${pushMs} ms, the check came ${Date.now() - pushedAt - pushMs} ms after it); the hub said:\n${restarted.output().slice(-4000)}`);
      expect(verify).toMatchObject({ status: 200, body: { valid: true } });
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }
    // two hub processes started and a batch pushed twice, on a machine that may be busy
  }, 1_200_000);
});
