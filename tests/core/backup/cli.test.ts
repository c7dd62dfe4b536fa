import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPglite } from '../../../core/db/pglite.js';
import { createTestDatabase } from '../../helpers/databases.js';
import { runSrhub } from '../../helpers/hub-process.js';
import { copyPgliteTemplate } from '../../helpers/pglite-template.js';
import { postgresUrl } from '../../helpers/services.js';

async function srhub(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const run = runSrhub(args, env);
  const code = await run.exited;
  return { code, output: run.output() };
}

describe('srhub backup and restore on the command line', () => {
  let dir: string;
  const key = randomBytes(32).toString('base64');
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'srhub-backup-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('backs up the demo registry and restores it into a new data folder, and says why when it refuses', async () => {
    const source = { SRHUB_DATA_DIR: path.join(dir, 'source'), SRHUB_MASTER_KEY: key };
    // the source starts as a migrated copy (creating PGlite from nothing costs seconds); the target stays blank
    await copyPgliteTemplate(path.join(source.SRHUB_DATA_DIR, 'pglite'));
    expect((await srhub(['seed', '--demo'], source)).code).toBe(0);
    const file = path.join(dir, 'registry.backup');

    const backup = await srhub(['backup', file], source);
    expect(backup.output).toMatch(/Backup written to .*: \d+ tables, \d+ rows, [\d.]+ MB in [\d.]+ s \(schema \d{3}_\w+\)/);
    expect(backup.code).toBe(0);
    const again = await srhub(['backup', file], source);
    expect(again).toMatchObject({ code: 1, output: expect.stringContaining('already exists') });

    const target = { SRHUB_DATA_DIR: path.join(dir, 'target') };
    const keyless = await srhub(['restore', file], target);
    expect(keyless).toMatchObject({ code: 2, output: expect.stringContaining('needs the master key') });
    const restored = await srhub(['restore', file], { ...target, SRHUB_MASTER_KEY: key });
    expect(restored.output).toMatch(/Restored .* \(made .* on pglite, schema \d{3}_\w+\): \d+ tables, \d+ rows in [\d.]+ s\./);
    expect(restored.code).toBe(0);
    const rows = (text: string) => /(\d+) rows/.exec(text)?.[1];
    expect(rows(restored.output)).toBe(rows(backup.output));
    const twice = await srhub(['restore', file], { ...target, SRHUB_MASTER_KEY: key });
    expect(twice).toMatchObject({ code: 1, output: expect.stringContaining('not empty') });

    // each side's audit log says what happened to it
    for (const [folder, entity] of [[source.SRHUB_DATA_DIR, 'backup'], [target.SRHUB_DATA_DIR, 'restore']]) {
      const db = await openPglite(path.join(folder, 'pglite'));
      try {
        const entries = await db.query<{ actor: string; details: { rows: number } }>(`select actor, details from audit_log where entity = $1`, [entity]);
        expect(entries).toEqual([{ actor: 'system', details: expect.objectContaining({ rows: Number(rows(backup.output)) }) }]);
      } finally {
        await db.close();
      }
    }

    if (postgresUrl()) {
      const database = await createTestDatabase('postgres');
      try {
        const onServer = await srhub(['restore', file], { DATABASE_URL: database.url!, SRHUB_MASTER_KEY: key });
        expect(onServer.output).toContain(`${rows(backup.output)} rows`);
        expect(onServer.code).toBe(0);
      } finally {
        await database.drop();
      }
    }
  }, 240_000);
});
