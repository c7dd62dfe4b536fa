// Finds the connectors: every connectors/<id>/index.ts (or .js) except the framework, imported at start. Adding a
// connector is adding a folder; nothing in core/ changes.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from '../../core/log.js';
import { manifestProblems } from './manifest.js';
import type { Connector } from './types.js';

export const CONNECTORS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface LoadedConnectors {
  connectors: Map<string, Connector>;
  /** Folders that hold something the hub could not use, with why (also logged). */
  rejected: { folder: string; problems: string[] }[];
}

export async function loadConnectors(log: Logger, dir = CONNECTORS_DIR): Promise<LoadedConnectors> {
  const connectors = new Map<string, Connector>();
  const rejected: LoadedConnectors['rejected'] = [];
  const folders = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== 'framework' && !d.name.startsWith('.')).map((d) => d.name).sort();
  for (const folder of folders) {
    const file = await entryFile(path.join(dir, folder));
    if (!file) continue; // a folder without index.ts is not a connector (shared helpers, fixtures)
    let problems: string[];
    let connector: Connector | undefined;
    try {
      const module = (await import(pathToFileURL(file).href)) as { default?: Connector };
      connector = module.default;
      problems = manifestProblems(connector, folder);
    } catch (err) {
      problems = [`could not be imported: ${(err as Error).message}`];
    }
    if (problems.length || !connector) {
      rejected.push({ folder, problems });
      log.error({ connector: folder, problems }, 'connector left out: its manifest or jobs are not valid');
      continue;
    }
    connectors.set(connector.manifest.id, connector);
  }
  return { connectors, rejected };
}

async function entryFile(folder: string): Promise<string | undefined> {
  for (const name of ['index.ts', 'index.js']) {
    const file = path.join(folder, name);
    if (await stat(file).then((s) => s.isFile(), () => false)) return file;
  }
  return undefined;
}
