// Each test gets a database of its own: a fresh PGlite (a copy of the run's migrated template, in a folder of its
// own), or a new database on the PostgreSQL server (dropped afterwards), so runs never depend on what another left.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Db } from '../../core/db/db.js';
import { migrate } from '../../core/db/migrate.js';
import { openPglite } from '../../core/db/pglite.js';
import { openPostgres } from '../../core/db/postgres.js';
import { copyPgliteTemplate } from './pglite-template.js';
import { postgresUrl, type DbEngineName } from './services.js';

export interface TestDatabase {
  engine: DbEngineName;
  /** Set for PostgreSQL: the URL of the test's own database. */
  url?: string;
  drop(): Promise<void>;
}

/**
 * Creates a database of the test's own on PostgreSQL: empty, or with `migrated` a copy of the run's migrated
 * template (global-setup.ts) where the run has one, which costs what an empty one does and skips the migrations.
 * For PGlite there is nothing to create (the hub opens it in its data folder; copyPgliteTemplate fills that).
 */
export async function createTestDatabase(engine: DbEngineName, { migrated = false } = {}): Promise<TestDatabase> {
  if (engine === 'pglite') return { engine, drop: async () => undefined };
  const serverUrl = postgresUrl();
  if (!serverUrl) throw new Error('no PostgreSQL for the tests: set DATABASE_URL');
  const name = `srhub_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const template = migrated ? process.env.SRHUB_TEST_POSTGRES_TEMPLATE : undefined;
    await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    engine,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A migrated Db on the engine, for store-level tests; close() also drops the database. */
export async function openTestDb(engine: DbEngineName): Promise<Db> {
  const database = await createTestDatabase(engine, { migrated: true });
  const folder = engine === 'pglite' ? await mkdtemp(path.join(tmpdir(), 'srhub-test-db-')) : undefined;
  if (folder) await copyPgliteTemplate(path.join(folder, 'data'));
  const db = folder ? await openPglite(path.join(folder, 'data')) : await openPostgres(database.url!, 5);
  await migrate(db);
  return {
    ...db,
    async close() {
      await db.close();
      await database.drop();
      if (folder) await rm(folder, { recursive: true, force: true });
    },
  };
}
