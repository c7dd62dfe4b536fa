import { appendEntries, createAudit } from '../../../core/audit/audit.js';
import { verifyChain } from '../../../core/audit/chain.js';
import { auditEntries, type AuditEntry } from '../../../core/audit/entry.js';
import type { Db } from '../../../core/db/index.js';
import { migrate } from '../../../core/db/migrate.js';
import { openPostgres } from '../../../core/db/postgres.js';
import { HubError } from '../../../core/server/errors.js';
import { SYSTEM_PRINCIPAL } from '../../../core/server/principal.js';
import { createTestDatabase, openTestDb } from '../../helpers/databases.js';
import { dbEngines, postgresUrl } from '../../helpers/services.js';

const read = (requestId: string, extra: Partial<AuditEntry> = {}): AuditEntry[] => [
  { ...auditEntries({ principal: SYSTEM_PRINCIPAL, requestId }, [{ action: 'read', entity: 'person', entityId: requestId }])[0], ...extra },
];

async function countOf(db: Db, requestId: string): Promise<number> {
  const [row] = await db.query<{ n: number }>('select count(*)::int as n from audit_log where request_id = $1', [requestId]);
  return row.n;
}

/** The Db with its transactions counted, and made to fail while `failing` is set. */
function instrumented(db: Db) {
  const state = { transactions: 0, failing: false };
  const wrapped: Db = {
    ...db,
    transaction: (work) => {
      state.transactions++;
      if (state.failing) return Promise.reject(new Error('connection lost'));
      return db.transaction(work);
    },
  };
  return { db: wrapped, state };
}

describe.each(dbEngines())('audit group commit on %s', (engine) => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb(engine);
  });
  afterAll(() => db.close());

  it('answers each caller only once its entries are committed', async () => {
    const audit = createAudit(db, { maxDelayMs: 2 });
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i % 7));
        await audit.recordReads(read(`gc-${i}`));
        // looked up from outside the writer, the moment the caller has its answer
        seen.push(await countOf(db, `gc-${i}`));
      }),
    );
    expect(seen).toEqual(Array(60).fill(1));
    await audit.stop();
    expect(await verifyChain(db)).toMatchObject({ valid: true });
  });

  it('writes the callers that arrive together in one transaction', async () => {
    const { db: counted, state } = instrumented(db);
    const audit = createAudit(counted, { maxDelayMs: 5 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => audit.recordReads(read(`together-${i}`))));
    expect(state.transactions).toBe(1);
    // a batch holds at most maxBatch entries; one caller's entries are never split
    const small = createAudit(counted, { maxDelayMs: 5, maxBatch: 10 });
    state.transactions = 0;
    await Promise.all([...Array.from({ length: 25 }, (_, i) => small.recordReads(read(`small-${i}`))), small.recordReads([...read('big-1'), ...read('big-2'), ...read('big-3')].concat(Array.from({ length: 12 }, (_, i) => read(`big-${i + 4}`)[0])))]);
    expect(state.transactions).toBe(4);
    await Promise.all([audit.stop(), small.stop()]);
  });

  it('rejects with 503 the callers of a batch that could not be written, and carries on', async () => {
    const { db: flaky, state } = instrumented(db);
    const audit = createAudit(flaky, { maxDelayMs: 2 });
    state.failing = true;
    const refused = await Promise.allSettled([audit.recordReads(read('lost-1')), audit.recordReads(read('lost-2'))]);
    expect(refused.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(HubError);
    expect((refused[0] as PromiseRejectedResult).reason.status).toBe(503);
    state.failing = false;
    await audit.recordReads(read('after-failure'));
    expect(await countOf(db, 'lost-1')).toBe(0);
    expect(await countOf(db, 'after-failure')).toBe(1);
    await audit.stop();
    expect(await verifyChain(db)).toMatchObject({ valid: true });
  });

  it('writes what is queued when stopped, and refuses entries after', async () => {
    const audit = createAudit(db, { maxDelayMs: 1000 });
    const pending = Promise.all([audit.recordReads(read('at-stop-1')), audit.recordReads(read('at-stop-2'))]);
    await audit.stop();
    await pending;
    expect((await countOf(db, 'at-stop-1')) + (await countOf(db, 'at-stop-2'))).toBe(2);
    await expect(audit.recordReads(read('too-late'))).rejects.toMatchObject({ status: 503 });
  });

  it('leaves no entry and no gap when the transaction of a write rolls back', async () => {
    await expect(
      db.transaction(async (tx) => {
        await appendEntries(tx, read('rolled-back'));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await db.transaction((tx) => appendEntries(tx, read('after-rollback')));
    expect(await countOf(db, 'rolled-back')).toBe(0);
    const result = await verifyChain(db);
    expect(result).toMatchObject({ valid: true });
  });

  it('hashes what it reads back: odd text, nested details, upper-case ids', async () => {
    const entry = read('odd', {
      purpose: 'caf\u00e9 \ud83d\ude00 nul\u0000 lone\ud800',
      subjectPersonId: '0189ABCD-0000-7000-8000-0000000000AA',
      fields: ['a', 'b,c', 'd"e', ''],
      details: { z: 1, a: { y: [1, 'two', null, true], b: 0.1 }, gone: undefined },
    });
    await db.transaction((tx) => appendEntries(tx, entry));
    const [stored] = await db.query<{ purpose: string; subject_person_id: string; fields: string[] }>(
      "select purpose, subject_person_id, fields from audit_log where request_id = 'odd'",
    );
    expect(stored).toEqual({ purpose: 'caf\u00e9 \ud83d\ude00 nul\ufffd lone\ufffd', subject_person_id: '0189abcd-0000-7000-8000-0000000000aa', fields: ['a', 'b,c', 'd"e', ''] });
    expect(await verifyChain(db, 3)).toMatchObject({ valid: true });
  });
});

const pg = postgresUrl() ? describe : describe.skip;

pg('audit chain with two hub instances on one PostgreSQL database', () => {
  it('keeps one chain, in commit order, whoever writes', async () => {
    const database = await createTestDatabase('postgres');
    const [a, b] = [await openPostgres(database.url!, 5), await openPostgres(database.url!, 5)];
    try {
      await migrate(a);
      const [auditA, auditB] = [createAudit(a, { maxDelayMs: 0 }), createAudit(b, { maxDelayMs: 0 })];
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => [
          auditA.recordReads(read(`a-${i}`)),
          auditB.recordReads(read(`b-${i}`)),
          (i % 2 ? a : b).transaction((tx) => appendEntries(tx, [...read(`w-${i}`), ...read(`w-${i}`)])),
        ]).flat(),
      );
      await Promise.all([auditA.stop(), auditB.stop()]);
      expect(await verifyChain(a)).toEqual({ valid: true, entries: 160, head: { id: 160, hash: expect.any(String) } });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await database.drop();
    }
  });
});
