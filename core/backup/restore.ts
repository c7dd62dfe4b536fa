// `srhub restore FILE`: into an empty database only, all in one transaction: migrate to the backup's level, load
// every table, check the foreign keys once at the end, set the sequences. Any failure (a frame that does not
// authenticate, a cut file, a constraint) rolls everything back, migrations included.
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Db } from '../db/db.js';
import { migrate, MIGRATION_LOCK_KEY, readMigrations, type Migration } from '../db/migrate.js';
import { TEXT_SETTINGS } from './backup.js';
import { listForeignKeys, listOwnedSequences, listSecondaryIndexes, listSequences, listTables, listUserTriggers, quoteIdent } from './catalog.js';
import { BackupError, readHeader, type BackupHeader, type BackupMigration } from './format.js';
import { FrameOpener, frameKeyFor } from './frames.js';
import { loadBody } from './load.js';

export interface RestoreSummary {
  tables: number;
  rows: number;
  seconds: number;
  schema: string;
  createdAt: string;
  engine: string;
}

export interface RestoreOptions {
  /** The migrations this code knows (default: core/db/migrations). */
  migrations?: Migration[];
}

export async function restoreBackup(db: Db, masterKey: Buffer, file: string, options: RestoreOptions = {}): Promise<RestoreSummary> {
  const started = performance.now();
  const handle = await open(file, 'r');
  try {
    const { header, hash, bodyOffset } = await readHeader(handle);
    const frameKey = frameKeyFor(masterKey, header);
    const migrations = migrationsFor(header, options.migrations ?? (await readMigrations()));
    const loaded = await db.transaction(async (tx) => {
      for (const setting of TEXT_SETTINGS) await tx.query(setting);
      // hubs starting on this database wait until the restore is committed
      await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await refuseUnlessEmpty(tx, header.migrations);
      await migrate(tx, migrations);

      const target = new Map((await listTables(tx)).map((t) => [t.name, t]));
      const triggers = await listUserTriggers(tx);
      const foreignKeys = await listForeignKeys(tx);
      const indexes = await listSecondaryIndexes(tx);
      // user triggers (audit chains, updated_at, history) already left their mark on the rows being restored
      for (const t of triggers) await tx.query(`alter table ${t.table} disable trigger ${quoteIdent(t.name)}`);
      // the rows of a table can refer to each other in any order; the keys are added back, and checked, at the end
      for (const fk of foreignKeys) await tx.query(`alter table ${fk.table} drop constraint ${quoteIdent(fk.name)}`);
      // as pg_restore does: one index build after the load is much cheaper than maintaining the index row by row
      for (const index of indexes) await tx.query(`drop index ${index.name}`);
      // the only rows now are those the migrations just wrote (schema_migration, reference data): the backup has them
      for (const table of target.keys()) await tx.query(`delete from ${quoteIdent(table)}`);

      const body = pipeline(
        Readable.from(readFrom(handle, bodyOffset)),
        new FrameOpener(frameKey, hash, header.frame_bytes),
        createGunzip(),
        () => undefined, // errors reach the reader below through the last stream
      );
      const result = await loadBody(tx, body, target);

      for (const index of indexes) await tx.query(index.definition);
      for (const fk of foreignKeys) await tx.query(`alter table ${fk.table} add constraint ${quoteIdent(fk.name)} ${fk.definition}`);
      for (const t of triggers) await tx.query(`alter table ${t.table} enable ${ENABLE_MODE[t.enabled] ?? ''} trigger ${quoteIdent(t.name)}`);
      await restoreSequences(tx, result.sequences);
      await checkMigrationRows(tx, header.migrations);
      return result;
    });
    return {
      tables: Object.keys(loaded.rows).length,
      rows: Object.values(loaded.rows).reduce((a, b) => a + b, 0),
      seconds: (performance.now() - started) / 1000,
      schema: header.migrations.at(-1)?.name ?? 'none',
      createdAt: header.created_at,
      engine: header.engine,
    };
  } finally {
    await handle.close();
  }
}

