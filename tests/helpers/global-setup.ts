// Where no DATABASE_URL / REDIS_URL is given and a Docker engine answers, start PostgreSQL and Redis containers
// once for the whole run (testcontainers); the workers inherit their URLs through the environment.
// Then migrate each database engine once, as a template the tests copy (see buildTemplates).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

declare global {
  // eslint-disable-next-line no-var
  var __srhubContainers: { stop(): Promise<unknown> }[] | undefined;
  // eslint-disable-next-line no-var
  var __srhubPostgresTemplate: { serverUrl: string; name: string } | undefined;
}

function dockerMayAnswer(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/** `srhub migrate` in a child process, with this environment on top of ours (minus any DATABASE_URL, master key). */
function srhubMigrate(env: Record<string, string>): Promise<void> {
  const { DATABASE_URL: _url, SRHUB_MASTER_KEY: _key, ...base } = process.env;
  const child = spawn(process.execPath, ['bin/srhub.js', 'migrate'], { env: { ...base, LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building a test template failed (srhub migrate exited ${code}): ${stderr}`))));
  });
}

/**
 * A migrated PGlite data folder for the whole run: tests copy it (tests/helpers/pglite-template.ts) instead of
 * creating PGlite from nothing (initdb in WASM takes seconds). Built by the real `srhub migrate`.
 */
async function buildPgliteTemplate(): Promise<void> {
  const folder = mkdtempSync(path.join(tmpdir(), 'srhub-pglite-template-'));
  process.env.SRHUB_TEST_PGLITE_TEMPLATE_ROOT = folder; // set first: the teardown removes it even if migrate fails
  await srhubMigrate({ SRHUB_DATA_DIR: folder });
  process.env.SRHUB_TEST_PGLITE_TEMPLATE = path.join(folder, 'pglite');
}

/**
 * A migrated PostgreSQL database for the whole run: tests' databases are copies of it (CREATE DATABASE ... TEMPLATE,
 * tests/helpers/databases.ts) instead of new databases each migrated from the first migration. Named for this run,
 * so concurrent runs on one server never share one; built by the real `srhub migrate`; dropped by the teardown.
 */
async function buildPostgresTemplate(serverUrl: string): Promise<void> {
  const name = `srhub_template_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await dropStaleTemplates(admin);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  globalThis.__srhubPostgresTemplate = { serverUrl, name };
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'srhub-pg-template-'));
  try {
    await srhubMigrate({ DATABASE_URL: url.toString(), SRHUB_DATA_DIR: dataDir, SRHUB_MASTER_KEY: randomBytes(32).toString('base64') });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.env.SRHUB_TEST_POSTGRES_TEMPLATE = name;
}

// no run lasts this long: a template this old was left by a run that was killed before its teardown
const STALE_TEMPLATE_MS = 6 * 60 * 60 * 1000;

async function dropStaleTemplates(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'srhub\\_template\\_%'`);
  for (const { datname } of rows) {
    const createdAt = parseInt(datname.split('_')[2], 36);
    if (Date.now() - createdAt > STALE_TEMPLATE_MS) await admin.query(`drop database if exists ${datname} with (force)`);
  }
}

async function startContainers(): Promise<void> {
  const needPostgres = !process.env.DATABASE_URL;
  const needRedis = !process.env.REDIS_URL;
  if ((!needPostgres && !needRedis) || !dockerMayAnswer()) return;
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return; // no engine answers: the embedded engines carry the run
  }
  globalThis.__srhubContainers = [];
  if (needPostgres) {
    const container = await new GenericContainer('postgres:16-alpine')
      .withEnvironment({ POSTGRES_PASSWORD: 'srhub', POSTGRES_DB: 'test' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    globalThis.__srhubContainers.push(container);
    process.env.SRHUB_TEST_CONTAINER_DATABASE_URL = `postgres://postgres:srhub@${container.getHost()}:${container.getMappedPort(5432)}/test`;
  }
  if (needRedis) {
    const container = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
    globalThis.__srhubContainers.push(container);
    process.env.SRHUB_TEST_CONTAINER_REDIS_URL = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  }
}

export default async function globalSetup(): Promise<void> {
  // the workers and the hubs they start inherit this: new password and client-secret hashes are cheap in tests
  process.env.SRHUB_SECRET_HASH_COST ??= '10';
  await startContainers();
  // the same lookup as services.ts postgresUrl() (not imported: global setup runs outside the test module system)
  const serverUrl = process.env.DATABASE_URL || process.env.SRHUB_TEST_CONTAINER_DATABASE_URL;
  await Promise.all([buildPgliteTemplate(), ...(serverUrl ? [buildPostgresTemplate(serverUrl)] : [])]);
}
