// DEATH subscriptions: recording a person's death (PATCH death_date) reaches a DEATH subscriber as exactly one
// notify, with the record carrying the death date; other changes (before the death, a correction after it) reach
// only UPDATE subscribers, and people outside the subscriber's areas are not notified at all.
import { aHousehold, aPerson } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import type { TestHub } from '../../helpers/test-hub.js';
import { subscriptionSetting, type callbackServer, type SubscriptionSetting } from './dci-helpers.js';

describe.each(apiEngines())('DCI DEATH subscriptions on %s', (db) => {
  let t: TestHub;
  let admin: Record<string, string>;
  let cb: Awaited<ReturnType<typeof callbackServer>>;

  let setting: SubscriptionSetting;

  beforeAll(async () => {
    setting = await subscriptionSetting(db);
    ({ t, admin, cb } = setting);
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
  const patchPerson = async (id: string, patch: Record<string, unknown>) => {
    const current = await t.get(`/api/v1/persons/${id}`, { headers: admin });
    const res = await t.patch(`/api/v1/persons/${id}`, patch, { headers: admin, ifMatch: current.body.version });
    expect(res.status).toBe(200);
    return res;
  };

  it('notifies a DEATH subscriber exactly once when a death is recorded, and not for other changes', async () => {
    const res = await subscribe([
      subscribeItem('death-member', { reg_event_type: 'DEATH', notify_record_type: 'Member', filter_type: 'expression', filter: men }),
      subscribeItem('death-group', { reg_event_type: 'DEATH', notify_record_type: 'Group', filter_type: 'expression', filter: men }),
      subscribeItem('update-member', { reg_event_type: 'UPDATE', notify_record_type: 'Member', filter_type: 'expression', filter: men }),
    ]);
    expect(res.status).toBe(202);
    await settle();
    const onSubscribe = cb.received.find((r) => r.path.endsWith('/on-subscribe'))!;
    const codes: Record<string, string> = Object.fromEntries(
      onSubscribe.body.message.subscribe_response.map((i: any) => [i.reference_id, i.subscriptions[0].code]),
    );
    expect(Object.keys(codes).sort()).toEqual(['death-group', 'death-member', 'update-member']);

    const household = await t.post(
      '/api/v1/households',
      aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person: aPerson({ given_name: 'Juma', sex: 'male', birth_date: '1950-02-02' }) }] }),
      { headers: admin },
    );
    expect(household.status).toBe(201);
    const personId: string = household.body.members[0].person_id;
    await settle();

    // another change: UPDATE hears of it, DEATH does not
    await patchPerson(personId, { given_name: 'Jumanne' });
    await settle();
    expect(notifiesOf(codes['update-member'])).toHaveLength(1);
    expect(notifiesOf(codes['death-member'])).toHaveLength(0);
    expect(notifiesOf(codes['death-group'])).toHaveLength(0);

    // the death: one notify to each DEATH subscription (the person; their household), and an UPDATE
    await patchPerson(personId, { death_date: '2024-03-01' });
    await settle();
    await settle();
    const [death] = notifiesOf(codes['death-member']);
    expect(notifiesOf(codes['death-member'])).toHaveLength(1);
    const [event] = death.body.message.notify_event;
    expect(event.data).toMatchObject({ reg_event_type: 'DEATH', reg_record_type: 'Member' });
    expect(event.data.reg_records['@id']).toBe(`urn:uuid:${personId}`);
    expect(event.data.reg_records.demographic_info).toMatchObject({ death_date: '2024-03-01', name: { given_name: 'Jumanne' } });
    const groupDeaths = notifiesOf(codes['death-group']);
    expect(groupDeaths).toHaveLength(1);
    expect(groupDeaths[0].body.message.notify_event[0].data).toMatchObject({ reg_event_type: 'DEATH', reg_record_type: 'Group' });
    expect(groupDeaths[0].body.message.notify_event[0].data.reg_records['@id']).toBe(`urn:uuid:${household.body.id}`);
    expect(notifiesOf(codes['update-member'])).toHaveLength(2);

    // a correction of the date, and later changes: updates only
    await patchPerson(personId, { death_date: '2024-02-29' });
    await patchPerson(personId, { family_name: 'Mwangi' });
    await settle();
    await settle();
    expect(notifiesOf(codes['death-member'])).toHaveLength(1);
    expect(notifiesOf(codes['death-group'])).toHaveLength(1);
    expect(notifiesOf(codes['update-member'])).toHaveLength(4);

    // a death outside the subscriber's areas, or one its filter does not select: nothing
    const elsewhere = await t.post(
      '/api/v1/households',
      aHousehold('AM-R1-D2', { members: [{ relationship: 'SELF', person: aPerson({ given_name: 'Baraka', sex: 'male' }) }] }),
      { headers: admin },
    );
    const woman = await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person: aPerson() }] }), { headers: admin });
    await patchPerson(elsewhere.body.members[0].person_id, { death_date: '2024-01-01' });
    await patchPerson(woman.body.members[0].person_id, { death_date: '2024-01-01' });
    await settle();
    await settle();
    expect(notifiesOf(codes['death-member'])).toHaveLength(1);
    expect(notifiesOf(codes['death-group'])).toHaveLength(1);
  });
});
