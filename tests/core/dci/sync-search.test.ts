// POST /registry/sync/search through the real hub: records for each query type, pagination and sorting, a rjct.* code
// per bad item without failing the batch, header checks and replays, authentication and scopes, signatures.
import { canonicalJson, verifyEnvelope } from '../../../core/dci/signature.js';
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aClient, dciPost, header, idQuery, publicTask, searchItem, searchMessage } from './dci-helpers.js';

const PURPOSE = { consent: { '@type': 'Consent', purpose: { code: 'ELIG' } } };

describe('DCI sync search', () => {
  let t: TestHub;
  let client: Awaited<ReturnType<typeof aClient>>;
  let admin: Record<string, string>;
  const ids: string[] = [];
  const sizes = [1, 2, 3, 4, 5];

  beforeAll(async () => {
    t = await startTestHub({ env: { SRHUB_AUTH: 'on' } });
    admin = (await t.as(['administrator'])).headers;
    await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' }, { headers: admin });
    for (const d of ['D1', 'D2']) await t.post('/api/v1/admin-areas', { code: `AM-R1-${d}`, name: d, parent_code: 'AM-R1' }, { headers: admin });
    // households of 1..5 members, the heads born 1970..1974, alternating districts
    for (const [i, size] of sizes.entries()) {
      const id = uin();
      ids.push(id);
      const members = [{ relationship: 'SELF', person: aPerson({ given_name: `Head${i}`, birth_date: `${1970 + i}-03-01`, identifiers: [{ type: 'UIN', value: id }] }) }];
      for (let m = 1; m < size; m += 1) members.push({ relationship: 'CHILD', person: aPerson({ given_name: `Child${i}${m}`, birth_date: '2010-01-01', sex: m % 2 ? 'male' : 'female' }) });
      const res = await t.post('/api/v1/households', aHousehold(i % 2 ? 'AM-R1-D2' : 'AM-R1-D1', { members }), { headers: admin });
      expect(res.status).toBe(201);
    }
    client = await aClient(t);
    await publicTask(t, 'ELIG', [client.clientId]);
  });
  afterAll(() => t.stop());

  const search = (items: object[], extra: Record<string, unknown> = {}, headers: Record<string, string> = client.headers) =>
    dciPost(t, '/registry/sync/search', searchMessage(client.clientId, items, extra), headers);

  it('finds a person by UIN and answers with a signed on-search message that verifies with the hub JWKS', async () => {
    const res = await search([searchItem('r1', idQuery(ids[2], 'UIN', { response_entity: 'Member' }))]);
    expect(res.status).toBe(200);
    expect(res.body.header).toMatchObject({ action: 'on-search', status: 'succ', receiver_id: client.clientId, total_count: 1, completed_count: 1 });
    const [item] = res.body.message.search_response;
    expect(item).toMatchObject({ reference_id: 'r1', status: 'succ', data: { reg_record_type: 'Member' }, pagination: { total_count: 1 } });
    expect(item.data.reg_records).toHaveLength(1);
    expect(item.data.reg_records[0].demographic_info.identifier).toEqual([expect.objectContaining({ identifier_type: 'UIN', identifier_value: ids[2] })]);
    const jwks = (await t.get('/.well-known/jwks.json')).body;
    expect(await verifyEnvelope(res.body, jwks, { required: true })).toMatchObject({ ok: true, form: 'http-signature' });
    // a changed message no longer verifies
    const tampered = { ...res.body, message: { ...res.body.message, transaction_id: 'other' } };
    expect(await verifyEnvelope(tampered, jwks, { required: true })).toMatchObject({ ok: false, code: 'err.signature.invalid' });
  });

  it('sends as its body the text the signature covers: header and message in canonical form, written once', async () => {
    const body = JSON.stringify(searchMessage(client.clientId, [searchItem('c1', idQuery(ids[1], 'UIN', { response_entity: 'Member' }))]));
    const res = await fetch(`${t.url}/registry/sync/search`, { method: 'POST', headers: { ...client.headers, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    const answer = JSON.parse(text);
    expect(answer.message.search_response[0].data.reg_records).toHaveLength(1);
    expect(text).toBe(`{"signature":${JSON.stringify(answer.signature)},"header":${canonicalJson(answer.header)},"message":${canonicalJson(answer.message)}}`);
    const jwks = (await t.get('/.well-known/jwks.json')).body;
    expect(await verifyEnvelope(answer, jwks, { required: true })).toMatchObject({ ok: true, form: 'http-signature' });
  });

  it('answers Group records for a household search with its members', async () => {
    const res = await search([searchItem('g', idQuery(ids[3], 'UIN', { response_entity: 'Group' }))]);
    const [item] = res.body.message.search_response;
    expect(item.status).toBe('succ');
    expect(item.data.reg_record_type).toBe('Group');
    expect(item.data.reg_records).toHaveLength(1);
    expect(item.data.reg_records[0].group_size ?? item.data.reg_records[0].member_list?.length).toBe(4);
  });

  it('runs predicate and expression queries, sorts and pages, and reports the total', async () => {
    const predicate = {
      query_type: 'predicate',
      response_entity: 'Group',
      query: [{ seq_num: 1, expression1: { attribute_name: 'group_size', operator: 'ge', attribute_value: 2 } }],
      sort: [{ attribute_name: 'group_size', sort_order: 'desc' }],
      pagination: { page_size: 3, page_number: 1 },
      ...PURPOSE,
    };
    const page1 = (await search([searchItem('p1', predicate)])).body.message.search_response[0];
    expect(page1).toMatchObject({ status: 'succ', pagination: { page_size: 3, page_number: 1, total_count: 4 } });
    expect(page1.data.reg_records.map((g: any) => g.group_size)).toEqual([5, 4, 3]);
    const page2 = (await search([searchItem('p2', { ...predicate, pagination: { page_size: 3, page_number: 2 } })])).body.message.search_response[0];
    expect(page2.data.reg_records.map((g: any) => g.group_size)).toEqual([2]);
    // past the last page: no records, the same total
    const page3 = (await search([searchItem('p3', { ...predicate, pagination: { page_size: 3, page_number: 3 } })])).body.message.search_response[0];
    expect(page3).toMatchObject({ status: 'succ', pagination: { total_count: 4 }, data: { reg_records: [] } });

    const expression = {
      query_type: 'expression',
      response_entity: 'Group',
      query: { type: 'ns:org:QueryType:expression', value: { expression: { collection: 'Group', query: { $and: [{ group_size: { $lt: 3 } }, { 'area-code': { $eq: 'AM-R1-D2' } }] } } } },
      ...PURPOSE,
    };
    const byExpression = (await search([searchItem('e', expression)])).body.message.search_response[0];
    expect(byExpression.status).toBe('succ');
    expect(byExpression.data.reg_records.map((g: any) => g.group_size)).toEqual([2]);
  });

  it('answers an empty result as success with no records', async () => {
    const res = await search([searchItem('none', idQuery('0000000000'))]);
    expect(res.body.message.search_response[0]).toMatchObject({ status: 'succ', pagination: { total_count: 0 }, data: { reg_records: [] } });
  });

  it('rejects each bad item with its own rjct code and still answers the good ones', async () => {
    const good = searchItem('good', idQuery(ids[0]));
    const items = [
      good,
      searchItem('good', idQuery(ids[1])), // the same reference_id again
      { timestamp: new Date().toISOString(), search_criteria: idQuery(ids[0]) }, // no reference_id
      searchItem('ts', idQuery(ids[0]), { timestamp: 'yesterday' }),
      searchItem('qt', { ...idQuery(ids[0]), query_type: 'graphql' }),
      searchItem('sort', { ...idQuery(ids[0]), sort: [{ attribute_name: 'group_size', sort_order: 'sideways' }] }),
      searchItem('sortattr', { ...idQuery(ids[0]), sort: [{ attribute_name: 'favourite_colour', sort_order: 'asc' }] }),
      searchItem('page', { ...idQuery(ids[0]), pagination: { page_size: 0 } }),
      searchItem('filter', { query_type: 'expression', query: { expression: { collection: 'Group', query: { favourite_colour: { $eq: 'red' } } } }, ...PURPOSE }),
    ];
    const res = await search(items);
    expect(res.status).toBe(200);
    const codes = res.body.message.search_response.map((i: any) => [i.reference_id, i.status, i.status_reason_code ?? null]);
    expect(codes).toEqual([
      ['good', 'succ', null],
      ['good', 'rjct', 'rjct.reference_id.duplicate'],
      ['unknown', 'rjct', 'rjct.reference_id.invalid'],
      ['ts', 'rjct', 'rjct.timestamp.invalid'],
      ['qt', 'rjct', 'rjct.search_criteria.invalid'],
      ['sort', 'rjct', 'rjct.sort.invalid'],
      ['sortattr', 'rjct', 'rjct.sort.invalid'],
      ['page', 'rjct', 'rjct.pagination.invalid'],
      ['filter', 'rjct', 'rjct.filter.invalid'],
    ]);
    expect(res.body.message.search_response[0].data.reg_records).toHaveLength(1);
  });

  it('discloses nothing without a purpose the client has an agreement for', async () => {
    const res = await search([searchItem('np', { query_type: 'idtype-value', query: { type: 'UIN', value: ids[0] } })]);
    expect(res.body.message.search_response[0]).toMatchObject({ status: 'succ', pagination: { total_count: 0 }, data: { reg_records: [] } });
    const other = await search([searchItem('op', { ...idQuery(ids[0]), consent: { purpose: { code: 'MARKETING' } } })]);
    expect(other.body.message.search_response[0].data.reg_records).toEqual([]);
    // the X-Purpose header counts when the message names none
    const byHeader = await search([searchItem('hp', { query_type: 'idtype-value', query: { type: 'UIN', value: ids[0] } })], {}, { ...client.headers, 'x-purpose': 'ELIG' });
    expect(byHeader.body.message.search_response[0].data.reg_records).toHaveLength(1);
  });

  it('refuses bad headers with the standard rjct codes in the answer header', async () => {
    const item = searchItem('h', idQuery(ids[0]));
    const cases: [Record<string, unknown>, string][] = [
      [{ version: '2.0.0' }, 'rjct.version.invalid'],
      [{ action: 'subscribe' }, 'rjct.action.invalid'],
      [{ message_ts: '2001-01-01T00:00:00Z' }, 'rjct.message_ts.invalid'],
      [{ total_count: 2 }, 'rjct.total_count.invalid'],
    ];
    for (const [change, code] of cases) {
      const res = await search([item], change);
      expect({ code, status: res.status, header: res.body.header }).toMatchObject({ code, status: 200, header: { status: 'rjct', status_reason_code: code } });
      expect(res.body.message).toBeUndefined();
    }
  });

  it('refuses a replayed message_id from the same sender', async () => {
    const body = searchMessage(client.clientId, [searchItem('once', idQuery(ids[0]))]);
    expect((await dciPost(t, '/registry/sync/search', body, client.headers)).body.header.status).toBe('succ');
    const again = await dciPost(t, '/registry/sync/search', body, client.headers);
    expect(again.body.header).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.message_id.duplicate' });
    // async too: an ERR ACK (409)
    const async = await dciPost(t, '/registry/search', { ...body, header: { ...body.header, sender_uri: 'http://127.0.0.1:9/cb' } }, client.headers);
    expect(async.status).toBe(409);
    expect(async.body.message).toMatchObject({ ack_status: 'ERR', error: { code: 'err.request.bad' } });
    expect(async.body.message.error.message).toMatch(/^rjct\.message_id\.duplicate/);
  });

  it('answers 401 and 403 as {errors} and unreadable messages as an ERR ACK', async () => {
    const body = searchMessage(client.clientId, [searchItem('a', idQuery(ids[0]))]);
    const none = await dciPost(t, '/registry/sync/search', body);
    expect(none.status).toBe(401);
    expect(none.body.errors[0].code).toBe('err.request.unauthorized');
    const officer = await t.as(['field_worker'], ['AM-R1-D1']);
    const forbidden = await dciPost(t, '/registry/sync/search', body, officer.headers);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.errors[0].code).toBe('err.request.forbidden');
    const notMine = await dciPost(t, '/registry/sync/search', searchMessage('someone-else', [searchItem('a', idQuery(ids[0]))]), client.headers);
    expect(notMine.status).toBe(403);
    expect(notMine.body.errors[0].code).toBe('err.sender_id.invalid');
    const noHeader = await dciPost(t, '/registry/sync/search', { message: body.message }, client.headers);
    expect(noHeader.status).toBe(400);
    expect(noHeader.body.message).toMatchObject({ ack_status: 'ERR', error: { code: 'err.request.bad' } });
    const badJson = await t.post('/registry/sync/search', undefined, { headers: client.headers, raw: '{"header":' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.message.ack_status).toBe('ERR');
    const notSearch = await dciPost(t, '/registry/sync/search', { header: header('search', client.clientId, 1), message: { transaction_id: 'x' } }, client.headers);
    expect(notSearch.status).toBe(400);
    expect(notSearch.body.message.error.message).toMatch(/search_request/);
  });

  it('keeps a client to its areas', async () => {
    const local = await aClient(t, ['dci_client'], ['AM-R1-D2']);
    await publicTask(t, 'ELIG', [local.clientId]);
    const all = { query_type: 'predicate', response_entity: 'Group', query: [{ seq_num: 1, expression1: { attribute_name: 'group_size', operator: 'ge', attribute_value: 1 } }], ...PURPOSE };
    const res = await dciPost(t, '/registry/sync/search', searchMessage(local.clientId, [searchItem('x', all)]), local.headers);
    // households 2 and 4 (sizes 2 and 4) are in AM-R1-D2
    expect(res.body.message.search_response[0]).toMatchObject({ status: 'succ', pagination: { total_count: 2 } });
  });

  it('publishes the key of its signatures in the JWKS', async () => {
    const jwks = (await t.get('/.well-known/jwks.json')).body;
    expect(jwks.keys.some((k: any) => k.crv === 'Ed25519')).toBe(true);
  });
});
