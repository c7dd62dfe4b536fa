// Consent on the DCI path: a record goes out only under a consent in force for the caller and the purpose, with only
// the agreed categories; a withdrawal takes effect at the very next search, which also no longer counts the person.
import { randomBytes } from 'node:crypto';
import { startConsentHub, type ConsentHub } from '../../consent/setup.js';
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { dciPost, searchItem, searchMessage } from './dci-helpers.js';

describe('consent on DCI search', () => {
  let h: ConsentHub;
  let clientId: string;
  let client: Record<string, string>;
  let agreementId: string;
  const headUin = uin();
  const phone = '+254700111222';
  const spouseUin = uin();

  beforeAll(async () => {
    h = await startConsentHub();
    clientId = `spmis-${randomBytes(3).toString('hex')}`;
    client = await h.client(clientId);
    // consent to names and area only, for this client and purpose
    agreementId = await h.agreement({ recipients: [clientId], categories: ['name', 'area'], purpose_code: 'cash-transfer' });
    const members = [
      { relationship: 'SELF', person: aPerson({ given_name: 'Amina', phone, identifiers: [{ type: 'UIN', value: headUin }] }) },
      { relationship: 'HUSB', person: aPerson({ given_name: 'Juma', sex: 'male', phone: '+254700333444', identifiers: [{ type: 'UIN', value: spouseUin }] }) },
    ];
    const created = await h.t.post('/api/v1/households', aHousehold('CA', { members }), { headers: h.admin });
    expect(created.status).toBe(201);
  });
  afterAll(() => h.stop());

  const search = (value: string, entity: 'Member' | 'Group') =>
    dciPost(
      h.t,
      '/registry/sync/search',
      searchMessage(clientId, [
        searchItem('r1', { query_type: 'idtype-value', response_entity: entity, query: { type: 'UIN', value }, consent: { '@type': 'Consent', purpose: { code: 'cash-transfer' } } }),
      ]),
      client,
    );

  const personIdOf = async (value: string) => {
    const found = await h.t.get(`/api/v1/persons?identifier_type=UIN&identifier_value=${value}`, { headers: h.admin });
    return found.body.items[0].id as string;
  };

  it('discloses nothing without a consent, then names only under one; the withdrawal stops the very next search', async () => {
    const before = (await search(headUin, 'Member')).body.message.search_response[0];
    expect(before).toMatchObject({ status: 'succ', pagination: { total_count: 0 } });
    expect(before.data.reg_records).toEqual([]);

    const granted = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: await personIdOf(headUin), channel: 'in_person' }, { headers: h.officer });
    expect(granted.status).toBe(201);

    const res = await search(headUin, 'Member');
    const [item] = res.body.message.search_response;
    expect(item).toMatchObject({ status: 'succ', pagination: { total_count: 1 } });
    expect(item.data.reg_records).toHaveLength(1);
    expect(item.data.reg_records[0].demographic_info.name).toMatchObject({ given_name: 'Amina' });
    // outside the agreement: no phone, no identifier, no birth date anywhere in the answer
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(phone.slice(4));
    expect(text).not.toContain(headUin);
    expect(text).not.toContain('birth_date');

    const withdrawn = await h.t.post(`/api/v1/consent/consents/${granted.body.consent.id}/withdraw`, {}, { headers: h.officer });
    expect(withdrawn.status).toBe(200);
    const after = (await search(headUin, 'Member')).body.message.search_response[0];
    expect(after).toMatchObject({ status: 'succ', pagination: { total_count: 0 } });
    expect(after.data.reg_records).toEqual([]);
  });

  it('a Group record under a name + area agreement shows the area, and no member, phone or identifier', async () => {
    const head = await personIdOf(headUin);
    const granted = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: head, channel: 'in_person' }, { headers: h.officer });
    expect(granted.status).toBe(201);
    const res = await search(headUin, 'Group');
    const [item] = res.body.message.search_response;
    expect(item.data.reg_records).toHaveLength(1);
    const [group] = item.data.reg_records;
    expect(group.address).toEqual([expect.objectContaining({ sub_region_code: 'CA' })]);
    // the household's composition is not in the agreement: no member list, no head, nobody's data
    expect(group.member_list).toBeUndefined();
    expect(group.group_head_info).toBeUndefined();
    const text = JSON.stringify(res.body);
    for (const secret of ['Juma', spouseUin, headUin, '700333444', phone.slice(4)]) expect(text).not.toContain(secret);
  });
});
