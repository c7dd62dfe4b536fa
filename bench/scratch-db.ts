// A scratch PostgreSQL database for a benchmark: created and migrated, dropped afterwards unless kept (--keep, to
// look at the plans). The server is BENCH_POSTGRES_URL, else the local one.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../core/config.js';
import { initDb, type Db } from '../core/db/index.js';

export interface ScratchDb {
  name: string;
  config: Config;
  db: Db;
  masterKey: Buffer;
  /** Closes the database, and drops it unless `keep`. */
  close(keep: boolean): Promise<void>;
}

/** A new scratch database, or (`existing`) one an earlier run kept: data seeded once, measured several times. */
export async function openScratchDb(label: string, existing?: string): Promise<ScratchDb> {
  const server = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (existing !== undefined && !/^srhub_bench_[a-z0-9_]+$/.test(existing)) throw new RangeError(`not a kept bench database: ${existing}`);
  const name = existing ?? `srhub_bench_${label}_${randomBytes(4).toString('hex')}`;
  if (!existing) await admin(server, `create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const masterKey = randomBytes(32);
  const config = loadConfig({ DATABASE_URL: url.toString(), SRHUB_MASTER_KEY: masterKey.toString('base64'), LOG_LEVEL: 'warn' });
  const db = await initDb(config);
  return {
    name,
    config,
    db,
    masterKey,
    async close(keep) {
      await db.close();
      if (keep) console.log(`kept database ${name}`);
      else await admin(server, `drop database if exists ${name} with (force)`);
    },
  };
}

async function admin(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
