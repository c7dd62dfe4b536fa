// A migrated PGlite data folder made once per test run: tests copy it instead of creating PGlite from nothing
// (initdb in WASM takes seconds; opening a copy takes a fraction of that).
// global-setup.ts builds it (with `srhub migrate`) and names its folder in SRHUB_TEST_PGLITE_TEMPLATE.
import { cp } from 'node:fs/promises';

/** Puts a migrated PGlite data folder at `target` (a copy of the template; nothing when the run has none). */
export async function copyPgliteTemplate(target: string): Promise<void> {
  const folder = process.env.SRHUB_TEST_PGLITE_TEMPLATE;
  if (folder) await cp(folder, target, { recursive: true });
}
