// `srhub backup FILE`: the whole registry as one consistent snapshot, streamed page by page through gzip into
// sealed frames, so memory stays flat however large the registry is.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Db } from '../db/db.js';
import { listSequences, listTables, quoteIdent, type TableInfo } from './catalog.js';
import { BackupError, encodeHeader, FORMAT_VERSION, type BackupHeader, type BackupMigration, type EndRecord, type SequenceRecord, type TableRecord } from './format.js';
import { FRAME_BYTES, FrameSealer, keyCheck, newFrameKey } from './frames.js';

export interface BackupOptions {
  /** Rows fetched per round trip. */
  pageRows?: number;
  /** Plaintext bytes per sealed frame (tests use small frames to get many). */
  frameBytes?: number;
}

export interface BackupSummary {
  tables: number;
  rows: number;
  bytes: number;
  seconds: number;
  /** The last migration the snapshot's schema has. */
  schema: string;
}

/**
 * Text forms that read back to the same value on any server: UTC offsets, ISO dates, hex bytea, floats with every
 * digit. Set inside the transaction (set local), so nothing leaks into a pooled connection.
 */
export const TEXT_SETTINGS = [
  "set local timezone = 'UTC'",
  "set local datestyle = 'ISO, YMD'",
  "set local intervalstyle = 'postgres'",
  'set local extra_float_digits = 3',
  "set local bytea_output = 'hex'",
];

/** Writes a backup of the database to `file`, which must not exist yet. */
export async function writeBackup(db: Db, masterKey: Buffer, file: string, options: BackupOptions = {}): Promise<BackupSummary> {
  const started = performance.now();
  const handle = await createNew(file);
  try {
    const summary = await db.transaction(async (tx) => {
      // the first statement of the transaction: every table is read from the same snapshot
      await tx.query('set transaction isolation level repeatable read, read only');
      for (const setting of TEXT_SETTINGS) await tx.query(setting);
      const frameKey = newFrameKey(masterKey);
      const frameBytes = options.frameBytes ?? FRAME_BYTES;
      const header: BackupHeader = {
        format: FORMAT_VERSION,
        created_at: new Date().toISOString(),
        engine: tx.engine,
        server_version: (await tx.query<{ server_version: string }>('show server_version'))[0].server_version,
        migrations: await appliedMigrations(tx),
        compression: 'gzip',
        cipher: 'aes-256-gcm',
        frame_bytes: frameBytes,
        nonce: frameKey.nonce.toString('base64'),
        key_check: keyCheck(frameKey),
      };
      const { bytes, hash } = encodeHeader(header);
      await handle.write(bytes, 0, bytes.length, 0);
      const tables = await listTables(tx);
      const rows: Record<string, number> = {};
      await pipeline(
        Readable.from(jsonLines(tx, tables, rows, Math.max(1, Math.trunc(options.pageRows ?? 2000)))),
        createGzip(),
        new FrameSealer(frameKey, hash, frameBytes),
        fileSink(handle, bytes.length),
      );
      return {
        tables: tables.length,
        rows: Object.values(rows).reduce((a, b) => a + b, 0),
        schema: header.migrations.at(-1)?.name ?? 'none',
      };
    });
    await handle.sync();
    const { size } = await handle.stat();
    await handle.close();
    return { ...summary, bytes: size, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(file).catch(() => undefined);
    throw err;
  }
}

async function createNew(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new BackupError(`${file} already exists; a backup never overwrites a file. Choose another name.`);
    }
    throw err;
  }
}

/** Writes to the handle from `start` on, leaving it open for sync and close (a handle's own streams hold it open). */
function fileSink(handle: FileHandle, start: number): Writable {
  let position = start;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      handle.write(chunk, 0, chunk.length, position).then(({ bytesWritten }) => {
        position += bytesWritten;
        done();
      }, done);
    },
  });
}

async function appliedMigrations(tx: Db): Promise<BackupMigration[]> {
  const [{ exists }] = await tx.query<{ exists: boolean }>(`select to_regclass('schema_migration') is not null as exists`);
  if (!exists) throw new BackupError('The database has no srhub schema (no schema_migration table); there is nothing to back up.');
  return tx.query<BackupMigration>('select id, name, checksum from schema_migration order by id');
}

async function* jsonLines(tx: Db, tables: TableInfo[], rows: Record<string, number>, pageRows: number): AsyncGenerator<string> {
  for (const table of tables) {
    const record: TableRecord = { table: table.name, columns: table.columns, types: table.types };
    yield JSON.stringify(record) + '\n';
    // the server writes each row as a JSON array of text values: exact for every type, and no per-value work here
    const values = table.columns.length ? `array_to_json(array[${table.columns.map((c) => `${quoteIdent(c)}::text`).join(', ')}])::text` : `'[]'`;
    await tx.query(`declare srhub_backup no scroll cursor for select ${values} as line from ${quoteIdent(table.name)}`);
    let count = 0;
    for (;;) {
      const page = await tx.query<{ line: string }>(`fetch forward ${pageRows} from srhub_backup`);
      if (page.length === 0) break;
      count += page.length;
      yield page.map((r) => r.line).join('\n') + '\n';
    }
    await tx.query('close srhub_backup');
    rows[table.name] = count;
  }
  // read after the tables: a sequence is never behind a value the snapshot holds
  for (const sequence of await listSequences(tx)) {
    const [state] = await tx.query<{ last_value: string | null; is_called: boolean }>(
      `select last_value::text as last_value, is_called from ${quoteIdent(sequence)}`,
    );
    const record: SequenceRecord = { sequence, last_value: state.last_value, is_called: state.is_called };
    yield JSON.stringify(record) + '\n';
  }
  const end: EndRecord = { end: true, tables: rows };
  yield JSON.stringify(end) + '\n';
}
