// Starts the real hub on a random port against a database and cache of the test's own, and talks to it over
// HTTP. Every answer of an operation in openapi/hub.yaml is checked against the document.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../core/config.js';
import { startHub, type Hub } from '../../core/server/hub.js';
import { scopesOf } from '../../core/auth/roles.js';
import { issueAccessToken } from '../../core/auth/tokens.js';
import { createUser } from '../../core/auth/users.js';
import { createTestDatabase } from './databases.js';
import { copyPgliteTemplate } from './pglite-template.js';
import { apiEngines, redisUrl, type CacheEngineName, type DbEngineName } from './services.js';

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  ifMatch?: number | string;
  idempotencyKey?: string;
  /** Send this string as the body as it is (malformed JSON tests). */
  raw?: string;
}

export interface TestHub {
  hub: Hub;
  url: string;
  dataDir: string;
  request<T = any>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<TestResponse<T>>;
  get<T = any>(path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  post<T = any>(path: string, body: unknown, options?: RequestOptions): Promise<TestResponse<T>>;
  patch<T = any>(path: string, body: unknown, options?: RequestOptions): Promise<TestResponse<T>>;
  delete<T = any>(path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  /** A user with these roles (and areas) and a fresh access token for them: headers to pass to a request. */
  as(roles: string[], areas?: string[] | null): Promise<{ headers: Record<string, string>; username: string; token: string }>;
  stop(): Promise<void>;
}

export interface TestHubOptions {
  /** Default: the API suites' engine, apiEngines() (PostgreSQL where a server runs, else PGlite; docs/testing.md). */
  db?: DbEngineName;
  cache?: CacheEngineName;
  env?: Record<string, string>;
}

export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const database = await createTestDatabase(options.db ?? apiEngines()[0], { migrated: true });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-test-'));
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    SRHUB_AUTH: 'off',
    LOG_LEVEL: 'silent',
    SRHUB_DATA_DIR: dataDir,
    SRHUB_SHUTDOWN_TIMEOUT_MS: '2000',
    SRHUB_MASTER_KEY: randomBytes(32).toString('base64'),
    // the tests' receivers and simulators listen on this machine
    SRHUB_EGRESS_ALLOW: 'loopback',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...(options.cache === 'redis' ? { REDIS_URL: redisUrl()!, SRHUB_REDIS_PREFIX: `srhub-test:${randomBytes(6).toString('hex')}:` } : {}),
    ...options.env,
  };
  if (!database.url) await copyPgliteTemplate(path.join(dataDir, 'pglite'));
  const hub = await startHub(loadConfig(env));

  const request = async <T>(method: string, urlPath: string, body?: unknown, opts: RequestOptions = {}): Promise<TestResponse<T>> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (body !== undefined || opts.raw !== undefined) headers['content-type'] ??= 'application/json';
    if (opts.ifMatch !== undefined) headers['if-match'] = typeof opts.ifMatch === 'number' ? `"${opts.ifMatch}"` : opts.ifMatch;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    const res = await fetch(hub.url + urlPath, { method, headers, body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && text ? JSON.parse(text) : text;
    checkAgainstDocument(hub, method, urlPath, res.status, parsed, type);
    return { status: res.status, headers: res.headers, body: parsed };
  };

  return {
    hub,
    url: hub.url,
    dataDir,
    request,
    get: (p, o) => request('GET', p, undefined, o),
    post: (p, b, o) => request('POST', p, b, o),
    patch: (p, b, o) => request('PATCH', p, b, o),
    delete: (p, o) => request('DELETE', p, undefined, o),
    async as(roles, areas = null) {
      const username = `u${randomBytes(6).toString('hex')}`;
      await createUser(hub.db, { username, roles, areas, password: randomBytes(12).toString('hex') }, 'test');
      const scopes = await scopesOf(hub.db, roles);
      const { access_token: token } = await issueAccessToken(hub.keys, hub.config, { sub: `user:${username}`, roles, scopes, areas });
      return { headers: { authorization: `Bearer ${token}` }, username, token };
    },
    async stop() {
      await hub.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The response of a documented operation must match the document: status listed, body valid. */
function checkAgainstDocument(hub: Hub, method: string, urlPath: string, status: number, body: unknown, type: string): void {
  const match = hub.api.match(method, new URL(urlPath, 'http://x').pathname);
  if (!match || 'allowed' in match) return;
  const responses = (match.operation.operation.responses ?? {}) as Record<string, unknown>;
  if (status >= 500 && !responses[String(status)]) throw new Error(`${method} ${urlPath} answered ${status}: ${JSON.stringify(body)}`);
  if (!responses[String(status)]) throw new Error(`${method} ${urlPath} answered ${status}, which the document does not list`);
  if (!type.includes('json')) return;
  const errors = hub.api.validateResponse(match.operation.operationId, status, body);
  if (errors.length) throw new Error(`${method} ${urlPath} ${status} does not match the document: ${JSON.stringify(errors)}`);
}
