// A migrated PGlite data folder made once per test run: tests copy it instead of creating PGlite from nothing
// (initdb in WASM takes seconds; opening a copy takes a fraction of that).
// global-setup.ts builds it (with `srhub migrate`) and names its folder in SRHUB_TEST_PGLITE_TEMPLATE.
import { execFile } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Puts a migrated PGlite data folder at `target` (a copy of the template; nothing when the run has none). */
export async function copyPgliteTemplate(target: string): Promise<void> {
  const folder = process.env.SRHUB_TEST_PGLITE_TEMPLATE;
  if (folder) await copyDataFolder(folder, target);
}

/** Copies a PGlite data folder's contents to `target` (made if missing, as fs.cp does). */
export async function copyDataFolder(source: string, target: string): Promise<void> {
  // ~1,300 small files: the system's cp copies them in ~0.1 s, node's fs.cp spends 1-2 s of CPU on them
  if (process.platform !== 'win32') {
    await mkdir(target, { recursive: true }); // cp -R src/. dest wants dest's parent to exist
    await run('cp', ['-R', `${source}/.`, target]);
  } else await cp(source, target, { recursive: true });
}
