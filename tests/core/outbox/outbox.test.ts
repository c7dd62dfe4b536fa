// The outbox: events exist only for committed changes, reach every consumer once in commit order, survive a failing
// consumer, and the registry's writes emit them.
import type { Db } from '../../../core/db/index.js';
import { createLogger } from '../../../core/log.js';
import { createOutbox, purgeConsumedEvents, type Outbox, type OutboxConsumer } from '../../../core/outbox/dispatcher.js';
import { emitEvents, type OutboxEvent } from '../../../core/outbox/events.js';
import { openTestDb } from '../../helpers/databases.js';
import { dbEngines } from '../../helpers/services.js';
import { startTestHub } from '../../helpers/test-hub.js';
import { aHousehold, createAreas } from '../../helpers/registry-data.js';

const log = createLogger('silent');

function collector(name: string, topics = ['test.happened']): OutboxConsumer & { seen: OutboxEvent[] } {
  const seen: OutboxEvent[] = [];
  return { name, topics, seen, handle: async (_tx, events) => void seen.push(...events) };
}

const event = (n: number) => ({ topic: 'test.happened', aggregateType: 'thing', aggregateId: `t${n}`, payload: { n } });

describe.each(dbEngines())('outbox on %s', (engine) => {
  let db: Db;
  let outbox: Outbox;
  beforeEach(async () => {
    db = await openTestDb(engine);
    outbox = createOutbox(db, log, { pollMs: 60_000 });
  });
  afterEach(async () => {
    await outbox.stop();
    await db.close();
  });

  test('a consumer sees committed events once, in order, and never those of a rolled-back transaction', async () => {
    const consumer = collector('c1');
    outbox.register(consumer);
    await db.transaction((tx) => emitEvents(tx, [event(1), event(2)]));
    await db
      .transaction(async (tx) => {
        await emitEvents(tx, [event(99)]);
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await db.transaction((tx) => emitEvents(tx, [event(3), { ...event(4), topic: 'other.topic' }]));
    await outbox.drain();
    await outbox.drain();
    expect(consumer.seen.map((e) => e.payload.n)).toEqual([1, 2, 3]);
    expect(consumer.seen[0]).toMatchObject({ topic: 'test.happened', aggregateType: 'thing', aggregateId: 't1' });
  });

  test('each consumer keeps its own cursor, and a new dispatcher (a restart) continues where the last stopped', async () => {
    const a = collector('a');
    const b = collector('b');
    outbox.register(a);
    outbox.register(b);
    await db.transaction((tx) => emitEvents(tx, [event(1)]));
    await outbox.drain();
    await outbox.stop();
    await db.transaction((tx) => emitEvents(tx, [event(2)]));
    const restarted = createOutbox(db, log, { pollMs: 60_000 });
    const a2 = collector('a');
    restarted.register(a2);
    await restarted.drain();
    await restarted.stop();
    expect(a.seen.map((e) => e.payload.n)).toEqual([1]);
    expect(a2.seen.map((e) => e.payload.n)).toEqual([2]);
    expect(b.seen.map((e) => e.payload.n)).toEqual([1]);
  });

  test('an idle dispatcher polls with one statement, and still sees new events and a cursor set back', async () => {
    const a = collector('a');
    const b = collector('b');
    outbox.register(a);
    outbox.register(b);
    await db.transaction((tx) => emitEvents(tx, [event(1)]));
    await outbox.drain();
    // count what the next passes send to the database
    const statements: string[] = [];
    const counting = createOutbox({ ...db, query: (sql: string, params?: unknown[]) => (statements.push(sql), db.query(sql, params)), transaction: (work) => db.transaction((tx) => work({ ...tx, query: (sql: string, params?: unknown[]) => (statements.push(sql), tx.query(sql, params)) })) } as Db, log, { pollMs: 60_000 });
    const a2 = collector('a');
    const b2 = collector('b');
    counting.register(a2);
    counting.register(b2);
    await counting.drain();
    expect(statements).toHaveLength(1); // both consumers are at the newest event: no transaction at all
    await db.transaction((tx) => emitEvents(tx, [event(2)]));
    await db.query(`update outbox_consumer set last_id = 0 where name = 'b'`); // an operator replays b
    await counting.drain();
    await counting.stop();
    expect(a2.seen.map((e) => e.payload.n)).toEqual([2]);
    expect(b2.seen.map((e) => e.payload.n)).toEqual([1, 2]);
  });

  test('a failing consumer gets the same batch again and loses nothing; what it wrote is rolled back with it', async () => {
    await db.query('create table handled (n int primary key)');
    let fail = true;
    outbox.register({
      name: 'flaky',
      topics: ['test.happened'],
      async handle(tx, events) {
        await tx.query('insert into handled select (e->>0)::int from jsonb_array_elements($1::jsonb) e', [JSON.stringify(events.map((e) => [e.payload.n]))]);
        if (fail) throw new Error('receiver down');
      },
    });
    await db.transaction((tx) => emitEvents(tx, [event(1), event(2)]));
    await outbox.drain();
    expect(await db.query('select n from handled')).toEqual([]);
    fail = false;
    await new Promise((r) => setTimeout(r, 600)); // past the consumer's first backoff
    await outbox.drain();
    expect((await db.query<{ n: number }>('select n from handled order by n')).map((r) => r.n)).toEqual([1, 2]);
  });

  test('consumed events older than the retention are purged; unconsumed ones are kept', async () => {
    const consumer = collector('slow');
    outbox.register(consumer);
    await db.transaction((tx) => emitEvents(tx, [event(1)]));
    await outbox.drain();
    await db.transaction((tx) => emitEvents(tx, [event(2)]));
    await db.query(`update outbox_event set created_at = now() - interval '30 days'`);
    expect(await purgeConsumedEvents(db, 7)).toBe(1);
    const left = await db.query<{ aggregate_id: string }>('select aggregate_id from outbox_event');
    expect(left.map((r) => r.aggregate_id)).toEqual(['t2']);
  });
});

(dbEngines().includes('postgres') ? describe : describe.skip)('outbox commit order on postgres', () => {
  test('a writer waits for the one before it to commit, so event ids follow commit order and none is skipped', async () => {
    const db = await openTestDb('postgres');
    const outbox = createOutbox(db, log, { pollMs: 60_000 });
    const consumer = collector('ordered');
    outbox.register(consumer);
    // one connection of the pool holds a transaction open with its event written
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = db.transaction(async (tx) => {
      await emitEvents(tx, [event(1)]);
      await held;
    });
    await new Promise((r) => setTimeout(r, 100));
    // another writes its event meanwhile: it waits for the first to end
    let secondDone = false;
    const second = db.transaction((tx) => emitEvents(tx, [event(2)])).then(() => (secondDone = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(secondDone).toBe(false);
    await outbox.drain();
    expect(consumer.seen).toEqual([]);
    release();
    await Promise.all([first, second]);
    await outbox.drain();
    expect(consumer.seen.map((e) => e.payload.n)).toEqual([1, 2]);
    expect(Number(consumer.seen[0].id)).toBeLessThan(Number(consumer.seen[1].id));
    await outbox.stop();
    await db.close();
  });
});

describe('registry writes emit events', () => {
  test('registering a household, changing it and a person emit their events in the same transaction', async () => {
    const t = await startTestHub();
    try {
      const seen = collector('registry-test', ['household.registered', 'person.registered', 'household.updated', 'person.updated']);
      t.hub.outbox.register(seen);
      await createAreas(t);
      const created = await t.post('/api/v1/households', aHousehold());
      expect(created.status).toBe(201);
      const changed = await t.patch(`/api/v1/households/${created.body.id}`, { address: 'Elsewhere 1' }, { ifMatch: created.body.version });
      expect(changed.status).toBe(200);
      await t.hub.outbox.drain();
      const topics = seen.seen.map((e) => `${e.topic}:${e.aggregateId}`);
      expect(topics[0]).toBe(`household.registered:${created.body.id}`);
      for (const m of created.body.members) expect(topics).toContain(`person.registered:${m.person_id}`);
      expect(topics[topics.length - 1]).toBe(`household.updated:${created.body.id}`);
      expect(seen.seen[seen.seen.length - 1].payload).toMatchObject({ fields: ['address'] });
      // no personal data in the payloads
      expect(JSON.stringify(seen.seen)).not.toMatch(/Elsewhere/);
    } finally {
      await t.stop();
    }
  });
});
