// The notification connector end to end: events and one-time codes become messages in the delivery queue, sent to
// the simulated SMS/e-mail gateway over HTTP with retries; once per event or code, never to people without a phone
// or e-mail, never where no agreement covers sending their contact details.
import { notificationSimulator } from '../../../connectors/notification/simulator.js';
import { sendOneTimeCode } from '../../../connectors/notification/send.js';
import { emitEvents } from '../../../core/outbox/events.js';
import { systemContext, type Ctx } from '../../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../../core/server/principal.js';
import { aHousehold, aPerson } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { configure, control, publishAgreement, requestsSeen, sleep } from '../national-id/helpers.js';

describe.each(apiEngines())('notification connector on %s', (db) => {
  let t: TestHub;
  let sim: { url: string; stop(): Promise<void> };
  let ctx: Ctx;
  let household: any;

  beforeAll(async () => {
    t = await startTestHub({
      db,
      env: { SRHUB_EGRESS_ALLOW: 'loopback', SRHUB_DELIVERY_BASE_DELAY_MS: '20', SRHUB_DELIVERY_MAX_DELAY_MS: '100', SRHUB_DELIVERY_TIMEOUT_MS: '300' },
    });
    sim = await notificationSimulator.start({ port: 0 });
    ctx = systemContext(t.hub.config, t.hub.db, t.hub.secrets, t.hub.log, SYSTEM_PRINCIPAL, { audit: t.hub.audit, keys: t.hub.keys });
    await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' });
    await publishAgreement(t, { purpose: 'notification', recipients: ['connector:notification'], categories: ['contact'] });
    household = (await t.post('/api/v1/households', aHousehold('AM-R1', {
      members: [
        { relationship: 'SELF', person: aPerson({ given_name: 'Mercy', phone: '+254 711 000 111' }) },
        { relationship: 'SON', person: aPerson({ given_name: 'Otieno', sex: 'male', birth_date: '2012-01-01' }) },
        { relationship: 'DAU', person: aPerson({ given_name: 'Lilian', birth_date: '2000-01-01', email: 'lilian@example.org', preferred_language: 'fra' }) },
      ],
    }))).body;
    // whatever the registration itself tells the head is sent before the tests start (beforeEach clears the gateway)
    await t.hub.workflow.settle();
    await t.hub.connectors.settle();
    await t.hub.deliveries.drain();
  }, 180_000);
  afterAll(async () => {
    await sim.stop();
    await t.stop();
  });
  beforeEach(async () => {
    await control(sim.url, {}, '/control/reset');
    await fetch(`${sim.url}/messages`, { method: 'DELETE' });
    await configure(t, 'notification', notificationSimulator.demoConfiguration(sim.url));
  });

  const head = () => household.members[0].person_id as string;
  const messages = async (to?: string) => (await (await fetch(`${sim.url}/messages${to ? `?to=${encodeURIComponent(to)}` : ''}`)).json()).items as any[];
  const deliver = () => t.hub.deliveries.drain();

  it('sends a one-time code by SMS to the person\'s phone, once per request, and keeps the number sealed while queued', async () => {
    const sent = await sendOneTimeCode(ctx, { personId: head(), code: '482913', key: 'login-1' });
    expect(sent).toMatchObject({ queued: true, created: true, channel: 'sms' });
    const again = await sendOneTimeCode(ctx, { personId: head(), code: '482913', key: 'login-1' });
    expect(again).toMatchObject({ queued: true, created: false });
    const [row] = await t.hub.db.query<{ body: string }>('select body from delivery where id = $1', [(sent as any).deliveryId]);
    expect(row.body).not.toContain('711');
    expect(row.body).not.toContain('482913');
    await deliver();
    const got = await messages('+254 711 000 111');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ channel: 'sms', sender: 'Amaru Registry' });
    expect(got[0].text).toContain('482913');
  });

  it('uses e-mail (in the person\'s language) when there is no phone, and sends nothing to people with neither', async () => {
    const lilian = household.members[2].person_id;
    expect(await sendOneTimeCode(ctx, { personId: lilian, code: '1234' })).toMatchObject({ queued: true, channel: 'email' });
    expect(await sendOneTimeCode(ctx, { personId: household.members[1].person_id, code: '1234' })).toEqual({ queued: false, reason: 'no_contact' });
    await deliver();
    const all = await messages();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ channel: 'email', to: 'lilian@example.org', subject: 'Votre code à usage unique' });
  });

  it('sends nothing when no agreement covers giving the gateway people\'s contact details', async () => {
    await configure(t, 'notification', { ...notificationSimulator.demoConfiguration(sim.url), purpose: 'marketing' });
    expect(await sendOneTimeCode(ctx, { personId: head(), code: '5555' })).toEqual({ queued: false, reason: 'consent.none' });
    await deliver();
    expect(await messages()).toEqual([]);
  });

  it('tells a person their consent expired and a household head that their registration is complete, once per event', async () => {
    await t.hub.db.transaction((tx) => emitEvents(tx, [
      { topic: 'consent.expired', aggregateType: 'consent', aggregateId: '01a21500-0000-7000-8000-000000000001', payload: { person_id: head(), agreement_id: 'x', valid_until: new Date().toISOString() } },
      { topic: 'registration.registered', aggregateType: 'registration_case', aggregateId: '01a21500-0000-7000-8000-0000000000ab', payload: { case_id: '01a21500-0000-7000-8000-0000000000ab', household_id: household.id, area_code: 'AM-R1' } },
      { topic: 'registration.rejected', aggregateType: 'registration_case', aggregateId: '01a21500-0000-7000-8000-0000000000ac', payload: { case_id: '01a21500-0000-7000-8000-0000000000ac', household_id: null } },
    ]));
    await t.hub.connectors.settle();
    await deliver();
    // (the household's own registration through the workflow may have told the head too: only these events count here)
    const texts = (await messages('+254 711 000 111')).map((m) => m.text).filter((text) => /expired|000000AB/.test(text)).sort();
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(/consent .* has expired/);
    expect(texts[1]).toMatch(/registered \(reference 000000AB\)/);

    // the same events handled again (a retried run) queue nothing new
    const payload = [{ person_id: head(), event: { id: '1', topic: 'consent.expired', aggregateType: 'consent', aggregateId: '01a21500-0000-7000-8000-000000000001' } }];
    const rerun = await t.hub.connectors.runNow('notification', 'consent-expired', payload);
    expect(rerun.counts).toMatchObject({ 'messages.already_queued': 1 });
    await deliver();
    expect((await messages('+254 711 000 111')).filter((m) => /expired|000000AB/.test(m.text))).toHaveLength(2);
  });

  it('keeps a message through a gateway outage and delivers it once when the gateway is back', async () => {
    await control(sim.url, { mode: 'outage' });
    const sent = await sendOneTimeCode(ctx, { personId: head(), code: '777777' });
    await deliver();
    await sleep(150);
    await deliver();
    const [during] = await t.hub.db.query<{ status: string; attempts: number; last_status: number }>('select status, attempts, last_status from delivery where id = $1', [(sent as any).deliveryId]);
    expect(during).toMatchObject({ status: 'pending', last_status: 503 });
    expect(during.attempts).toBeGreaterThanOrEqual(2);
    await control(sim.url, { mode: 'normal' });
    await sleep(150);
    await deliver();
    expect((await messages()).map((m) => m.text.includes('777777'))).toEqual([true]);
  });

  it('retries a slow gateway after the timeout without the person getting the message twice', async () => {
    await control(sim.url, { mode: 'slow', delayMs: 600 });
    const sent = await sendOneTimeCode(ctx, { personId: head(), code: '909090' });
    await deliver(); // times out after 300 ms; the gateway still takes the message when its answer comes
    const [first] = await t.hub.db.query<{ status: string; last_error: string }>('select status, last_error from delivery where id = $1', [(sent as any).deliveryId]);
    expect(first).toMatchObject({ status: 'pending', last_error: 'timed out' });
    await sleep(700);
    await control(sim.url, { mode: 'normal' });
    await deliver();
    const [done] = await t.hub.db.query<{ status: string }>('select status from delivery where id = $1', [(sent as any).deliveryId]);
    expect(done.status).toBe('delivered');
    expect(await requestsSeen(sim.url)).toBeGreaterThanOrEqual(2);
    expect((await messages()).filter((m) => m.text.includes('909090'))).toHaveLength(1);
  });
});