/** The file from `start` on; the handle stays ours to close (a handle's own streams hold it open). */
async function* readFrom(handle: FileHandle, start: number): AsyncGenerator<Buffer> {
  for (let position = start; ; ) {
    const chunk = Buffer.allocUnsafe(READ_BYTES);
    const { bytesRead } = await handle.read(chunk, 0, READ_BYTES, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield chunk.subarray(0, bytesRead);
  }
}

const READ_BYTES = 256 * 1024;
const ENABLE_MODE: Record<string, string> = { O: '', A: 'always', R: 'replica' };

/** The migrations to apply: exactly the backup's, all of which this code must know, unchanged. */
function migrationsFor(header: BackupHeader, known: Migration[]): Migration[] {
  const byId = new Map(known.map((m) => [m.id, m]));
  for (const m of header.migrations) {
    const mine = byId.get(m.id);
    if (!mine) {
      throw new BackupError(`This backup was made with migration ${m.name}, which this version of srhub does not have; restore it with a newer srhub.`);
    }
    if (mine.checksum !== m.checksum || mine.name !== m.name) {
      throw new BackupError(`Migration ${m.name} of this backup differs from this version's ${mine.name}; restore it with the srhub version that made it.`);
    }
  }
  const level = header.migrations.at(-1)?.id ?? 0;
  const wanted = known.filter((m) => m.id <= level);
  if (wanted.length !== header.migrations.length) {
    throw new BackupError(`This backup lacks migrations this version has below ${header.migrations.at(-1)?.name}; it cannot be restored here.`);
  }
  return wanted;
}

/** A new database, or one migrated no further than the backup and without a row in any table. */
async function refuseUnlessEmpty(tx: Db, backup: BackupMigration[]): Promise<void> {
  const [{ exists }] = await tx.query<{ exists: boolean }>(`select to_regclass('schema_migration') is not null as exists`);
  if (exists) {
    const inBackup = new Map(backup.map((m) => [m.id, m.checksum]));
    for (const m of await tx.query<BackupMigration>('select id, name, checksum from schema_migration order by id')) {
      if (inBackup.get(m.id) !== m.checksum) {
        throw new BackupError(`The database has migration ${m.name}, which the backup does not have; restore into a new, empty database.`);
      }
    }
  }
  // strict on purpose: rows a migration wrote (reference data) count too, so a database that `srhub migrate` or
  // `serve` has prepared may be refused; restore applies the migrations itself
  for (const table of await listTables(tx)) {
    if (table.name === 'schema_migration') continue;
    const [{ any }] = await tx.query<{ any: boolean }>(`select exists (select 1 from ${quoteIdent(table.name)}) as any`);
    if (any) {
      throw new BackupError(
        `The database is not empty (table ${table.name} has rows). srhub restore writes only into an empty database: ` +
          'create a new one (PostgreSQL: createdb; embedded engine: a new SRHUB_DATA_DIR) and restore into it, ' +
          'without running srhub migrate or serve on it first.',
      );
    }
  }
}

async function restoreSequences(tx: Db, sequences: { sequence: string; last_value: string | null; is_called: boolean }[]): Promise<void> {
  const present = new Set(await listSequences(tx));
  for (const s of sequences) {
    if (!present.has(s.sequence)) throw new BackupError(`The backup does not fit this database's schema: sequence ${s.sequence} does not exist here.`);
    if (s.last_value !== null) await tx.query('select setval($1::regclass, $2::bigint, $3)', [quoteIdent(s.sequence), s.last_value, s.is_called]);
  }
  // a sequence is never left behind a value its column holds, whatever the snapshot recorded
  for (const o of await listOwnedSequences(tx)) {
    const seq = quoteIdent(o.sequence);
    await tx.query(
      `select setval($1::regclass, m) from (select max(${quoteIdent(o.column)})::bigint as m from ${quoteIdent(o.table)}) x
        where m >= (select case when is_called then last_value + 1 else last_value end from ${seq})`,
      [seq],
    );
  }
}

async function checkMigrationRows(tx: Db, backup: BackupMigration[]): Promise<void> {
  const restored = await tx.query<BackupMigration>('select id, name, checksum from schema_migration order by id');
  const same = (a: BackupMigration[]) => JSON.stringify(a.map((m) => [m.id, m.name, m.checksum]));
  if (same(restored) !== same(backup)) throw new BackupError('The backup file is damaged: its schema_migration rows differ from its header.');
}
