// A migrated PGlite data folder made once per test run: tests copy it instead of creating PGlite from nothing
// (initdb in WASM takes seconds; opening a copy takes a fraction of that).
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate } from '../../core/db/migrate.js';
import { openPglite } from '../../core/db/pglite.js';

const TEMPLATE_ENV = 'SRHUB_TEST_PGLITE_TEMPLATE';

/** Global setup: builds the template and hands its folder to the workers through the environment. */
export async function buildPgliteTemplate(): Promise<void> {
  const folder = await mkdtemp(path.join(tmpdir(), 'srhub-pglite-template-'));
  const db = await openPglite(path.join(folder, 'data'));
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  process.env[TEMPLATE_ENV] = folder;
}

export async function removePgliteTemplate(): Promise<void> {
  const folder = process.env[TEMPLATE_ENV];
  if (folder) await rm(folder, { recursive: true, force: true });
}

/** Puts a migrated PGlite data folder at `target` (a copy of the template; nothing when the run has none). */
export async function copyPgliteTemplate(target: string): Promise<void> {
  const folder = process.env[TEMPLATE_ENV];
  if (folder) await cp(path.join(folder, 'data'), target, { recursive: true });
}
