// Crash consistency of bulk registration: the hub (a real process) is killed -9 at random points while bulk batches
// are being written, and `srhub import` is killed -9 in the middle of a CSV file. After each kill: every batch the
// hub answered 200 is there whole, every other batch is whole or absent, nothing is there twice, a batch sent again
// with its Idempotency-Key is applied once, and the audit chain verifies.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { callHub, CHILD_START_TIMEOUT_MS, childHubStorage, killHard, stopGracefully, waitUntil, type ChildHubStorage } from '../helpers/child-hub.js';
import { runSrhub, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { postgresUrl } from '../helpers/services.js';
import { crashSeed, seededRandom, sql } from './crash-random.js';

const KILLS = 3;
const AREA = 'CR1';

interface Batch {
  tag: string;
  size: number;
  key: string;
  answer?: number | 'connection lost';
}

const batchBody = (batch: Batch, firstUin: number) => ({
  households: Array.from({ length: batch.size }, (_, i) => ({
    area_code: AREA,
    members: [
      { relationship: 'SELF', person: { given_name: `${batch.tag}H${i}`, identifiers: [{ type: 'UIN', value: String(firstUin + i) }] } },
      { relationship: 'SON', person: { given_name: `${batch.tag}K${i}` } },
    ],
  })),
});

describe('killing the hub and the importer mid-write (PostgreSQL)', () => {
  const seed = crashSeed();
  const random = seededRandom(seed);
  let storage: ChildHubStorage;
  let databaseUrl: string;
  const figures = { kills: 0, batches: 0, records: 0 };

  beforeAll(async () => {
    if (!postgresUrl()) throw new Error('the crash tests need PostgreSQL: set DATABASE_URL');
    console.log(`crash seed ${seed} (replay: CRASH_SEED=${seed})`);
    storage = await childHubStorage('postgres');
    databaseUrl = storage.env.DATABASE_URL;
  });
  afterAll(async () => {
    await storage?.drop();
    console.log(`crash consistency, bulk and CSV import: ${figures.kills} kills -9 injected, ${figures.batches} batches and ${figures.records} records checked, lost: 0 (seed ${seed})`);
  });

  /** Persons of each batch tag, as the database has them. */
  const personsByTag = async (): Promise<Map<string, number>> => {
    const rows = await sql<{ tag: string; n: string }>(databaseUrl, `select substring(given_name from '^(R[0-9]+B[0-9]+)') as tag, count(*) as n from person where given_name ~ '^R[0-9]+B[0-9]+[HK]' group by 1`);
    return new Map(rows.map((r) => [r.tag, Number(r.n)]));
  };

  it(`leaves every bulk batch whole or absent across ${KILLS} kills at random points, and applies a retried batch once`, async () => {
    const batches: Batch[] = [];
    let uin = 6_000_000_000;
    const uinOf = new Map<string, number>();
    let hub: HubProcess = await startHubProcess([], storage.env, CHILD_START_TIMEOUT_MS);
    expect((await callHub(hub, 'POST', '/api/v1/admin-areas', { code: AREA, name: 'Crash' })).status).toBe(201);
    const post = (target: HubProcess, batch: Batch) =>
      fetch(`${target.url}/api/v1/households:bulk`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': batch.key }, body: JSON.stringify(batchBody(batch, uinOf.get(batch.tag)!)) })
        .then(async (r) => ({ status: r.status, body: await r.text() }))
        .catch(() => ({ status: 'connection lost' as const, body: '' }));

    for (let round = 1; round <= KILLS; round++) {
      // batches one after another until the kill; the kill lands somewhere in the writing of one of them
      let killed = false;
      const writer = (async () => {
        for (let b = 1; !killed; b++) {
          const batch: Batch = { tag: `R${round}B${b}`, size: random.between(50, 800), key: `crash-bulk-${seed}-${round}-${b}` };
          uinOf.set(batch.tag, uin);
          uin += batch.size;
          batches.push(batch);
          const res = await post(hub, batch);
          batch.answer = res.status;
          if (res.status !== 200 && res.status !== 'connection lost') throw new Error(`batch ${batch.tag}: ${res.status} ${res.body.slice(0, 300)}`);
        }
      })();
      await new Promise((r) => setTimeout(r, random.between(300, 3000)));
      killed = true;
      await killHard(hub);
      figures.kills += 1;
      await writer;
      hub = await startHubProcess([], storage.env, CHILD_START_TIMEOUT_MS);

      const persons = await personsByTag();
      for (const batch of batches) {
        const stored = persons.get(batch.tag) ?? 0;
        if (batch.answer === 200) expect([batch.tag, stored]).toEqual([batch.tag, batch.size * 2]);
        else expect([batch.tag, [0, batch.size * 2].includes(stored)]).toEqual([batch.tag, true]);
      }
    }

    // the batches cut off by a kill, sent again with their keys: whole once, whether or not they had committed
    for (const batch of batches.filter((b) => b.answer !== 200)) {
      const res = await post(hub, batch);
      expect([batch.tag, res.status]).toEqual([batch.tag, 200]);
    }
    const persons = await personsByTag();
    for (const batch of batches) expect([batch.tag, persons.get(batch.tag)]).toEqual([batch.tag, batch.size * 2]);
    const total = batches.reduce((sum, b) => sum + b.size, 0);
    const [{ n }] = await sql<{ n: string }>(databaseUrl, 'select count(*) as n from household where area_code = $1', [AREA]);
    expect(Number(n)).toBe(total);
    const verified = await callHub(hub, 'GET', '/api/v1/audit/verify');
    expect(verified.body).toMatchObject({ valid: true });
    await stopGracefully(hub);
    figures.batches += batches.length;
    figures.records += total * 3 + verified.body.entries;
  }, 360_000);

  it('leaves the CSV import with whole batches only, in file order, when `srhub import` is killed -9', async () => {
    const HOUSEHOLDS = 6000;
    const lines = ['household_ref,area_code,relationship,given_name,family_name,birth_date'];
    for (let i = 0; i < HOUSEHOLDS; i++) {
      lines.push(`h${i},${AREA},SELF,CsvH${i},Import,1970-01-01`, `h${i},${AREA},SON,CsvK${i},Import,2010-01-01`);
    }
    const file = path.join(storage.env.SRHUB_DATA_DIR, 'households.csv');
    await writeFile(file, lines.join('\n'));
    const imported = async () => Number((await sql<{ n: string }>(databaseUrl, `select count(*) as n from person where given_name like 'CsvH%'`))[0].n);

    const importer = runSrhub(['import', file], storage.env);
    // kill once the first batch (1,000 households) is in, at a random point of the ones after it
    await waitUntil('the first batch of the import to commit', async () => ((await imported()) > 0 ? true : undefined), 120_000, async () => importer.output());
    await new Promise((r) => setTimeout(r, random.between(0, 3000)));
    importer.child.kill('SIGKILL');
    await importer.exited;
    figures.kills += 1;

    const heads = await sql<{ given_name: string }>(databaseUrl, `select given_name from person where given_name like 'CsvH%'`);
    const indices = heads.map((h) => Number(h.given_name.slice(4))).sort((a, b) => a - b);
    // whole batches of 1,000, the first ones of the file, each household once with both its members
    expect(indices.length % 1000).toBe(0);
    expect(indices).toEqual(Array.from({ length: indices.length }, (_, i) => i));
    const [{ n: children }] = await sql<{ n: string }>(databaseUrl, `select count(*) as n from person where given_name like 'CsvK%'`);
    expect(Number(children)).toBe(indices.length);
    figures.batches += indices.length / 1000;
    figures.records += indices.length * 2;
    console.log(`srhub import killed after ${indices.length} of ${HOUSEHOLDS} households`);
  }, 240_000);
});
