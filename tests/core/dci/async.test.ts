// Async search and txn status against a real callback server: the ACK, the on-search callback with the same
// transaction, its signature, retries after failing callbacks, delivery after a hub restart, and txn/status.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../core/config.js';
import { verifyEnvelope } from '../../../core/dci/signature.js';
import { startHub, type Hub } from '../../../core/server/hub.js';
import { copyPgliteTemplate } from '../../helpers/pglite-template.js';
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aClient, callbackServer, dciPost, header, idQuery, publicTask, searchItem, searchMessage } from './dci-helpers.js';

const FAST_RETRIES = { SRHUB_DELIVERY_BASE_DELAY_MS: '20', SRHUB_DELIVERY_MAX_DELAY_MS: '100', SRHUB_AUTH: 'on' };

async function seedPerson(t: Pick<TestHub, 'hub'> & { post: TestHub['post'] }, headers: Record<string, string>) {
  const id = uin();
  await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' }, { headers });
  await t.post('/api/v1/admin-areas', { code: 'AM-R1-D1', name: 'D1', parent_code: 'AM-R1' }, { headers });
  const h = aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: id }] }) }] });
  expect((await t.post('/api/v1/households', h, { headers })).status).toBe(201);
  return id;
}

describe.each(apiEngines())('DCI async search on %s', (db) => {
  let t: TestHub;
  let client: Awaited<ReturnType<typeof aClient>>;
  let cb: Awaited<ReturnType<typeof callbackServer>>;
  let id: string;

  beforeAll(async () => {
    t = await startTestHub({ db, env: FAST_RETRIES });
    id = await seedPerson(t, (await t.as(['administrator'])).headers);
    client = await aClient(t);
    await publicTask(t, 'ELIG', [client.clientId]);
  });
  beforeEach(async () => {
    cb = await callbackServer();
  });
  afterEach(() => cb.close());
  afterAll(() => t.stop());

  const txnStatus = (attribute_type: string, attribute_value: unknown, txn_type = 'search') => ({
    header: header('txn-status', client.clientId, 1),
    message: { transaction_id: randomUUID(), txnstatus_request: { reference_id: randomUUID(), txn_type, attribute_type, attribute_value } },
  });

  it('ACKs at once and delivers a signed on-search with the same transaction to sender_uri', async () => {
    const body = searchMessage(client.clientId, [searchItem('a1', idQuery(id, 'UIN', { response_entity: 'Member' })), searchItem('a2', idQuery('0000000001'))], { sender_uri: cb.url });
    const res = await dciPost(t, '/registry/search', body, client.headers);
    expect(res.status).toBe(202);
    expect(res.body.message).toMatchObject({ ack_status: 'ACK', correlation_id: expect.any(String) });
    const [callback] = await cb.waitFor(1);
    expect(callback.path).toBe('/spmis/registry/on-search');
    expect(callback.body.header).toMatchObject({ action: 'on-search', status: 'succ', receiver_id: client.clientId });
    expect(callback.body.message).toMatchObject({ transaction_id: body.message.transaction_id, correlation_id: res.body.message.correlation_id });
    expect(callback.body.message.search_response.map((i: any) => [i.reference_id, i.data.reg_records.length])).toEqual([['a1', 1], ['a2', 0]]);
    const jwks = (await t.get('/.well-known/jwks.json')).body;
    expect(await verifyEnvelope(callback.body, jwks, { required: true })).toMatchObject({ ok: true });

    // txn/status knows it by transaction_id, correlation_id and reference ids
    for (const [type, value] of [['transaction_id', body.message.transaction_id], ['correlation_id', res.body.message.correlation_id], ['reference_id_list', ['a2']]] as const) {
      const status = await dciPost(t, '/registry/sync/txn/status', txnStatus(type, value), client.headers);
      expect(status.status).toBe(200);
      expect(status.body.header).toMatchObject({ action: 'txn-on-status', status: 'succ' });
      const txn = status.body.message.txnstatus_response;
      expect(txn.txn_type).toBe('search');
      expect(txn.txn_status.transaction_id).toBe(body.message.transaction_id);
      expect(txn.txn_status.search_response.map((r: any) => [r.reference_id, r.status])).toEqual(type === 'reference_id_list' ? [['a2', 'succ']] : [['a1', 'succ'], ['a2', 'succ']]);
    }
    const unknown = await dciPost(t, '/registry/sync/txn/status', txnStatus('transaction_id', 'no-such'), client.headers);
    expect(unknown.body.header).toMatchObject({ status: 'rjct' });
    // another client does not see it
    const other = await aClient(t);
    const foreign = await dciPost(t, '/registry/sync/txn/status', { ...txnStatus('transaction_id', body.message.transaction_id), header: header('txn-status', other.clientId, 1) }, other.headers);
    expect(foreign.body.header.status).toBe('rjct');
  });

  it('answers txn/status asynchronously to txn/on-status', async () => {
    const search = searchMessage(client.clientId, [searchItem('s', idQuery(id))], { sender_uri: cb.url });
    await dciPost(t, '/registry/search', search, client.headers);
    await cb.waitFor(1);
    const req = txnStatus('transaction_id', search.message.transaction_id);
    const ackRes = await dciPost(t, '/registry/txn/status', { ...req, header: { ...req.header, sender_uri: cb.url } }, client.headers);
    expect(ackRes.status).toBe(202);
    const [, status] = await cb.waitFor(2);
    expect(status.path).toBe('/spmis/registry/txn/on-status');
    expect(status.body.message.txnstatus_response.txn_status.search_response[0]).toMatchObject({ reference_id: 's', status: 'succ' });
  });

  it('retries a failing callback with backoff until it is accepted', async () => {
    cb.answers.push(500, 503, 500);
    const body = searchMessage(client.clientId, [searchItem('r', idQuery(id))], { sender_uri: cb.url });
    expect((await dciPost(t, '/registry/search', body, client.headers)).status).toBe(202);
    const [callback] = await cb.waitFor(1);
    expect(cb.hits.count).toBe(4);
    expect(callback.body.message.transaction_id).toBe(body.message.transaction_id);
    // every attempt carries the same message_id (the delivery's), so a receiver can drop a repeat
    const [{ delivery_id }] = await t.hub.db.query<{ delivery_id: string }>('select delivery_id from dci_transaction where transaction_id = $1', [body.message.transaction_id]);
    expect(callback.body.header.message_id).toBe(delivery_id);
  });

  it('refuses an async call with nowhere to answer, or an answer address off the registered origin', async () => {
    const res = await dciPost(t, '/registry/search', searchMessage(client.clientId, [searchItem('x', idQuery(id))]), client.headers);
    expect(res.status).toBe(400);
    expect(res.body.message.error.code).toBe('err.sender_uri.invalid');
    await t.hub.db.query('insert into dci_client (client_id, callback_url, updated_by) values ($1, $2, $3)', [client.clientId, cb.url, 'test']);
    try {
      const elsewhere = await dciPost(t, '/registry/search', searchMessage(client.clientId, [searchItem('x', idQuery(id))], { sender_uri: 'https://attacker.example/cb' }), client.headers);
      expect(elsewhere.body.message.error.code).toBe('err.sender_uri.invalid');
      // without sender_uri the registered callback URL is used
      await dciPost(t, '/registry/search', searchMessage(client.clientId, [searchItem('y', idQuery(id))]), client.headers);
      const [callback] = await cb.waitFor(1);
      expect(callback.path).toBe('/spmis/registry/on-search');
    } finally {
      await t.hub.db.query('delete from dci_client where client_id = $1', [client.clientId]);
    }
  });
});

