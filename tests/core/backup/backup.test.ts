import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeBackup, type BackupSummary } from '../../../core/backup/backup.js';
import { restoreBackup } from '../../../core/backup/restore.js';
import { verifyChain } from '../../../core/audit/chain.js';
import { loadConfig } from '../../../core/config.js';
import type { Db } from '../../../core/db/db.js';
import { migrate, readMigrations } from '../../../core/db/migrate.js';
import { createSecrets } from '../../../core/keys/secrets.js';
import { createLogger } from '../../../core/log.js';
import { seedDemo } from '../../../core/seed/seed.js';
import { systemContext } from '../../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../../core/server/principal.js';
import { openTestDb } from '../../helpers/databases.js';
import { dbEngines, type DbEngineName } from '../../helpers/services.js';
import { addEdgeRows, createZoo, dropBlankPglite, EDGE_AREA, EDGE_NAME, fillZoo, fingerprint, masterKey, openBlankDb } from './fixtures.js';

interface Source {
  db: Db;
  key: Buffer;
  file: string;
  summary: BackupSummary;
}

/** The demo registry, the edge rows and the zoo, backed up in small frames (so the file has many). */
async function buildSource(engine: DbEngineName, dir: string): Promise<Source> {
  const db = await openTestDb(engine);
  const key = masterKey();
  const ctx = systemContext(loadConfig({ LOG_LEVEL: 'silent' }), db, createSecrets(key), createLogger('silent'), SYSTEM_PRINCIPAL);
  expect(await seedDemo(ctx)).not.toBeNull();
  await addEdgeRows(db);
  await createZoo(db);
  await fillZoo(db);
  const file = path.join(dir, `${engine}.srhub-backup`);
  const summary = await writeBackup(db, key, file, { frameBytes: 4096, pageRows: 100 });
  return { db, key, file, summary };
}

/** The body's frames as [offset, length] pairs, read from their length prefixes. */
async function frames(file: string): Promise<{ bytes: Buffer; list: [number, number][] }> {
  const bytes = await readFile(file);
  let offset = 13 + bytes.readUInt32BE(9);
  const list: [number, number][] = [];
  while (offset < bytes.length) {
    const length = (bytes.readUInt32BE(offset) & 0x7fffffff) + 4 + 16;
    list.push([offset, length]);
    offset += length;
  }
  return { bytes, list };
}

// one source per engine for the whole file (seeding the demo registry is what costs), read-only after it is built
let dir: string;
const sources = new Map<DbEngineName, Promise<Source>>();
function sourceOf(engine: DbEngineName): Promise<Source> {
  if (!sources.has(engine)) sources.set(engine, buildSource(engine, dir));
  return sources.get(engine)!;
}
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'srhub-backup-'));
});
afterAll(async () => {
  for (const source of sources.values()) await (await source.catch(() => undefined))?.db.close();
  await dropBlankPglite();
  await rm(dir, { recursive: true, force: true });
});

