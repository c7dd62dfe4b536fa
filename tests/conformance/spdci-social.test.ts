// Conformance with the SPDCI Social Registry standard: a session of an SPMIS that follows the standard (sync and
// async search, txn status, subscribe, notify, unsubscribe, errors) through the real hub and a real callback server;
// every request sent, every answer and every callback the hub sends is validated against
// ../shared/spdci/social_api_v1.0.0.yaml by plain ajv (spdci-spec.ts), not by the validator that routes requests.
import { randomUUID } from 'node:crypto';
import { aHousehold, aPerson, uin } from '../helpers/registry-data.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { aClient, callbackServer, header, idQuery, publicTask, searchItem, searchMessage } from '../core/dci/dci-helpers.js';
import { loadSpec, type SpecValidator } from './spdci-spec.js';

describe('SPDCI Social Registry conformance', () => {
  let t: TestHub;
  let spec: SpecValidator;
  let client: Awaited<ReturnType<typeof aClient>>;
  let cb: Awaited<ReturnType<typeof callbackServer>>;
  let admin: Record<string, string>;
  const problems: string[] = [];
  let checked = 0;

  beforeAll(async () => {
    spec = await loadSpec();
    t = await startTestHub({ env: { SRHUB_AUTH: 'on', SRHUB_DELIVERY_BASE_DELAY_MS: '20', SRHUB_DELIVERY_MAX_DELAY_MS: '100' } });
    admin = (await t.as(['administrator'])).headers;
    await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' }, { headers: admin });
    await t.post('/api/v1/admin-areas', { code: 'AM-R1-D1', name: 'D1', parent_code: 'AM-R1' }, { headers: admin });
    client = await aClient(t);
    await publicTask(t, 'ELIG', [client.clientId]);
    cb = await callbackServer();
  });
  afterAll(async () => {
    await cb.close();
    await t.stop();
  });

  /** Sends a request (checked against the standard) and checks the answer against the standard. */
  async function call(path: string, body: any, headers: Record<string, string> = client.headers) {
    for (const e of spec.request(path, body)) problems.push(`request ${path}: ${e}`);
    const res = await t.post(path, body, { headers });
    for (const e of spec.response(path, res.status, res.body)) problems.push(`answer ${path} ${res.status}: ${e}`);
    checked += 2;
    return res;
  }

  const settle = async () => {
    await t.hub.outbox.drain();
    await t.hub.dci.runSchedules();
    await t.hub.deliveries.drain();
  };

  it('a whole session validates against the standard', async () => {
    const id = uin();
    const household = aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: id }] }) }, { relationship: 'SON', person: aPerson({ given_name: 'Baraka', sex: 'male', birth_date: '2011-05-05' }) }] });
    expect((await t.post('/api/v1/households', household, { headers: admin })).status).toBe(201);

    // sync search: Group and Member answers, a bad item, an empty result
    const sync = await call('/registry/sync/search', searchMessage(client.clientId, [
      searchItem('member', idQuery(id, 'UIN', { response_entity: 'Member', locale: 'eng' })),
      searchItem('group', idQuery(id, 'UIN', { response_entity: 'Group', pagination: { page_size: 10, page_number: 1 }, sort: [{ attribute_name: 'group_size', sort_order: 'asc' }] })),
      searchItem('predicate', { query_type: 'predicate', response_entity: 'Member', query: [{ seq_num: 1, expression1: { attribute_name: 'YOB', operator: 'ge', attribute_value: 2000 } }, { seq_num: 2, expression1: { attribute_name: 'sex', operator: 'eq', attribute_value: 'male' } }], consent: { purpose: { code: 'ELIG' } } }),
      searchItem('expression', { query_type: 'expression', query: { type: 'ns:org:QueryType:expression', value: { expression: { collection: 'Group', query: { $and: [{ group_size: { $gte: 2 } }] } } } }, consent: { purpose: { code: 'ELIG' } } }),
      searchItem('empty', idQuery('0000000000')),
      searchItem('bad', { ...idQuery(id), pagination: { page_size: -1 } }),
    ]));
    expect(sync.status).toBe(200);
    expect(sync.body.message.search_response.map((i: any) => i.status)).toEqual(['succ', 'succ', 'succ', 'succ', 'succ', 'rjct']);
    expect(sync.body.message.search_response.slice(0, 4).map((i: any) => i.data.reg_records.length)).toEqual([1, 1, 1, 1]);

    // header rejection, replay, 401
    await call('/registry/sync/search', searchMessage(client.clientId, [searchItem('v', idQuery(id))], { version: '9.9.9' }));
    const once = searchMessage(client.clientId, [searchItem('r', idQuery(id))]);
    await call('/registry/sync/search', once);
    await call('/registry/sync/search', once);
    await call('/registry/sync/search', searchMessage(client.clientId, [searchItem('r', idQuery(id))]), {});

    // async search, its callback and txn status both ways
    const async = searchMessage(client.clientId, [searchItem('a', idQuery(id))], { sender_uri: cb.url });
    expect((await call('/registry/search', async)).status).toBe(202);
    const status = { header: header('txn-status', client.clientId, 1), message: { transaction_id: randomUUID(), txnstatus_request: { reference_id: 'q', txn_type: 'search', attribute_type: 'transaction_id', attribute_value: async.message.transaction_id } } };
    await settle();
    expect((await call('/registry/sync/txn/status', status)).status).toBe(200);
    await call('/registry/txn/status', { ...status, header: header('txn-status', client.clientId, 1, { sender_uri: cb.url }) });
    await call('/registry/search', searchMessage(client.clientId, [searchItem('x', idQuery(id))])); // nowhere to answer: ERR

    // subscribe, a registration to notify, unsubscribe
    const subscribe = {
      header: header('subscribe', client.clientId, 1, { sender_uri: cb.url }),
      message: {
        transaction_id: randomUUID(),
        subscribe_request: [{ reference_id: 's1', timestamp: new Date().toISOString(), subscribe_criteria: { reg_event_type: 'REGISTER', filter_type: 'predicate', filter: [{ seq_num: 1, expression1: { attribute_name: 'area-code', operator: 'eq', attribute_value: 'AM-R1-D1' } }], notify_record_type: 'Group', authorize: { purpose: { code: 'ELIG' } } } }],
      },
    };
    expect((await call('/registry/subscribe', subscribe)).status).toBe(202);
    await settle();
    expect((await t.post('/api/v1/households', aHousehold('AM-R1-D1'), { headers: admin })).status).toBe(201);
    await settle();
    await settle();
    const code = cb.received.find((r) => r.path.endsWith('/on-subscribe'))!.body.message.subscribe_response[0].subscriptions[0].code;
    await call('/registry/unsubscribe', { header: header('unsubscribe', client.clientId, 1, { sender_uri: cb.url }), message: { transaction_id: randomUUID(), timestamp: new Date().toISOString(), subscription_codes: [code] } });
    await settle();

    // every callback the hub sent, as the receiver would check it
    const paths = cb.received.map((r) => r.path.replace('/spmis', ''));
    expect(paths.sort()).toEqual(['/registry/notify', '/registry/on-search', '/registry/on-subscribe', '/registry/on-unsubscribe', '/registry/txn/on-status']);
    for (const r of cb.received) {
      for (const e of spec.request(r.path.replace('/spmis', ''), r.body)) problems.push(`callback ${r.path}: ${e}`);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});

describe('the standard validator', () => {
  it('catches what the standard forbids (it is not a validator that accepts everything)', async () => {
    const spec = await loadSpec();
    const good = { message: { ack_status: 'ACK', timestamp: new Date().toISOString(), correlation_id: 'c' } };
    expect(spec.response('/registry/search', 202, good)).toEqual([]);
    expect(spec.response('/registry/search', 202, { message: { ack_status: 'OK', timestamp: 'now' } }).length).toBeGreaterThan(0);
    const header = { message_id: '1', message_ts: new Date().toISOString(), action: 'on-search', status: 'succ' };
    expect(spec.request('/registry/on-search', { header, message: { transaction_id: 't', correlation_id: 'c', search_response: [] } })).toEqual([]);
    expect(spec.request('/registry/on-search', { header: { ...header, status: 'fine' }, message: { transaction_id: 't' } }).length).toBeGreaterThan(0);
  });
});
