// The hub's API document: openapi/hub.yaml plus one part per capability in openapi/hub/*.yaml (paths, tags and
// components), merged at load. Parts keep each capability's API next to its peers without one 5,000-line file;
// a name defined twice is an error, so two parts can never silently shadow each other.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readYamlFile } from './yaml-file.js';

export const HUB_API_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../openapi/hub.yaml');
export const HUB_API_PARTS_DIR = path.resolve(path.dirname(HUB_API_FILE), 'hub');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The merged document (a fresh object on every call: openapi-backend dereferences it in place). */
export async function loadHubDocument(file = HUB_API_FILE, partsDir = HUB_API_PARTS_DIR): Promise<Json> {
  const document = await readYamlFile<Json>(file);
  const parts = (await readdir(partsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.yaml')).sort();
  for (const part of parts) mergePart(document, await readYamlFile<Json>(path.join(partsDir, part)), part);
  return document;
}

function mergePart(document: Json, part: Json, name: string): void {
  const unknown = Object.keys(part).filter((k) => !['paths', 'tags', 'components'].includes(k));
  if (unknown.length) throw new Error(`openapi/hub/${name}: only paths, tags and components may be given (found ${unknown.join(', ')})`);
  mergeInto((document.paths ??= {}), part.paths ?? {}, `${name}: path`);
  for (const [kind, entries] of Object.entries((part.components ?? {}) as Json)) {
    mergeInto(((document.components ??= {})[kind] ??= {}), entries, `${name}: components.${kind}`);
  }
  for (const tag of part.tags ?? []) {
    if ((document.tags ??= []).some((t: Json) => t.name === tag.name)) throw new Error(`${name}: tag ${tag.name} is defined twice`);
    document.tags.push(tag);
  }
}

function mergeInto(target: Json, entries: Json, what: string): void {
  for (const [key, value] of Object.entries(entries)) {
    if (key in target) throw new Error(`${what} ${key} is defined twice`);
    target[key] = value;
  }
}
