// DCI notify of program eligibility, end to end: the program MIS simulator subscribes over HTTP (SPDCI subscribe,
// reg_event_type ELIGIBILITY) as an API client that acts for the program, households become eligible and then
// ineligible through the program's real rules, and the simulator receives on its own port one signed notify per
// household and change, with only what the members' consents let the program receive; then it unsubscribes and
// hears nothing more.
import { programMisSimulator } from '../../../connectors/program-mis/simulator.js';
import type { ReceivedDciMessage } from '../../../connectors/program-mis/dci-subscriber.js';
import { randomUUID } from 'node:crypto';
import { aClient, dciPost, header } from '../../core/dci/dci-helpers.js';
import { loadSpec } from '../../conformance/spdci-spec.js';
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

const PROGRAM = 'cash-plus';
const PURPOSE = 'program_enrolment';

describe.each(apiEngines())('DCI notify of program eligibility on %s', (db) => {
  let t: TestHub;
  let sim: { url: string; stop(): Promise<void> };
  let admin: Record<string, string>;
  let client: Awaited<ReturnType<typeof aClient>>;
  let program: { id: string; version: number };

  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_AUTH: 'on', SRHUB_DELIVERY_BASE_DELAY_MS: '20', SRHUB_DELIVERY_MAX_DELAY_MS: '100' } });
    sim = await programMisSimulator.start({ port: 0 });
    admin = (await t.as(['administrator'])).headers;
    client = await aClient(t, ['dci_client']);
    expect((await t.post('/api/v1/admin-areas', { code: 'PN-R1', name: 'R1' }, { headers: admin })).status).toBe(201);
    const created = await t.post('/api/v1/programs', { code: PROGRAM, name: 'Cash plus', rules: [{ name: 'pairs', expression: 'household_size >= 2' }] }, { headers: admin });
    expect(created.status).toBe(201);
    program = created.body;
  }, 180_000);
  afterAll(async () => {
    await sim?.stop();
    await t?.stop();
  }, 60_000);

  const settle = async () => {
    await t.hub.outbox.drain();
    await t.hub.dci.runSchedules();
    await t.hub.deliveries.drain();
  };
  const simulator = async (path: string, body: unknown) => {
    const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const subscribe = () => simulator('/control/dci/subscribe', { hubUrl: t.url, senderId: client.clientId, accessToken: client.headers.authorization.slice('Bearer '.length), program: PROGRAM, purpose: PURPOSE });
  const messages = async () => (await (await fetch(`${sim.url}/control/dci/messages`)).json()) as { items: ReceivedDciMessage[]; duplicates: number; subscriptions: string[] };
  const notifies = async () => (await messages()).items.filter((m) => m.action === 'notify');
  const recordOf = (m: ReceivedDciMessage) => m.message.notify_event[0].data.reg_records;
  const eligibilityOf = (record: any) => record.additional_attributes?.find((a: { name: string }) => a.name === 'program_eligibility')?.value;
  const changeRule = async (expression: string) => {
    const res = await t.patch(`/api/v1/programs/${program.id}`, { rules: [{ name: 'pairs', expression }] }, { headers: admin, ifMatch: program.version });
    expect(res.status).toBe(200);
    program = res.body;
  };

  it('refuses a client that does not act for the program, and one that names no program', async () => {
    expect((await subscribe()).status).toBe(202);
    await settle();
    const [refused] = (await messages()).items.filter((m) => m.action === 'on-subscribe');
    expect(refused.signature_valid).toBe(true);
    expect(refused.message.subscribe_response[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.notify_details.invalid' });
    expect(refused.message.subscribe_response[0].status_reason_message).toMatch(/does not act for program cash-plus/);
    // without a program: refused in the on-subscribe answer
    const criteria = { reg_event_type: 'ELIGIBILITY', notify_record_type: 'Group', filter_type: 'expression', filter: { expression: { collection: 'Group', query: { group_size: { $gte: 0 } } } } };
    const unnamed = await dciPost(t, '/registry/subscribe', {
      header: header('subscribe', client.clientId, 1, { sender_uri: `${sim.url}/dci/registry` }),
      message: { transaction_id: randomUUID(), subscribe_request: [{ reference_id: 'no-program', timestamp: new Date().toISOString(), subscribe_criteria: criteria }] },
    }, client.headers);
    expect(unnamed.status).toBe(202);
    await settle();
    const answers = (await messages()).items.filter((m) => m.action === 'on-subscribe');
    expect(answers).toHaveLength(2);
    expect(answers[1].message.subscribe_response[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.notify_details.invalid' });
    expect(answers[1].message.subscribe_response[0].status_reason_message).toMatch(/names the program/);
    const [{ n }] = await t.hub.db.query<{ n: number }>('select count(*)::int as n from dci_subscription');
    expect(n).toBe(0);
  });

  it('notifies the subscribed program system once per eligibility change, with consented data only, and nothing after unsubscribe', async () => {
    expect((await t.request('PUT', `/api/v1/programs/${program.id}/systems/${client.clientId}`, undefined, { headers: admin })).status).toBe(201);
    expect((await t.get(`/api/v1/programs/${program.id}/systems`, { headers: admin })).body.items.map((s: { client_id: string }) => s.client_id)).toEqual([client.clientId]);
    expect((await subscribe()).status).toBe(202);
    await settle();
    const { subscriptions } = await messages();
    expect(subscriptions).toHaveLength(1);

    // the program's own agreement: the same consents as its REST enrolment push
    const agreement = await t.post('/api/v1/consent/agreements', {
      code: 'pn-enrol', purpose_code: PURPOSE, purpose_text: { en: 'Enrolment' }, lawful_basis: 'consent',
      categories: ['name', 'demographics', 'area', 'household'], recipients: [PROGRAM], controller: { name: 'Registry' }, retention_days: 365, max_validity_days: 365,
    }, { headers: admin });
    expect((await t.post(`/api/v1/consent/agreements/${agreement.body.id}/publish`, {}, { headers: admin })).status).toBe(200);
    const register = async (given: string[]) => {
      const res = await t.post('/api/v1/households', aHousehold('PN-R1', {
        members: given.map((name, i) => ({ relationship: i === 0 ? 'SELF' : 'WIFE', person: aPerson({ given_name: name, phone: '+254700000009', identifiers: [{ type: 'UIN', value: uin() }] }) })),
      }), { headers: admin });
      expect(res.status).toBe(201);
      return res.body;
    };
    const consent = async (personId: string) =>
      expect((await t.post('/api/v1/consent/consents', { agreement_id: agreement.body.id, person_id: personId, channel: 'in_person' }, { headers: admin })).status).toBe(201);
    const partly = await register(['Halima', 'Secreta']); // the head consents, the second member does not
    const none = await register(['Nobody', 'Neither']); // nobody consents: nothing is sent
    const both = await register(['Baraka', 'Zuri']);
    await consent(partly.members[0].person_id);
    for (const m of both.members) await consent(m.person_id);
    await settle();

    // activation makes all three eligible: one notify each for the two households with consent
    expect((await t.post(`/api/v1/programs/${program.id}/activate`, {}, { headers: admin })).status).toBe(200);
    program = (await t.get(`/api/v1/programs/${program.id}`, { headers: admin })).body;
    await settle();
    const eligible = await notifies();
    expect(eligible.map((m) => recordOf(m)['@id']).sort()).toEqual([`urn:uuid:${partly.id}`, `urn:uuid:${both.id}`].sort());
    const [{ n: eligibleNow }] = await t.hub.db.query<{ n: number }>('select count(*)::int as n from household_eligibility where program_id = $1 and eligible and household_id = $2', [program.id, none.id]);
    expect(eligibleNow).toBe(1); // eligible like the others, but nobody in it consented: not notified
    const standard = await loadSpec();
    for (const m of eligible) {
      expect(m.signature_valid).toBe(true);
      // the standard's NotifyEventRequest (with the hub's documented event types)
      expect(standard.request('/registry/notify', { signature: m.signature, header: m.header, message: m.message })).toEqual([]);
      expect(m.message.transaction_id).toBe(subscriptions[0]);
      expect(m.message.notify_event[0].data).toMatchObject({ reg_event_type: 'ELIGIBILITY', reg_record_type: 'Group' });
      expect(eligibilityOf(recordOf(m))).toEqual({ program: PROGRAM, eligible: true });
    }
    const partlyRecord = recordOf(eligible.find((m) => recordOf(m)['@id'] === `urn:uuid:${partly.id}`)!);
    expect(partlyRecord.member_list.map((x: any) => x.demographic_info.name.given_name)).toEqual(['Halima']);
    // identifiers and contact are not in the agreement; the member without consent is not there at all
    const sent = JSON.stringify(eligible.map((m) => m.message));
    for (const withheld of ['Secreta', 'Nobody', 'Neither', '254700000009', 'member_identifier']) expect(sent).not.toContain(withheld);

    // replaying the outbox (as after a crash before the cursor moved) queues nothing twice
    await t.hub.db.query("update outbox_consumer set last_id = 0 where name = 'dci.subscriptions'");
    await settle();
    expect(await notifies()).toHaveLength(2);
    expect((await messages()).duplicates).toBe(0);

    // a stricter rule: all three become ineligible, the two with consent are told
    await changeRule('household_size >= 3');
    await settle();
    const ineligible = (await notifies()).slice(2);
    expect(ineligible.map((m) => recordOf(m)['@id']).sort()).toEqual([`urn:uuid:${partly.id}`, `urn:uuid:${both.id}`].sort());
    for (const m of ineligible) expect(eligibilityOf(recordOf(m))).toEqual({ program: PROGRAM, eligible: false });

    // unsubscribed: eligible again, and nothing more arrives
    expect((await simulator('/control/dci/unsubscribe', {})).status).toBe(202);
    await settle();
    const [ended] = (await messages()).items.filter((m) => m.action === 'on-unsubscribe');
    expect(ended.message).toMatchObject({ status: 'succ' });
    await changeRule('household_size >= 2');
    await settle();
    const [{ n }] = await t.hub.db.query<{ n: number }>("select count(*)::int as n from outbox_event where topic = 'household.eligibility_changed' and payload->>'eligible' = 'true'");
    expect(n).toBe(6); // the events happened; they were not sent
    expect(await notifies()).toHaveLength(4);
  }, 240_000);

  it('ends the subscriptions of a client taken off the program', async () => {
    expect((await subscribe()).status).toBe(202);
    await settle();
    const code = (await messages()).subscriptions.at(-1)!;
    const [before] = await t.hub.db.query<{ status: string }>('select status from dci_subscription where code = $1', [code]);
    expect(before.status).toBe('subscribe');
    expect((await t.delete(`/api/v1/programs/${program.id}/systems/${client.clientId}`, { headers: admin })).status).toBe(204);
    const [after] = await t.hub.db.query<{ status: string }>('select status from dci_subscription where code = $1', [code]);
    expect(after.status).toBe('unsubscribe');
    const count = (await notifies()).length;
    await changeRule('household_size >= 3');
    await settle();
    expect(await notifies()).toHaveLength(count);
    expect((await t.delete(`/api/v1/programs/${program.id}/systems/${client.clientId}`, { headers: admin })).status).toBe(404);
  }, 120_000);
});
