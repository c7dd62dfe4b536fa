// DEREGISTER subscriptions: deregistering a household (POST /households/{id}/deregister) reaches a DEREGISTER
// subscriber as exactly one notify per record its filter selects (the household; its matching members), though DCI
// searches no longer find the household or its members; UPDATE subscribers hear nothing of it, and households outside
// the subscriber's areas are not notified at all.
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import type { TestHub } from '../../helpers/test-hub.js';
import { aClient, dciPost, idQuery, publicTask, searchItem, searchMessage, subscriptionSetting, type callbackServer, type SubscriptionSetting } from './dci-helpers.js';

const PURPOSE = { consent: { '@type': 'Consent', purpose: { code: 'ELIG' } } };

describe.each(apiEngines())('DCI DEREGISTER subscriptions on %s', (db) => {
  let t: TestHub;
  let admin: Record<string, string>;
  let client: Awaited<ReturnType<typeof aClient>>;
  let cb: Awaited<ReturnType<typeof callbackServer>>;

  let setting: SubscriptionSetting;

  beforeAll(async () => {
    setting = await subscriptionSetting(db);
    ({ t, admin, client, cb } = setting);
  });
  afterAll(() => setting?.stop());

  const men = { expression: { collection: 'Member', query: { sex: { $eq: 'male' } } } };
  const subscribeItem = (reference_id: string, criteria: Record<string, unknown>) => ({
    reference_id,
    timestamp: new Date().toISOString(),
    subscribe_criteria: { authorize: { purpose: { code: 'ELIG' } }, ...criteria },
  });
  const subscribe = (items: object[]) => setting.subscribe(items);
  const settle = () => setting.settle();
  const notifiesOf = (code: string) => setting.notifies(code);
  const search = async (criteria: Record<string, unknown>, as: { clientId: string; headers: Record<string, string> } = client) => {
    const res = await dciPost(t, '/registry/sync/search', searchMessage(as.clientId, [searchItem('s', criteria)]), as.headers);
    expect(res.status).toBe(200);
    const [item] = res.body.message.search_response;
    expect(item.status).toBe('succ');
    return { ids: item.data.reg_records.map((r: { '@id': string }) => r['@id']) as string[], total: item.pagination.total_count as number };
  };
  const deregister = async (household: { id: string; version: number }, reason = 'moved_abroad') => {
    const res = await t.post(`/api/v1/households/${household.id}/deregister`, { reason }, { headers: admin, ifMatch: household.version });
    expect(res.status).toBe(200);
    return res.body;
  };

  it('notifies a DEREGISTER subscriber exactly once per selected record, and UPDATE subscribers not at all', async () => {
    const res = await subscribe([
      subscribeItem('dereg-group', { reg_event_type: 'DEREGISTER', notify_record_type: 'Group', filter_type: 'expression', filter: men }),
      subscribeItem('dereg-member', { reg_event_type: 'DEREGISTER', notify_record_type: 'Member', filter_type: 'expression', filter: men }),
      subscribeItem('update-group', { reg_event_type: 'UPDATE', notify_record_type: 'Group', filter_type: 'expression', filter: men }),
    ]);
    expect(res.status).toBe(202);
    await settle();
    const onSubscribe = cb.received.find((r) => r.path.endsWith('/on-subscribe'))!;
    const codes: Record<string, string> = Object.fromEntries(
      onSubscribe.body.message.subscribe_response.map((i: any) => [i.reference_id, i.subscriptions[0].code]),
    );
    expect(Object.keys(codes).sort()).toEqual(['dereg-group', 'dereg-member', 'update-group']);

    // aHousehold: Amina (SELF), Joseph (HUSB, the only man), Zawadi (DAU)
    const household = await t.post('/api/v1/households', aHousehold('AM-R1-D1'), { headers: admin });
    expect(household.status).toBe(201);
    const joseph: string = household.body.members[1].person_id;
    await settle();

    const deregistered = await deregister(household.body);
    await settle();
    await settle();
    const groups = notifiesOf(codes['dereg-group']);
    expect(groups).toHaveLength(1);
    const [groupEvent] = groups[0].body.message.notify_event;
    expect(groupEvent.data).toMatchObject({ reg_event_type: 'DEREGISTER', reg_record_type: 'Group' });
    expect(groupEvent.data.reg_records['@id']).toBe(`urn:uuid:${household.body.id}`);
    const members = notifiesOf(codes['dereg-member']);
    expect(members).toHaveLength(1);
    expect(members[0].body.message.notify_event[0].data).toMatchObject({ reg_event_type: 'DEREGISTER', reg_record_type: 'Member' });
    expect(members[0].body.message.notify_event[0].data.reg_records['@id']).toBe(`urn:uuid:${joseph}`);
    expect(notifiesOf(codes['update-group'])).toHaveLength(0);

    // refused changes and a repeated deregistration notify nobody again
    const again = await t.post(`/api/v1/households/${household.body.id}/deregister`, { reason: 'other' }, { headers: admin, ifMatch: deregistered.version });
    expect(again.status).toBe(409);
    await settle();
    await settle();
    expect(notifiesOf(codes['dereg-group'])).toHaveLength(1);
    expect(notifiesOf(codes['dereg-member'])).toHaveLength(1);

    // outside the subscriber's areas, or not selected by its filter (no man in it): nothing
    const elsewhere = await t.post('/api/v1/households', aHousehold('AM-R1-D2'), { headers: admin });
    const women = await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person: aPerson() }] }), { headers: admin });
    await deregister(elsewhere.body, 'duplicate');
    await deregister(women.body, 'all_members_deceased');
    await settle();
    await settle();
    expect(notifiesOf(codes['dereg-group'])).toHaveLength(1);
    expect(notifiesOf(codes['dereg-member'])).toHaveLength(1);
    expect(notifiesOf(codes['update-group'])).toHaveLength(0);
  });

  it('leaves a deregistered household and its members out of a sync search, with a consistent total', async () => {
    const id = uin();
    const household = await t.post(
      '/api/v1/households',
      aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: id }] }) }, { relationship: 'SON', person: aPerson({ sex: 'male' }) }] }),
      { headers: admin },
    );
    expect(household.status).toBe(201);
    const uri = `urn:uuid:${household.body.id}`;
    const headUri = `urn:uuid:${household.body.members[0].person_id}`;
    // someone in no household, to show that people without a household stay (seen by a client without areas only)
    const everywhere = await aClient(t);
    await publicTask(t, 'ELIG', [everywhere.clientId]);
    const aloneId = uin();
    const alone = await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'UIN', value: aloneId }] }), { headers: admin });
    expect(alone.status).toBe(201);

    const inDistrict = { query_type: 'expression', response_entity: 'Group', query: { expression: { collection: 'Group', query: { 'area-code': { $eq: 'AM-R1-D1' } } } }, pagination: { page_size: 100, page_number: 1 }, ...PURPOSE };
    // Member over the Group collection: people whose current household is in the district (the joined path)
    const peopleInDistrict = { ...inDistrict, response_entity: 'Member' };
    const groupsBefore = await search(inDistrict);
    const peopleBefore = await search(peopleInDistrict);
    expect(groupsBefore.ids).toContain(uri);
    expect(peopleBefore.ids).toContain(headUri);
    expect(groupsBefore.total).toBe(groupsBefore.ids.length);
    expect((await search(idQuery(id, 'UIN', { response_entity: 'Group' }))).ids).toEqual([uri]);
    expect((await search(idQuery(id, 'UIN', { response_entity: 'Member' }))).ids).toEqual([headUri]);

    await deregister(household.body);

    const groupsAfter = await search(inDistrict);
    expect(groupsAfter.ids).not.toContain(uri);
    expect(groupsAfter.total).toBe(groupsBefore.total - 1);
    expect(groupsAfter.ids.sort()).toEqual(groupsBefore.ids.filter((x) => x !== uri).sort());
    const peopleAfter = await search(peopleInDistrict);
    expect(peopleAfter.ids).not.toContain(headUri);
    expect(peopleAfter.total).toBe(peopleBefore.total - 2);
    expect(await search(idQuery(id, 'UIN', { response_entity: 'Group' }))).toEqual({ ids: [], total: 0 });
    expect(await search(idQuery(id, 'UIN', { response_entity: 'Member' }))).toEqual({ ids: [], total: 0 });
    expect((await search(idQuery(aloneId, 'UIN', { response_entity: 'Member' }), everywhere)).ids).toEqual([`urn:uuid:${alone.body.id}`]);
    expect(await search(idQuery(id, 'UIN', { response_entity: 'Member' }), everywhere)).toEqual({ ids: [], total: 0 });
  });
});