describe.each(dbEngines())('backup and restore on %s', (engine) => {
  let source: Source;
  let expected: Awaited<ReturnType<typeof fingerprint>>;

  beforeAll(async () => {
    source = await sourceOf(engine);
    expected = await fingerprint(source.db);
  }, 180_000);

  it('restores into an empty database migrated below the backup, with every row and value equal', async () => {
    const counted = Object.entries(expected).filter(([name]) => !name.startsWith('sequence '));
    expect(source.summary.rows).toBe(counted.reduce((n, [, t]) => n + (t as { rows: number }).rows, 0));
    expect(source.summary.tables).toBe(counted.length);
    expect((expected.person as { rows: number }).rows).toBeGreaterThan(500);

    const target = await openBlankDb(engine);
    try {
      await migrate(target, (await readMigrations()).slice(0, 1));
      await createZoo(target);
      const restored = await restoreBackup(target, source.key, source.file);
      expect(restored).toMatchObject({ tables: source.summary.tables, rows: source.summary.rows, engine });
      expect(await fingerprint(target)).toEqual(expected);
      const chain = await verifyChain(target);
      expect(chain).toMatchObject({ valid: true, entries: (expected.audit_log as { rows: number }).rows });
      expect(chain).toEqual(await verifyChain(source.db));

      // the insert trigger did not run on the restored rows, and is back on; sequences go on after the restored values
      const [zoo] = await target.query<{ touched: string; shout: string }>(`select touched, shout from zoo where id = 1`);
      expect(zoo).toEqual({ touched: 'edited', shout: 'ZZ' });
      const [fresh] = await target.query<{ id: number; touched: string }>(`insert into zoo default values returning id, touched`);
      expect(fresh).toEqual({ id: 6, touched: 'trigger ran' });
      const [ticket] = await target.query<{ n: string }>(`select nextval('zoo_ticket')::text as n`);
      expect(ticket.n).toBe('4');
      // the foreign keys are back, and enforced
      await expect(target.query(`insert into zoo (parent_id) values (999)`)).rejects.toThrow(/foreign key/);
    } finally {
      await target.close();
    }
  });

  it('restores into a brand-new database, migrating it inside the same transaction', async () => {
    const target = await openBlankDb(engine);
    try {
      await createZoo(target);
      // a cut file first: it fails at the end, and the migrations it ran are rolled back with the rows
      const cut = path.join(dir, `${engine}-cut`);
      const bytes = await readFile(source.file);
      await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.9)));
      await expect(restoreBackup(target, source.key, cut)).rejects.toThrow(/truncated/);
      const [{ exists }] = await target.query<{ exists: boolean }>(`select to_regclass('schema_migration') is not null as exists`);
      expect(exists).toBe(false);

      await restoreBackup(target, source.key, source.file);
      expect(await fingerprint(target)).toEqual(expected);
    } finally {
      await target.close();
    }
  });

  it('restores a backup of an older schema at its own level, for the next start to migrate further', async () => {
    const known = await readMigrations();
    const old = await openBlankDb(engine);
    const target = await openBlankDb(engine);
    try {
      await migrate(old, known.slice(0, 2));
      await addEdgeRows(old);
      const file = path.join(dir, `${engine}-old-schema`);
      await writeBackup(old, source.key, file);
      expect(await restoreBackup(target, source.key, file)).toMatchObject({ schema: known[1].name });
      expect(await fingerprint(target)).toEqual(await fingerprint(old));
      expect(await migrate(target)).toEqual(known.slice(2).map((m) => m.name));
    } finally {
      await old.close();
      await target.close();
    }
  });

  it('writes no readable personal data into the file', async () => {
    const bytes = await readFile(source.file);
    const names = await source.db.query<{ name: string }>(
      `select family_name as name from person where family_name is not null
       union select address from household where address is not null union select name from admin_area`,
    );
    // long enough that random ciphertext bytes cannot match by chance
    const values = [...names.map((n) => n.name), EDGE_NAME, EDGE_AREA, '"table"', 'person_identifier'].filter((v) => Buffer.byteLength(v) >= 7);
    expect(values.length).toBeGreaterThan(50);
    expect(values.filter((value) => bytes.includes(Buffer.from(value)))).toEqual([]);
    expect((await stat(source.file)).mode & 0o777).toBe(0o600);
  });

  describe('refuses, and writes nothing', () => {
    let target: Db;
    let empty: Awaited<ReturnType<typeof fingerprint>>;
    beforeAll(async () => {
      target = await openBlankDb(engine);
      await migrate(target, (await readMigrations()).slice(0, 1));
      await createZoo(target);
      empty = await fingerprint(target);
    });
    afterAll(() => target.close());
    afterEach(async () => expect(await fingerprint(target)).toEqual(empty));

    const altered = async (name: string, change: (bytes: Buffer, frames: [number, number][]) => Buffer) => {
      const { bytes, list } = await frames(source.file);
      const file = path.join(dir, `${engine}-${name}`);
      await writeFile(file, change(Buffer.from(bytes), list));
      return file;
    };

    it('a different master key', async () => {
      await expect(restoreBackup(target, masterKey(), source.file)).rejects.toThrow(/different master key/);
    });

    it('a flipped byte in the middle of the file, after rows were already inserted', async () => {
      const file = await altered('flipped', (bytes, list) => {
        expect(list.length).toBeGreaterThan(20);
        const [offset, length] = list[Math.floor(list.length * 0.7)];
        bytes[offset + Math.floor(length / 2)] ^= 0x01;
        return bytes;
      });
      await expect(restoreBackup(target, source.key, file)).rejects.toThrow(/damaged or was altered/);
    });

    it('swapped frames, a dropped last frame, an edited header and extra bytes', async () => {
      const swapped = await altered('swapped', (bytes, list) => {
        const [[a, la], [b, lb]] = [list[2], list[3]];
        return Buffer.concat([bytes.subarray(0, a), bytes.subarray(b, b + lb), bytes.subarray(a, a + la), bytes.subarray(b + lb)]);
      });
      await expect(restoreBackup(target, source.key, swapped)).rejects.toThrow(/damaged or was altered/);

      const dropped = await altered('dropped', (bytes, list) => bytes.subarray(0, list.at(-1)![0]));
      await expect(restoreBackup(target, source.key, dropped)).rejects.toThrow(/truncated/);

      const header = await altered('header', (bytes) => {
        const at = bytes.indexOf('"created_at":"') + '"created_at":"'.length;
        bytes[at] = bytes[at] === 0x32 ? 0x33 : 0x32; // another year, still valid JSON
        return bytes;
      });
      await expect(restoreBackup(target, source.key, header)).rejects.toThrow(/damaged or was altered/);

      const extra = await altered('extra', (bytes) => Buffer.concat([bytes, Buffer.from([0, 0, 0, 0])]));
      await expect(restoreBackup(target, source.key, extra)).rejects.toThrow(/after its last frame/);

      const other = await altered('other', (bytes) => Buffer.concat([Buffer.from('PGDMP'), bytes]));
      await expect(restoreBackup(target, source.key, other)).rejects.toThrow(/not an srhub backup/);
    });

    it('a backup made with a migration this code does not have', async () => {
      const known = await readMigrations();
      await expect(restoreBackup(target, source.key, source.file, { migrations: known.slice(0, -1) })).rejects.toThrow(/does not have/);
    });

    it('a database that is not empty, or migrated past the backup', async () => {
      await target.query(`insert into zoo (id, short) overriding system value values (100, 'x')`);
      try {
        await expect(restoreBackup(target, source.key, source.file)).rejects.toThrow(/not empty \(table zoo has rows\)/);
      } finally {
        await target.query(`delete from zoo`);
      }
      await target.query(`insert into schema_migration (id, name, checksum) values (999, '999_later', 'x')`);
      try {
        await expect(restoreBackup(target, source.key, source.file)).rejects.toThrow(/has migration 999_later/);
      } finally {
        await target.query(`delete from schema_migration where id = 999`);
      }
    });
  });

  it('never overwrites a file', async () => {
    const before = await readFile(source.file);
    await expect(writeBackup(source.db, source.key, source.file)).rejects.toThrow(/already exists/);
    expect((await readFile(source.file)).equals(before)).toBe(true);
  });
});

(dbEngines().length === 2 ? describe : describe.skip)('backup and restore across engines', () => {
  it.each([
    ['pglite', 'postgres'],
    ['postgres', 'pglite'],
  ] as const)('from %s to %s', async (from, to) => {
    const source = await sourceOf(from);
    const target = await openBlankDb(to);
    try {
      await createZoo(target);
      await restoreBackup(target, source.key, source.file);
      expect(await fingerprint(target)).toEqual(await fingerprint(source.db));
    } finally {
      await target.close();
    }
  }, 180_000);
});
