// `srhub keys rotate` rotates every kind of key: token signing (ES256), DCI signing (EdDSA), DCI encryption.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPglite } from '../../../core/db/pglite.js';
import { runSrhub } from '../../helpers/hub-process.js';
import { copyPgliteTemplate } from '../../helpers/pglite-template.js';

describe('srhub keys rotate', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-keys-'));
    // a migrated copy: the first command would otherwise create PGlite from nothing (initdb and every migration)
    await copyPgliteTemplate(path.join(dataDir, 'pglite'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('adds a key of each kind and retires the previous ones, which stay valid for the retention period', async () => {
    const env = { SRHUB_DATA_DIR: dataDir, SRHUB_KEY_RETENTION_DAYS: '30' };
    const kidsOf = (output: string) => [...output.matchAll(/key(?: \((?:EdDSA|ECDH-ES\+A256KW)\))? ([0-9a-f-]{36})/g)].map((m) => m[1]);
    const first = runSrhub(['keys', 'rotate'], env);
    expect(await first.exited).toBe(0);
    const second = runSrhub(['keys', 'rotate'], env);
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/^New signing key [0-9a-f-]{36}\. Earlier keys keep verifying for 30 days\./m);
    const [firstKids, secondKids] = [kidsOf(first.output()), kidsOf(second.output())];
    expect(firstKids).toHaveLength(3);
    expect(secondKids).toHaveLength(3);

    const db = await openPglite(path.join(dataDir, 'pglite'));
    try {
      const rows = await db.query<{ kid: string; alg: string; retired: boolean; days: number | null }>(
        `select kid, alg, retired_at is not null as retired, round(extract(epoch from expires_at - retired_at) / 86400)::int as days
         from signing_key order by created_at`,
      );
      const active = rows.filter((r) => !r.retired);
      expect(active.map((r) => r.kid).sort()).toEqual([...secondKids].sort());
      expect(active.map((r) => r.alg).sort()).toEqual(['ECDH-ES+A256KW', 'ES256', 'EdDSA']);
      const retired = rows.filter((r) => r.retired && firstKids.includes(r.kid));
      expect(retired.map((r) => r.alg).sort()).toEqual(['ECDH-ES+A256KW', 'ES256', 'EdDSA']);
      for (const row of retired) expect(row.days).toBe(30);
    } finally {
      await db.close();
    }
  });
});
