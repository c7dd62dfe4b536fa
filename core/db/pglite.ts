// The embedded engine: PGlite (PostgreSQL compiled to WASM), persisted in a folder or held in memory.
import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
// trigram similarity for deduplication's blocking (migration 017 creates the extension where it is loaded), and
// btree columns in its GiST nearest-name indexes (migration 028)
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { DATE_OID, INT8_OID, NUMERIC_OID, parseDate, parseInt8, type Db } from './db.js';

/** Opens PGlite in dataDir (locked for this process), or in memory when dataDir is undefined (tests). */
export async function openPglite(dataDir: string | undefined): Promise<Db> {
  let lock: DataDirLock | undefined;
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    lock = await lockDataDir(dataDir);
  }
  try {
    const pglite = await PGlite.create(dataDir, {
      extensions: { pg_trgm, btree_gist },
      parsers: { [DATE_OID]: parseDate, [INT8_OID]: parseInt8, [NUMERIC_OID]: (v: string) => v },
    });
    return pgliteDb(pglite, lock);
  } catch (err) {
    await lock?.release();
    throw err;
  }
}

// PGlite runs each statement synchronously on this thread and settles its promise at once, so a background job's
// back-to-back statements form one chain of microtasks: no HTTP request is even read until the chain ends (a sync
// batch's checks held the API for over a minute). Giving the event loop a turn before a statement, once some
// milliseconds have passed since the last turn, lets requests in.
const TURN_EVERY_MS = 10;
let lastTurn = performance.now();
async function takeTurn(): Promise<void> {
  if (performance.now() - lastTurn < TURN_EVERY_MS) return;
  await new Promise((resolve) => setImmediate(resolve));
  lastTurn = performance.now();
}

function pgliteDb(pglite: PGlite, lock: DataDirLock | undefined): Db {
  return {
    engine: 'pglite',
    async query<T>(sql: string, params?: unknown[]) {
      await takeTurn();
      return (await pglite.query<T>(sql, params)).rows;
    },
    async execScript(sql: string) {
      await pglite.exec(sql);
    },
    // PGlite runs one transaction at a time and queues other queries behind it
    transaction: (work) => pglite.transaction((tx) => work(transactionDb(tx))),
    async close() {
      try {
        await pglite.close();
      } finally {
        await lock?.release();
      }
    },
  };
}

function transactionDb(tx: Transaction): Db {
  const db: Db = {
    engine: 'pglite',
    async query<T>(sql: string, params?: unknown[]) {
      await takeTurn();
      return (await tx.query<T>(sql, params)).rows;
    },
    async execScript(sql: string) {
      await tx.exec(sql);
    },
    transaction: (work) => work(db),
    async close() {
      throw new Error('a transaction cannot close the database');
    },
  };
  return db;
}
