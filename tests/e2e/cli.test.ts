import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSrhub, startHubProcess } from '../helpers/hub-process.js';
import { copyPgliteTemplate } from '../helpers/pglite-template.js';

describe('srhub on the command line', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-cli-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('serves demo data on the embedded engines, stops cleanly on SIGTERM, and keeps its data for the next start', async () => {
    const env = { SRHUB_DATA_DIR: dataDir, SRHUB_AUTH: 'off' };
    const first = await startHubProcess(['--demo'], env);
    expect((await fetch(`${first.url}/ready`)).status).toBe(200);
    const page = await (await fetch(`${first.url}/api/v1/households?limit=500`)).json();
    expect(page.items.length).toBeGreaterThan(200);
    expect((await fetch(`${first.url}/docs`)).status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await startHubProcess(['--demo'], env);
    const again = await (await fetch(`${second.url}/api/v1/households?limit=500`)).json();
    expect(again.items.map((h: { id: string }) => h.id)).toEqual(page.items.map((h: { id: string }) => h.id));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses to start on a bad setting and names it', async () => {
    const run = runSrhub(['serve'], { SRHUB_DATA_DIR: dataDir, PORT: 'eighty', SRHUB_AUTH: 'sometimes' });
    expect(await run.exited).toBe(78);
    expect(run.output()).toContain('PORT');
    expect(run.output()).toContain('SRHUB_AUTH');
  });

  it('explains its usage', async () => {
    const run = runSrhub(['frobnicate'], { SRHUB_DATA_DIR: dataDir });
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('Usage: srhub');
  });
});

describe('the first start of a hub without users', () => {
  it('creates an administrator with a one-time password shown once on the console', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-first-'));
    try {
      // a migrated copy without users (the fresh-folder start is the test above's): initdb costs seconds
      await copyPgliteTemplate(path.join(dataDir, 'pglite'));
      const env = { SRHUB_DATA_DIR: dataDir };
      const first = await startHubProcess([], env);
      const password = /one-time password "([^"]+)"/.exec(first.output())?.[1];
      expect(password).toBeDefined();
      const token = await (
        await fetch(`${first.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: password! }) })
      ).json();
      const me = await (await fetch(`${first.url}/api/v1/me`, { headers: { authorization: `Bearer ${token.access_token}` } })).json();
      expect(me).toMatchObject({ id: 'user:admin', password_change_required: true });
      first.child.kill('SIGTERM');
      await first.exited;
      const second = await startHubProcess([], env);
      expect(second.output()).not.toContain('one-time password');
      second.child.kill('SIGTERM');
      await second.exited;
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
