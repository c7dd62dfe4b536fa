// The master key protects everything secret the hub stores: signing keys, identifiers at rest, blind indexes,
// backups. It comes from SRHUB_MASTER_KEY; on the embedded engine without it (demo, development) one is generated
// into the data folder, with a warning, because a key beside the data it protects protects nothing.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

export const MASTER_KEY_BYTES = 32;

export async function loadMasterKey(config: Pick<Config, 'masterKey' | 'databaseUrl' | 'dataDir'>, log: Logger): Promise<Buffer> {
  if (config.masterKey) return config.masterKey;
  if (config.databaseUrl) {
    // config validation refuses this combination; kept as a guard for callers that build Config by hand
    throw new Error('SRHUB_MASTER_KEY is required when DATABASE_URL is set.');
  }
  const file = path.join(config.dataDir, 'master.key');
  let key: Buffer;
  try {
    key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  } catch {
    key = randomBytes(MASTER_KEY_BYTES);
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  if (key.length !== MASTER_KEY_BYTES) throw new Error(`${file} does not hold a ${MASTER_KEY_BYTES}-byte base64 key.`);
  log.warn({ file }, 'SRHUB_MASTER_KEY is not set: using a generated key stored beside the data. Set SRHUB_MASTER_KEY in production.');
  return key;
}