describe('DCI async search across a restart', () => {
  it('delivers the answer of a search accepted before the hub stopped', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-dci-'));
    // a migrated copy: creating PGlite from nothing (initdb and every migration) costs seconds
    await copyPgliteTemplate(path.join(dataDir, 'pglite'));
    const env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', SRHUB_DATA_DIR: dataDir, SRHUB_MASTER_KEY: randomBytes(32).toString('base64'), SRHUB_EGRESS_ALLOW: 'loopback', ...FAST_RETRIES };
    const cb = await callbackServer();
    let hub: Hub | undefined;
    try {
      hub = await startHub(loadConfig(env));
      const post = async (p: string, body: unknown, opts: { headers?: Record<string, string> } = {}) => {
        const res = await fetch(hub!.url + p, { method: 'POST', headers: { 'content-type': 'application/json', ...opts.headers }, body: JSON.stringify(body) });
        return { status: res.status, headers: res.headers, body: await res.json() };
      };
      const { createUser } = await import('../../../core/auth/users.js');
      const { issueAccessToken } = await import('../../../core/auth/tokens.js');
      const { scopesOf } = await import('../../../core/auth/roles.js');
      await createUser(hub.db, { username: 'adm', roles: ['administrator'], areas: null, password: randomBytes(12).toString('hex') }, 'test');
      const { access_token } = await issueAccessToken(hub.keys, hub.config, { sub: 'user:adm', roles: ['administrator'], scopes: await scopesOf(hub.db, ['administrator']), areas: null });
      const id = await seedPerson({ hub, post: post as never }, { authorization: `Bearer ${access_token}` });
      const client = await aClient({ hub });
      await publicTask({ hub }, 'ELIG', [client.clientId]);
      // the SPMIS is down while the first hub runs
      cb.answers.push(...Array(1000).fill(503));
      const body = searchMessage(client.clientId, [searchItem('restart', idQuery(id))], { sender_uri: cb.url });
      expect((await post('/registry/search', body, { headers: client.headers })).status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(cb.received).toHaveLength(0);
      await hub.stop();
      hub = undefined;
      cb.answers.length = 0;
      hub = await startHub(loadConfig(env));
      const [callback] = await cb.waitFor(1);
      expect(callback.body).toMatchObject({ header: { action: 'on-search' }, message: { transaction_id: body.message.transaction_id } });
      expect(callback.body.message.search_response[0].data.reg_records).toHaveLength(1);
    } finally {
      await hub?.stop();
      await cb.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
