// The PostgreSQL engine: a node-postgres pool.
import pg from 'pg';
import { DATE_OID, INT8_OID, isDatabaseUnavailable, parseDate, parseInt8, type Db } from './db.js';

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === DATE_OID) return parseDate;
    if (oid === INT8_OID) return parseInt8;
    return pg.types.getTypeParser(oid, format);
  },
};

/** acquireTimeoutMs: how long a query waits for a free connection (or a new one to connect) before failing; the
 *  failure is a "database unavailable" error (isDatabaseUnavailable), which the API answers 503 with Retry-After. */
export async function openPostgres(url: string, poolSize: number, acquireTimeoutMs = 10_000): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types, connectionTimeoutMillis: acquireTimeoutMs });
  // an idle client that loses its server must not crash the process; the next query reconnects
  pool.on('error', () => undefined);
  await pool.query('select 1');
  return poolDb(pool);
}

function poolDb(pool: pg.Pool): Db {
  const db: Db = {
    engine: 'postgres',
    async query<T>(sql: string, params?: unknown[]) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async execScript(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(work: (tx: Db) => Promise<T>) {
      const client = await pool.connect();
      // a checked-out client whose server goes away emits 'error' between queries: unheard, it would end the
      // process; heard, the next query fails and the client is thrown away instead of going back to the pool
      let broken: Error | undefined;
      const onError = (err: Error) => (broken = err);
      client.on('error', onError);
      try {
        await client.query('begin');
        const result = await work(clientDb(client));
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        broken ??= isDatabaseUnavailable(err) ? (err as Error) : undefined;
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
  return db;
}

function clientDb(client: pg.PoolClient): Db {
  const tx: Db = {
    engine: 'postgres',
    async query<T>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params)).rows as T[];
    },
    async execScript(sql: string) {
      await client.query(sql);
    },
    transaction: (work) => work(tx),
    async close() {
      throw new Error('a transaction cannot close the database');
    },
  };
  return tx;
}
