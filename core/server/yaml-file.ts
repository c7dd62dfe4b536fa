// The API documents are parsed once per process: a hub start used to parse the same ~400 kB of YAML four times
// (and a test worker starts many hubs). Each caller gets its own copy, because openapi-backend dereferences in place.
import { readFile, stat } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

const parsed = new Map<string, { mtimeMs: number; value: unknown }>();

/** The YAML file's content, parsed; a fresh deep copy on every call. Re-read when the file changed. */
export async function readYamlFile<T = unknown>(file: string): Promise<T> {
  const { mtimeMs } = await stat(file);
  let entry = parsed.get(file);
  if (!entry || entry.mtimeMs !== mtimeMs) {
    entry = { mtimeMs, value: parseYaml(await readFile(file, 'utf8')) };
    parsed.set(file, entry);
  }
  return structuredClone(entry.value) as T;
}
