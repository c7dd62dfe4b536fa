// The database module. DATABASE_URL selects PostgreSQL; otherwise PGlite persists in the data folder.
// The hub owns its Db (no module-level singleton), so tests can run several hubs in one process.
import path from 'node:path';
import type { Config } from '../config.js';
import type { Db } from './db.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export type { Db } from './db.js';

export type DbConfig = Pick<Config, 'databaseUrl' | 'dbPoolSize' | 'dataDir'> & Partial<Pick<Config, 'dbAcquireTimeoutMs'>>;

export async function openDb(config: DbConfig): Promise<Db> {
  return config.databaseUrl
    ? openPostgres(config.databaseUrl, config.dbPoolSize, config.dbAcquireTimeoutMs)
    : openPglite(path.join(config.dataDir, 'pglite'));
}

/** Opens the database and brings its schema up to date. */
export async function initDb(config: DbConfig): Promise<Db> {
  const db = await openDb(config);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
