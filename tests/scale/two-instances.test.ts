// Two real hub processes on one PostgreSQL database and one Redis key prefix behave as one hub: they start together
// without doubling anything, a user disabled or a role changed through one counts on the other from its next request,
// a consent withdrawn through one is honoured by the other at the next disclosure, each
// DCI callback and notify is delivered once, connector runs (scheduled and event-driven) happen once, the rate limit
// is one limit, and the dashboard cache is shared and invalidated for both (docs/scaling.md).
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createClient } from '../../core/auth/clients.js';
import { scopesOf } from '../../core/auth/roles.js';
import { issueAccessToken } from '../../core/auth/tokens.js';
import { createUser } from '../../core/auth/users.js';
import { loadConfig, type Config } from '../../core/config.js';
import type { Db } from '../../core/db/index.js';
import { openPostgres } from '../../core/db/postgres.js';
import { KeyStore } from '../../core/keys/key-store.js';
import { callbackServer, header, idQuery, searchItem, searchMessage } from '../core/dci/dci-helpers.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { aHousehold, aPerson, uin } from '../helpers/registry-data.js';
import { postgresUrl, redisUrl } from '../helpers/services.js';

// every instance runs its connector schedules every 15 s (connectors/framework/triggers.ts)
const CONNECTOR_TICK_MS = 15_000;
const RATE_LIMIT = 60;

interface Answer { status: number; headers: Headers; body: any }

