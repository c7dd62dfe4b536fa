// Where the tests find PostgreSQL and Redis: DATABASE_URL / REDIS_URL first, then the containers that
// global-setup started where a Docker engine answers; without either, only the embedded engines run.

export function postgresUrl(): string | undefined {
  return process.env.DATABASE_URL || process.env.SRHUB_TEST_CONTAINER_DATABASE_URL || undefined;
}

export function redisUrl(): string | undefined {
  return process.env.REDIS_URL || process.env.SRHUB_TEST_CONTAINER_REDIS_URL || undefined;
}

export type DbEngineName = 'pglite' | 'postgres';
export type CacheEngineName = 'memory' | 'redis';

/** The database engines every storage and registry suite runs on. */
export function dbEngines(): DbEngineName[] {
  return postgresUrl() ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * The one engine of a suite that tests behaviour above the stores (API rules, workflow, connectors, DCI protocol):
 * PostgreSQL where a server runs (real concurrent transactions, the engine of every multi-instance site), else
 * PGlite. The suites that test what the stores do in SQL run on dbEngines(); the rule: docs/testing.md.
 */
export function apiEngines(): DbEngineName[] {
  return postgresUrl() ? ['postgres'] : ['pglite'];
}

export function cacheEngines(): CacheEngineName[] {
  return redisUrl() ? ['memory', 'redis'] : ['memory'];
}
