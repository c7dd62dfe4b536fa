import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startHubProcess } from '../helpers/hub-process.js';
import { copyPgliteTemplate } from '../helpers/pglite-template.js';
import { dbEngines } from '../helpers/services.js';

const BATCH = 4000;

describe.each(dbEngines())('killing the hub mid-bulk-import on %s', (engine) => {
  let dataDir: string;
  let database: TestDatabase;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-crash-'));
    // migrated copies of the run's templates: a first start from nothing is e2e/cli.test.ts's, not this test's
    database = await createTestDatabase(engine, { migrated: true });
    if (engine === 'pglite') await copyPgliteTemplate(path.join(dataDir, 'pglite'));
  });
  afterEach(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves each batch whole or absent', async () => {
    const env: Record<string, string> = { SRHUB_DATA_DIR: dataDir, SRHUB_AUTH: 'off', SRHUB_MASTER_KEY: randomBytes(32).toString('base64'), ...(database.url ? { DATABASE_URL: database.url } : {}) };
    const hub = await startHubProcess([], env);
    await fetch(`${hub.url}/api/v1/admin-areas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'C1', name: 'Crash' }) });
    const households = Array.from({ length: BATCH }, (_, i) => ({
      area_code: 'C1',
      members: [
        { relationship: 'SELF', person: { given_name: `Head${i}`, identifiers: [{ type: 'UIN', value: String(5_000_000_000 + i) }] } },
        { relationship: 'SON', person: { given_name: `Son${i}` } },
      ],
    }));
    const post = (batch: typeof households) =>
      fetch(`${hub.url}/api/v1/households:bulk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ households: batch }) })
        .then((r) => r.status)
        .catch(() => 'connection lost');
    // one small batch that completes, then a large one cut off by kill -9 while it is being written
    expect(await post(households.slice(0, 10))).toBe(200);
    const inFlight = post(households.slice(10));
    await new Promise((r) => setTimeout(r, 400));
    hub.child.kill('SIGKILL');
    const answer = await inFlight;
    await hub.exited;

    const restarted = await startHubProcess([], env);
    try {
      let count = 0;
      let cursor: string | null = null;
      do {
        const page: { items: unknown[]; next_cursor: string | null } = await (
          await fetch(`${restarted.url}/api/v1/households?area_code=C1&limit=500${cursor ? `&cursor=${cursor}` : ''}`)
        ).json();
        count += page.items.length;
        cursor = page.next_cursor;
      } while (cursor);
      // acknowledged work is durable; the interrupted batch is all there or not there at all
      if (answer === 200) expect(count).toBe(BATCH);
      else expect([10, BATCH]).toContain(count);
      const persons = await (await fetch(`${restarted.url}/api/v1/persons?given_name=son&limit=500`)).json();
      expect(persons.items.length).toBe(Math.min(count, 500));
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }
  });
});
