// Where no DATABASE_URL / REDIS_URL is given and a Docker engine answers, start PostgreSQL and Redis containers
// once for the whole run (testcontainers); the workers inherit their URLs through the environment.
import { existsSync } from 'node:fs';
import { buildPgliteTemplate } from './pglite-template.js';

declare global {
  // eslint-disable-next-line no-var
  var __srhubContainers: { stop(): Promise<unknown> }[] | undefined;
}

function dockerMayAnswer(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

export default async function globalSetup(): Promise<void> {
  await buildPgliteTemplate();
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
