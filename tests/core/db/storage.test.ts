import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, readMigrations } from '../../../core/db/migrate.js';
import type { Db } from '../../../core/db/db.js';
import { openTestDb } from '../../helpers/databases.js';
import { copyPgliteTemplate } from '../../helpers/pglite-template.js';
import { dbEngines } from '../../helpers/services.js';

describe.each(dbEngines())('storage on %s', (engine) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDb(engine);
  });
  afterEach(() => db.close());

  it('applies every migration once and records it', async () => {
    const migrations = await readMigrations();
    const applied = await db.query<{ name: string }>('select name from schema_migration order by id');
    expect(applied.map((m) => m.name)).toEqual(migrations.map((m) => m.name));
    expect(await migrate(db)).toEqual([]);
  });

  it('refuses to start over a migration edited after it was applied', async () => {
    const [first] = await readMigrations();
    await expect(migrate(db, [{ ...first, checksum: 'edited' }])).rejects.toThrow(/was changed after it was applied/);
  });

  it('applies a new migration file in order', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'srhub-migrations-'));
    try {
      const existing = await readMigrations();
      for (const m of existing) await writeFile(path.join(dir, `${m.name}.sql`), m.sql);
      await writeFile(path.join(dir, '999_extra.sql'), 'create table extra (id int primary key);');
      expect(await migrate(db, await readMigrations(dir))).toEqual(['999_extra']);
      expect(await db.query('select * from extra')).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rolls a failed transaction back whole', async () => {
    await db.execScript('create table t (id int primary key)');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into t values (1)');
        await tx.query('insert into t values (1)');
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await db.query('select * from t')).toEqual([]);
  });

  it('parses dates as strings and counts as numbers on both engines', async () => {
    const [row] = await db.query<{ d: unknown; n: unknown }>(`select '2001-02-03'::date as d, count(*) as n from generate_series(1, 3)`);
    expect(row).toEqual({ d: '2001-02-03', n: 3 });
  });

  it('runs concurrent migrations one at a time (advisory lock)', async () => {
    const results = await Promise.all([migrate(db), migrate(db), migrate(db)]);
    expect(results).toEqual([[], [], []]);
  });
});

describe('the embedded engine\'s data folder', () => {
  // a copy of the migrated template: creating a data folder from nothing takes 6-11 s on a loaded machine
  const dataFolder = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'srhub-lock-'));
    await copyPgliteTemplate(dir);
    return dir;
  };

  it('is locked against a second opener and free again once closed', async () => {
    const { openPglite } = await import('../../../core/db/pglite.js');
    const dir = await dataFolder();
    try {
      const first = await openPglite(dir);
      // a lock file naming a live process other than this one (the parent of the test worker)
      await writeFile(path.join(dir, 'srhub.lock'), String(process.ppid));
      await expect(openPglite(dir)).rejects.toThrow(/Another srhub process \(pid \d+\) is using the data folder/);
      await writeFile(path.join(dir, 'srhub.lock'), String(process.pid));
      await first.close();
      const again = await openPglite(dir);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes over a lock left by a process that is gone', async () => {
    const { openPglite } = await import('../../../core/db/pglite.js');
    const dir = await dataFolder();
    try {
      await writeFile(path.join(dir, 'srhub.lock'), '999999999');
      const db = await openPglite(dir);
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
