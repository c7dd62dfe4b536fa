// Numbered SQL migrations (migrations/NNN_name.sql), applied in order under an advisory lock and recorded.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
// Any constant works; it only has to be the same for every hub instance sharing a database.
export const MIGRATION_LOCK_KEY = 7316402;

export interface Migration {
  id: number;
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(path.join(dir, file), 'utf8');
      return {
        id: Number(file.slice(0, 3)),
        name: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

/** Applies the pending migrations; returns the names applied. Refuses to run over an edited migration. */
export async function migrate(db: Db, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  return db.transaction(async (tx) => {
    // instances starting together wait here; the lock is released at commit
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.execScript(`create table if not exists schema_migration (
      id integer primary key, name text not null, checksum text not null,
      applied_at timestamptz not null default now())`);
    const applied = await tx.query<{ id: number; name: string; checksum: string }>(
      'select id, name, checksum from schema_migration order by id',
    );
    const appliedById = new Map(applied.map((m) => [m.id, m]));
    const done: string[] = [];
    for (const migration of all) {
      const previous = appliedById.get(migration.id);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new Error(`Migration ${migration.name} was changed after it was applied; add a new migration instead.`);
        }
        continue;
      }
      await tx.execScript(migration.sql);
      await tx.query('insert into schema_migration (id, name, checksum) values ($1, $2, $3)', [
        migration.id,
        migration.name,
        migration.checksum,
      ]);
      done.push(migration.name);
    }
    return done;
  });
}
