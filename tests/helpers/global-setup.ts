// Where no DATABASE_URL / REDIS_URL is given and a Docker engine answers, start PostgreSQL and Redis containers
// once for the whole run (testcontainers); the workers inherit their URLs through the environment.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

declare global {
  // eslint-disable-next-line no-var
  var __srhubContainers: { stop(): Promise<unknown> }[] | undefined;
}

function dockerMayAnswer(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/**
 * A migrated PGlite data folder for the whole run: tests copy it (tests/helpers/pglite-template.ts) instead of
 * creating PGlite from nothing (initdb in WASM takes seconds). Built by the real `srhub migrate`.
 */
function buildPgliteTemplate(): void {
  const folder = mkdtempSync(path.join(tmpdir(), 'srhub-pglite-template-'));
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const run = spawnSync(process.execPath, ['bin/srhub.js', 'migrate'], { env: { ...env, SRHUB_DATA_DIR: folder, LOG_LEVEL: 'error' }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`building the PGlite template failed (srhub migrate exited ${run.status}): ${run.stderr}`);
  process.env.SRHUB_TEST_PGLITE_TEMPLATE_ROOT = folder;
  process.env.SRHUB_TEST_PGLITE_TEMPLATE = path.join(folder, 'pglite');
}

export default async function globalSetup(): Promise<void> {
  buildPgliteTemplate();
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
