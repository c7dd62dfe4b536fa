// Subscribe -> registry change -> notify, against a real callback server: the on-subscribe answer, one signed
// notify per matching event (never twice), filters and areas respected, schedules, and unsubscribe.
import { randomUUID } from 'node:crypto';
import { verifyEnvelope } from '../../../core/dci/signature.js';
import { aHousehold, aPerson } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import type { TestHub } from '../../helpers/test-hub.js';
import { aClient, dciPost, header, subscriptionSetting, type callbackServer, type SubscriptionSetting } from './dci-helpers.js';

describe.each(apiEngines())('DCI subscriptions on %s', (db) => {
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

  const subscribeItem = (reference_id: string, criteria: Record<string, unknown>) => ({
    reference_id,
    timestamp: new Date().toISOString(),
    subscribe_criteria: { authorize: { purpose: { code: 'ELIG' } }, notify_record_type: 'Group', ...criteria },
  });
  const subscribe = (items: object[]) => setting.subscribe(items);
  const bigHouseholds = [{ seq_num: 1, expression1: { attribute_name: 'group_size', operator: 'ge', attribute_value: 3 } }];
  const settle = () => setting.settle();
  const notifies = () => setting.notifies();

  it('subscribes, answers on-subscribe, and notifies each matching registration once, signed', async () => {
    const res = await subscribe([
      subscribeItem('big', { reg_event_type: 'REGISTER', filter_type: 'predicate', filter: bigHouseholds }),
      subscribeItem('bad-type', { reg_event_type: 'BIRTHDAY', filter_type: 'predicate', filter: bigHouseholds }),
      subscribeItem('bad-filter', { reg_event_type: 'REGISTER', filter_type: 'predicate', filter: [{ seq_num: 1, expression1: { attribute_name: 'shoe_size', operator: 'eq', attribute_value: 3 } }] }),
      subscribeItem('bad-cron', { reg_event_type: 'UPDATE', filter_type: 'predicate', filter: bigHouseholds, frequency: { start_time: new Date().toISOString(), end_time: '2099-01-01T00:00:00Z', frequency: 'every tuesday' } }),
    ]);
    expect(res.status).toBe(202);
    await settle();
    const onSubscribe = cb.received.find((r) => r.path === '/spmis/registry/on-subscribe')!;
    expect(onSubscribe.body.header).toMatchObject({ action: 'on-subscribe', receiver_id: client.clientId, total_count: 4 });
    const items = onSubscribe.body.message.subscribe_response;
    expect(items.map((i: any) => [i.reference_id, i.status, i.status_reason_code ?? null])).toEqual([
      ['big', 'succ', null],
      ['bad-type', 'rjct', 'rjct.notify_types.invalid'],
      ['bad-filter', 'rjct', 'rjct.notify_details.invalid'],
      ['bad-cron', 'rjct', 'rjct.notify_details.invalid'],
    ]);
    const code = items[0].subscriptions[0].code;
    expect(items[0].subscriptions[0]).toMatchObject({ code, status: 'subscribe', reg_event_type: 'REGISTER' });

    // the same subscription again is refused
    await subscribe([subscribeItem('again', { reg_event_type: 'REGISTER', filter_type: 'predicate', filter: bigHouseholds })]);
    await settle();
    const second = cb.received.filter((r) => r.path.endsWith('/on-subscribe'))[1];
    expect(second.body.message.subscribe_response[0].status_reason_code).toBe('rjct.event.already_subscribed');

    // a big household in the client's area, a small one there, and a big one elsewhere: one notify
    const big = await t.post('/api/v1/households', aHousehold('AM-R1-D1'), { headers: admin });
    await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person: aPerson() }] }), { headers: admin });
    await t.post('/api/v1/households', aHousehold('AM-R1-D2'), { headers: admin });
    await settle();
    await settle();
    expect(notifies()).toHaveLength(1);
    const [notify] = notifies();
    expect(notify.body.header).toMatchObject({ action: 'notify', receiver_id: client.clientId });
    const [event] = notify.body.message.notify_event;
    expect(notify.body.message.transaction_id).toBe(code);
    expect(event.data).toMatchObject({ reg_event_type: 'REGISTER', reg_record_type: 'Group' });
    expect(event.data.reg_records['@id']).toBe(`urn:uuid:${big.body.id}`);
    const jwks = (await t.get('/.well-known/jwks.json')).body;
    expect(await verifyEnvelope(notify.body, jwks, { required: true })).toMatchObject({ ok: true });

    // draining again sends nothing new: once per event and subscription
    await settle();
    expect(notifies()).toHaveLength(1);

    // unsubscribe by code; later registrations are not notified; a second unsubscribe is refused
    const unsubscribe = (codes: string[]) =>
      dciPost(t, '/registry/unsubscribe', { header: header('unsubscribe', client.clientId, codes.length, { sender_uri: cb.url }), message: { transaction_id: randomUUID(), timestamp: new Date().toISOString(), subscription_codes: codes } }, client.headers);
    expect((await unsubscribe([code])).status).toBe(202);
    await settle();
    const onUnsubscribe = cb.received.filter((r) => r.path.endsWith('/on-unsubscribe'));
    expect(onUnsubscribe[0].body.message).toMatchObject({ status: 'succ', subscription_status: [{ code, status: 'unsubscribe' }] });
    await t.post('/api/v1/households', aHousehold('AM-R1-D1'), { headers: admin });
    await settle();
    expect(notifies()).toHaveLength(1);
    await unsubscribe([code]);
    await unsubscribe(['not-a-code']);
    await settle();
    const answers = cb.received.filter((r) => r.path.endsWith('/on-unsubscribe')).map((r) => r.body.message.status_reason_code);
    // two requests, two callbacks delivered independently: in either order
    expect(answers.slice(1).sort()).toEqual(['rjct.event.already_unsubscribed', 'rjct.subscription_code.invalid']);
  });

  it('notifies new household members, and holds notifications of a scheduled subscription until its run', async () => {
    const every = subscribeItem('members', { reg_event_type: 'NewHouseHoldMember', notify_record_type: 'Member', filter_type: 'predicate', filter: [{ seq_num: 1, expression1: { attribute_name: 'sex', operator: 'eq', attribute_value: 'female' } }] });
    // a schedule that only runs on 1 January at 00:00
    const yearly = subscribeItem('yearly', {
      reg_event_type: 'NewHouseHoldMember',
      notify_record_type: 'Member',
      filter_type: 'predicate',
      filter: [{ seq_num: 1, expression1: { attribute_name: 'sex', operator: 'in', attribute_value: ['female', 'male'] } }],
      frequency: { start_time: new Date().toISOString(), end_time: '2099-01-01T00:00:00Z', frequency: '0 0 0 1 1 ? *' },
    });
    await subscribe([every, yearly]);
    await settle();
    const before = notifies().length;
    const household = await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person: aPerson() }] }), { headers: admin });
    const added = await t.post(`/api/v1/households/${household.body.id}/members`, { relationship: 'DAU', person: aPerson({ given_name: 'Neema', birth_date: '2012-02-02' }) }, { headers: admin, ifMatch: household.body.version });
    expect(added.status).toBeLessThan(300);
    await settle();
    const fresh = notifies().slice(before);
    expect(fresh).toHaveLength(1);
    expect(fresh[0].body.message.notify_event[0].data).toMatchObject({ reg_event_type: 'NewHouseHoldMember', reg_record_type: 'Member' });
    // the yearly subscription's notification waits for its run; made due, it goes out once
    const [{ count }] = await t.hub.db.query<{ count: number }>('select count(*)::int as count from dci_notification');
    expect(count).toBe(1);
    await t.hub.db.query(`update dci_subscription set next_run_at = now() - interval '1 minute' where frequency is not null and status = 'subscribe'`);
    await settle();
    expect(notifies().slice(before)).toHaveLength(2);
    const [{ next }] = await t.hub.db.query<{ next: string }>(`select next_run_at::text as next from dci_subscription where frequency is not null and status = 'subscribe'`);
    expect(new Date(next).getUTCMonth()).toBe(0);
    expect(new Date(next).getUTCDate()).toBe(1);
    await settle();
    expect(notifies().slice(before)).toHaveLength(2);
  });

  it('notifies UPDATE of a person to a Member subscription, with the record as it is now', async () => {
    await subscribe([subscribeItem('upd', { reg_event_type: 'UPDATE', notify_record_type: 'Member', filter_type: 'expression', filter: { expression: { collection: 'Member', query: { sex: { $eq: 'male' } } } } })]);
    await settle();
    const household = await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person: aPerson({ given_name: 'Juma', sex: 'male' }) }] }), { headers: admin });
    await settle();
    const before = notifies().length;
    const personId = household.body.members[0].person_id ?? household.body.members[0].person?.id;
    const person = await t.get(`/api/v1/persons/${personId}`, { headers: admin });
    const patched = await t.patch(`/api/v1/persons/${personId}`, { given_name: 'Jumanne' }, { headers: admin, ifMatch: person.body.version });
    expect(patched.status).toBe(200);
    await settle();
    const fresh = notifies().slice(before);
    expect(fresh).toHaveLength(1);
    const [event] = fresh[0].body.message.notify_event;
    expect(event.data).toMatchObject({ reg_event_type: 'UPDATE', reg_record_type: 'Member' });
    expect(event.data.reg_records.demographic_info.name.given_name).toBe('Jumanne');
  });
});