async function call(hub: HubProcess, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(hub.url + urlPath, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed = (res.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : text;
  return { status: res.status, headers: res.headers, body: parsed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(everyMs);
  }
}

/** The example connector's external system: counts price pulls and the announcements per household. */
async function priceApi() {
  const announcements: string[] = [];
  const pulls = { count: 0 };
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.startsWith('/prices')) {
        pulls.count += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [], next: false }));
      } else if (req.method === 'POST' && req.url === '/announcements') {
        announcements.push(JSON.parse(data).household_id);
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    announcements,
    pulls,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

describe('two hub instances on one PostgreSQL and one Redis', () => {
  let database: TestDatabase;
  let dataDirs: string[] = [];
  let a: HubProcess;
  let b: HubProcess;
  let db: Db;
  let keys: KeyStore;
  let config: Config;
  let admin: Record<string, string>;
  let prices: Awaited<ReturnType<typeof priceApi>>;
  let scheduleForcedAt = 0;
  // an external OpenID provider whose tokens carry role names (the hub maps them to scopes from its role table)
  const IDP_ISSUER = 'https://idp.example.gov';
  let idpKey: CryptoKey;
  let jwksServer: Server;

  /** A user of these roles, created in the shared database, and bearer headers valid on both instances. */
  async function aUser(roles: string[]): Promise<{ id: string; password: string; headers: Record<string, string> }> {
    const username = `u${randomBytes(5).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const { user } = await createUser(db, { username, roles, areas: null, password }, 'test');
    const { access_token } = await issueAccessToken(keys, config, { sub: `user:${username}`, roles, scopes: await scopesOf(db, roles), areas: null });
    return { id: user.id, password, headers: { authorization: `Bearer ${access_token}` } };
  }
  const userHeaders = async (roles: string[]) => (await aUser(roles)).headers;

  async function clientHeaders(clientId: string, roles: string[]): Promise<Record<string, string>> {
    await createClient(db, { client_id: clientId, name: clientId, roles, areas: null }, 'test');
    const { access_token } = await issueAccessToken(keys, config, { sub: `client:${clientId}`, roles, scopes: await scopesOf(db, roles), areas: null });
    return { authorization: `Bearer ${access_token}` };
  }

  beforeAll(async () => {
    const pg = postgresUrl();
    const redis = redisUrl();
    // several instances need a shared server database and a shared Redis: PGlite is one process's only
    if (!pg || !redis) throw new Error('this suite needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL');
    database = await createTestDatabase('postgres');
    const idp = await generateKeyPair('ES256');
    idpKey = idp.privateKey;
    const jwk = { ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    dataDirs = await Promise.all([0, 1].map(() => mkdtemp(path.join(tmpdir(), 'srhub-two-'))));
    const env: Record<string, string> = {
      DATABASE_URL: database.url!,
      REDIS_URL: redis,
      SRHUB_REDIS_PREFIX: `srhub-test:${randomBytes(6).toString('hex')}:`,
      SRHUB_MASTER_KEY: randomBytes(32).toString('base64'),
      SRHUB_EGRESS_ALLOW: 'loopback',
      SRHUB_DELIVERY_BASE_DELAY_MS: '20',
      SRHUB_DELIVERY_MAX_DELAY_MS: '200',
      SRHUB_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      SRHUB_REPORTS_MIN_CELL: '1',
      SRHUB_SHUTDOWN_TIMEOUT_MS: '2000',
      SRHUB_TRUSTED_ISSUERS: JSON.stringify([{ issuer: IDP_ISSUER, jwks_uri: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`, audience: 'srhub-api' }]),
    };
    // started together, as a Deployment's replicas are: migrations, keys and the first administrator must not double
    [a, b] = await Promise.all(dataDirs.map((dir) => startHubProcess([], { ...env, SRHUB_DATA_DIR: dir }, 240_000)));
    config = loadConfig({ ...env, SRHUB_DATA_DIR: dataDirs[0] });
    db = await openPostgres(database.url!, 4);
    keys = new KeyStore(db, config.masterKey!);
    admin = await userHeaders(['administrator']);
    // the example connector, pointed at a price API that counts what reaches it; enabled before any registration
    prices = await priceApi();
    const configured = await call(a, 'PUT', '/api/v1/connectors/example/configuration', {
      configuration: { baseUrl: prices.url, apiKey: 'test-api-key' },
      schedules: { 'pull-prices': '0 0 1 1 *' }, // once a year: only the slot this suite forces is due
      enabled: true,
    }, admin);
    expect(configured.status).toBe(200);
    // force one slot due now; both instances tick within CONNECTOR_TICK_MS and only one may take it
    await eventually('schedule row', async () => {
      const rows = await db.query(`update connector_schedule set next_run_at = now() - interval '1 minute'
        where connector_id = 'example' and job = 'pull-prices' and cron = '0 0 1 1 *' returning job`);
      return rows.length ? true : undefined;
    }, CONNECTOR_TICK_MS * 2);
    scheduleForcedAt = Date.now();
    await call(a, 'POST', '/api/v1/admin-areas', { code: 'TI', name: 'Two instances' }, admin);
  }, 360_000);

  afterAll(async () => {
    for (const hub of [a, b]) hub?.child.kill('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await prices?.close();
    jwksServer?.close();
    await db?.close();
    await database?.drop();
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('start together on one database: one administrator, one key of each kind, both ready', async () => {
    const admins = await db.query<{ n: number }>(`select count(*)::int as n from app_user where username = 'admin'`);
    expect(admins[0].n).toBe(1);
    // exactly one of the two printed the administrator's one-time password
    expect([a, b].filter((h) => h.output().includes('An administrator account was created'))).toHaveLength(1);
    const keyCounts = await db.query<{ alg: string; n: number }>('select alg, count(*)::int as n from signing_key where retired_at is null group by alg');
    expect(keyCounts.length).toBeGreaterThan(0);
    for (const k of keyCounts) expect(k).toMatchObject({ n: 1 });
    for (const hub of [a, b]) {
      const ready = await call(hub, 'GET', '/ready');
      expect(ready).toMatchObject({ status: 200, body: { checks: { database: 'up', cache: 'up' } } });
    }
  }, 60_000);

  it('refuses a user disabled through one instance at once on the other', async () => {
    const officer = await aUser(['registry_officer']);
    // B has seen the user active (and keeps that for a few seconds unless told otherwise)
    expect((await call(b, 'GET', '/api/v1/me', undefined, officer.headers)).status).toBe(200);
    expect((await call(a, 'PATCH', `/api/v1/users/${officer.id}`, { disabled: true }, admin)).status).toBe(200);
    // A's change reaches B's cache through Redis pub/sub before the next request
    expect((await call(b, 'GET', '/api/v1/me', undefined, officer.headers)).status).toBe(401);
  }, 120_000);

  it('refuses the tokens issued before a password change through one instance at once on the other', async () => {
    const officer = await aUser(['registry_officer']);
    expect((await call(b, 'GET', '/api/v1/me', undefined, officer.headers)).status).toBe(200);
    const changed = await call(a, 'POST', '/api/v1/me/password', { current_password: officer.password, new_password: randomBytes(12).toString('hex') }, officer.headers);
    expect(changed.status).toBe(204);
    expect((await call(b, 'GET', '/api/v1/me', undefined, officer.headers)).status).toBe(401);
    expect((await call(a, 'GET', '/api/v1/me', undefined, officer.headers)).status).toBe(401);
  }, 120_000);

  it('applies a role created or changed through one instance at once on the other', async () => {
    const role = `ti_reader_${randomBytes(3).toString('hex')}`;
    const external = await new SignJWT({ roles: [role] }).setProtectedHeader({ alg: 'ES256', kid: 'idp-1' }).setIssuer(IDP_ISSUER)
      .setAudience('srhub-api').setSubject('p-1').setIssuedAt().setExpirationTime('10m').sign(idpKey);
    const scopesOn = async (hub: HubProcess) => (await call(hub, 'GET', '/api/v1/me', undefined, { authorization: `Bearer ${external}` })).body.scopes;
    // B has read the role table while the role did not exist: it grants nothing
    expect(await scopesOn(b)).toEqual([]);
    expect((await call(a, 'POST', '/api/v1/roles', { name: role, description: 'Reads the registry', scopes: ['registry.read'] }, admin)).status).toBe(201);
    expect(await scopesOn(b)).toEqual(['registry.read']);
    // a scope taken away through A is gone from B's next request, not after B's minute-long refresh
    expect((await call(a, 'PATCH', `/api/v1/roles/${role}`, { scopes: ['reports.read'] }, admin)).status).toBe(200);
    expect(await scopesOn(b)).toEqual(['reports.read']);
    expect(await scopesOn(a)).toEqual(['reports.read']);
  }, 120_000);

  it('honours a consent withdrawn through one instance at the next disclosure through the other', async () => {
    const officer = await userHeaders(['registry_officer']);
    const draft = await call(a, 'POST', '/api/v1/consent/agreements', {
      code: `two-${randomBytes(3).toString('hex')}`, purpose_code: 'cash-transfer', purpose_text: { en: 'Cash transfer eligibility' },
      lawful_basis: 'consent', categories: ['name', 'area'], recipients: ['prog-ti'],
      controller: { name: 'Ministry of Social Protection' }, retention_days: 365, max_validity_days: 365,
    }, admin);
    expect(draft.status).toBe(201);
    expect((await call(b, 'POST', `/api/v1/consent/agreements/${draft.body.id}/publish`, undefined, admin)).status).toBe(200);
    const household = await call(b, 'POST', '/api/v1/households', aHousehold('TI'), admin);
    expect(household.status).toBe(201);
    const person = household.body.members[0].person_id as string;
    const client = { ...(await clientHeaders('prog-ti', ['program_officer'])), 'x-purpose': 'cash-transfer' };

    const granted = await call(a, 'POST', '/api/v1/consent/consents', { agreement_id: draft.body.id, person_id: person }, officer);
    expect(granted.status).toBe(201);
    for (const hub of [a, b]) expect((await call(hub, 'GET', `/api/v1/persons/${person}`, undefined, client)).status).toBe(200);
    // B caches the signed status list in the shared cache before the withdrawal
    const { idx, uri } = (decodeJwt(granted.body.token) as { status: { status_list: { idx: number; uri: string } } }).status.status_list;
    const listPath = new URL(uri).pathname;
    const bitOf = (jwt: string) => {
      const { status_list } = decodeJwt(jwt) as { status_list: { lst: string } };
      return (inflateSync(Buffer.from(status_list.lst, 'base64url'))[idx >> 3] >> (idx & 7)) & 1;
    };
    expect(bitOf((await call(b, 'GET', listPath)).body)).toBe(0);

    const withdrawn = await call(a, 'POST', `/api/v1/consent/consents/${granted.body.consent.id}/withdraw`, {}, officer);
    expect(withdrawn.status).toBe(200);
    // the very next disclosure through B is refused: decisions read the consent's state, never a local copy
    const refused = await call(b, 'GET', `/api/v1/persons/${person}`, undefined, client);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('disclosure.refused');
    const verified = await call(b, 'POST', '/api/v1/consent/verify', { token: granted.body.token, audience: 'prog-ti', purpose: 'cash-transfer' });
    expect(verified.body).toMatchObject({ result: 'revoked', valid: false });
    expect(bitOf((await call(b, 'GET', listPath)).body)).toBe(1);
  }, 120_000);

  it('delivers each DCI callback and each notify once, though both instances send', async () => {
    const cb = await callbackServer();
    try {
      const clientId = `spmis-${randomUUID().slice(0, 8)}`;
      const dci = await clientHeaders(clientId, ['dci_client']);
      const agreement = await call(a, 'POST', '/api/v1/consent/agreements', {
        code: `elig-${randomBytes(3).toString('hex')}`, purpose_code: 'ELIG', purpose_text: { en: 'Eligibility checks' },
        lawful_basis: 'public_task', categories: ['name', 'identifiers', 'area', 'household', 'demographics'], recipients: [clientId],
        controller: { name: 'Ministry' }, retention_days: 30, max_validity_days: 365,
      }, admin);
      await call(a, 'POST', `/api/v1/consent/agreements/${agreement.body.id}/publish`, undefined, admin);
      const id = uin();
      const registered = await call(a, 'POST', '/api/v1/households', aHousehold('TI', { members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: id }] }) }] }), admin);
      expect(registered.status).toBe(201);

      // a subscription to registrations (through A), then ten async searches, half through each instance
      const subscribed = await call(a, 'POST', '/registry/subscribe', {
        header: header('subscribe', clientId, 1, { sender_uri: cb.url }),
        message: { transaction_id: randomUUID(), subscribe_request: [{ reference_id: 's1', timestamp: new Date().toISOString(),
          subscribe_criteria: { authorize: { purpose: { code: 'ELIG' } }, notify_record_type: 'Group', reg_event_type: 'REGISTER', filter_type: 'predicate',
            filter: [{ seq_num: 1, expression1: { attribute_name: 'group_size', operator: 'ge', attribute_value: 3 } }] } }] },
      }, dci);
      expect(subscribed.status).toBe(202);
      await cb.waitFor(1, 60_000);
      const transactions: string[] = [];
      for (let i = 0; i < 10; i++) {
        const body = searchMessage(clientId, [searchItem(`r${i}`, idQuery(id))], { sender_uri: cb.url });
        transactions.push(body.message.transaction_id);
        expect((await call(i % 2 ? b : a, 'POST', '/registry/search', body, dci)).status).toBe(202);
      }
      // three households of three (matching), registered through B: one notify each
      for (let i = 0; i < 3; i++) expect((await call(b, 'POST', '/api/v1/households', aHousehold('TI'), admin)).status).toBe(201);
      await cb.waitFor(1 + 10 + 3, 90_000);
      await sleep(1500); // a second copy, were one coming, would arrive within the workers' polls
      const paths = cb.received.map((r) => r.path);
      expect(paths.filter((p) => p.endsWith('/on-subscribe'))).toHaveLength(1);
      const onSearch = cb.received.filter((r) => r.path.endsWith('/on-search'));
      expect(onSearch.map((r) => r.body.message.transaction_id).sort()).toEqual([...transactions].sort());
      const notifies = cb.received.filter((r) => r.path.endsWith('/notify'));
      expect(notifies).toHaveLength(3);
      expect(new Set(notifies.map((r) => r.body.message.notify_event[0].reference_id)).size).toBe(3);
      expect(cb.hits.count).toBe(1 + 10 + 3);
      expect(new Set(cb.received.map((r) => r.body.header.message_id)).size).toBe(cb.received.length);
    } finally {
      await cb.close();
    }
  }, 180_000);

  it('counts one rate limit across both instances', async () => {
    const burst = await userHeaders(['registry_officer']);
    // the limit is per minute window: start a burst well inside one
    const intoWindow = (Date.now() / 1000) % 60;
    if (intoWindow > 30) await sleep((61 - intoWindow) * 1000);
    const sent = Array.from({ length: RATE_LIMIT * 3 / 2 }, (_, i) => (i % 2 ? b : a));
    const answers = await Promise.all(sent.map((hub) => call(hub, 'GET', '/api/v1/me', undefined, burst).then((r) => ({ hub, r }))));
    // each instance saw 45 requests, under the limit of 60 on its own: only a shared count refuses any
    const statuses: Record<number, number> = {};
    for (const { r } of answers) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    expect({ statuses, other: answers.filter(({ r }) => r.status !== 200 && r.status !== 429).map(({ r }) => r.body) })
      .toEqual({ statuses: { 200: RATE_LIMIT, 429: RATE_LIMIT / 2 }, other: [] });
    // (which instance refuses depends on which one the burst reaches later: not asserted, the counts prove the sharing)
    const limited = answers.filter(({ r }) => r.status === 429);
    expect(Number(limited[0].r.headers.get('retry-after'))).toBeGreaterThan(0);
  }, 120_000);

  it('shares the dashboard cache and invalidates it for both instances on a change through either', async () => {
    const policy = await userHeaders(['policymaker']);
    // earlier registrations have bumped the cache generation already (else B could rightly compute a fresh copy)
    const settled = () => db.query<{ behind: boolean }>(
      `select coalesce((select max(id) from outbox_event), 0) > coalesce((select last_id from outbox_consumer where name = 'reports.dashboard-cache'), 0) as behind`,
    ).then(([r]) => (r.behind ? undefined : true));
    await eventually('dashboard consumer caught up', settled, 60_000);
    const first = await call(a, 'GET', '/api/v1/dashboard', undefined, policy);
    expect(first.status).toBe(200);
    // B answers from the copy A computed (same generated_at): one cache for both
    const second = await call(b, 'GET', '/api/v1/dashboard', undefined, policy);
    expect(second.body.generated_at).toBe(first.body.generated_at);
    const bulk = await call(a, 'POST', '/api/v1/households:bulk', { households: Array.from({ length: 5 }, () => aHousehold('TI')) }, admin);
    expect(bulk.status).toBe(200);
    const [{ n }] = await db.query<{ n: number }>('select count(*)::int as n from household where deregistered_at is null');
    // without invalidation B would show the old count until the cache's ttl (300 s) ran out
    const fresh = await eventually('dashboard on B', async () => {
      const d = await call(b, 'GET', '/api/v1/dashboard', undefined, policy);
      return d.body.households === n ? d.body : undefined;
    }, 30_000, 1000); // polled gently: this caller has a rate limit of 60 a minute too
    expect(fresh.households).toBe(first.body.households + 5);
  }, 120_000);

  it('runs a connector\'s scheduled slot once and each event-triggered announcement once', async () => {
    const wait = scheduleForcedAt + CONNECTOR_TICK_MS + 2_000 - Date.now();
    if (wait > 0) await sleep(wait); // both instances have ticked since the slot became due
    const runs = await db.query<{ trigger: string; status: string; attempts: number }>(
      `select trigger, status, attempts from connector_run where connector_id = 'example' and job = 'pull-prices'`,
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'schedule', attempts: 1 });
    await eventually('the scheduled run ends', async () => {
      const [run] = await db.query<{ status: string }>(`select status from connector_run where connector_id = 'example' and job = 'pull-prices'`);
      return run.status === 'succeeded' ? run : undefined;
    });
    expect(prices.pulls.count).toBe(1);
    // every household registered through either instance is announced exactly once
    const households = (await db.query<{ id: string }>('select id from household')).map((r) => r.id).sort();
    await eventually('announcements', async () => (prices.announcements.length >= households.length ? true : undefined), 60_000);
    await sleep(1000);
    expect([...prices.announcements].sort()).toEqual(households);
  }, 120_000);
});
