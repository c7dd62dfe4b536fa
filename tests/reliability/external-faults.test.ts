// External systems failing in the ways the connector tests did not yet cover (tests/connectors/* have outages as
// 5xx, slow answers and time limits): connections closed without an answer, and 200 answers whose JSON is cut off,
// through the shared simulator faults (connectors/national-id/faults.ts). The program MIS status pull is the
// subject, since it writes: a blip is retried and the run succeeds, garbage fails the run without applying or
// moving the checkpoint, an outage of closed connections opens the breaker and a probe closes it, and in the end
// every status change is applied exactly once. The notification gateway closing connections: each message
// delivered, once.
import { randomUUID } from 'node:crypto';
import { notificationSimulator } from '../../connectors/notification/simulator.js';
import { sendOneTimeCode } from '../../connectors/notification/send.js';
import { programMisSimulator } from '../../connectors/program-mis/simulator.js';
import { systemContext } from '../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../core/server/principal.js';
import { configure, control, FAST, publishAgreement, requestsSeen, sleep } from '../connectors/national-id/helpers.js';
import { aHousehold, aPerson, uin } from '../helpers/registry-data.js';
import { apiEngines } from '../helpers/services.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const PROGRAM = 'cash-transfer';

describe.each(apiEngines())('connectors against closed connections and garbage answers on %s', (db) => {
  let t: TestHub;
  let mis: { url: string; stop(): Promise<void> };
  let gateway: { url: string; stop(): Promise<void> };
  const households: any[] = [];
  const figures = { faults: 0, runs: 0, checked: 0 };

  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_DELIVERY_BASE_DELAY_MS: '20', SRHUB_DELIVERY_MAX_DELAY_MS: '100', SRHUB_DELIVERY_TIMEOUT_MS: '2000' } });
    [mis, gateway] = await Promise.all([programMisSimulator.start({ port: 0 }), notificationSimulator.start({ port: 0 })]);
    await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' });
    const agreementId = await publishAgreement(t, { purpose: 'program_enrolment', recipients: [PROGRAM], categories: ['name', 'demographics', 'area', 'household'], lawfulBasis: 'consent' });
    await publishAgreement(t, { purpose: 'notification', recipients: ['connector:notification'], categories: ['contact'] });
    const programId = randomUUID();
    await t.hub.db.query(`insert into program (id, code, name, status, created_by, updated_by) values ($1, $2, 'Cash transfer', 'active', 'test', 'test')`, [programId, PROGRAM]);
    for (let i = 0; i < 4; i++) {
      const h = (await t.post('/api/v1/households', aHousehold('AM-R1', {
        members: [{ relationship: 'SELF', person: aPerson({ given_name: `Head${i}`, phone: `+25470000100${i}`, identifiers: [{ type: 'UIN', value: uin() }] }) }],
      }))).body;
      households.push(h);
      await t.hub.db.query(`insert into household_eligibility (program_id, household_id, eligible, score, rank_key, cost) values ($1, $2, true, $3, $3, 100)`, [programId, h.id, 10 + i]);
      for (const m of h.members) await t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: m.person_id, channel: 'in_person' });
    }
    await configure(t, 'program-mis', { ...programMisSimulator.demoConfiguration(mis.url), pageSize: 2 });
    expect((await t.hub.connectors.runNow('program-mis', 'push', {})).status).toBe('succeeded');
    // the registrations' own notices are sent before the tests start, and then forgotten
    await t.hub.workflow.settle();
    await t.hub.connectors.settle();
    await t.hub.deliveries.drain();
  }, 180_000);
  afterAll(async () => {
    await Promise.all([mis?.stop(), gateway?.stop()]);
    await t?.stop();
    console.log(`external faults: ${figures.faults} faults injected (closed connections, cut-off JSON, 5xx), ${figures.runs} runs, ${figures.checked} records checked, applied twice: 0, lost: 0`);
  });

  const pull = () => t.hub.connectors.runNow('program-mis', 'pull', {});
  const enrolments = async () => (await (await fetch(`${mis.url}/control/enrolments`)).json()).items as { enrolment_id: string; household_ref: string }[];
  const setAll = async (status: string) => {
    for (const e of await enrolments()) await control(mis.url, { status }, `/control/enrolments/${e.enrolment_id}/status`);
  };
  const statusOf = async (householdId: string) => ((await t.get(`/api/v1/households/${householdId}/programs`)).body.items as { status: string }[])[0]?.status;
  const checkpoint = async () => (await t.hub.db.query<{ value: unknown }>("select value from connector_checkpoint where connector_id = 'program-mis' and name = $1", [`pull:${PROGRAM}`]))[0]?.value;
  const changesApplied = async (status: string) =>
    (await t.hub.db.query<{ n: number }>("select count(*)::int as n from outbox_event where topic = 'household.program_changed' and payload->>'status' = $1", [status]))[0].n;

  it('retries a closed connection and a 500 during a pull, and applies every change once', async () => {
    expect((await pull()).status).toBe('succeeded'); // the initial statuses
    const rounds: [string, Record<string, unknown>][] = [['enrolled', { failWith: 'reset' }], ['active', { failWith: 'status', status: 500 }]];
    for (const [status, fault] of rounds) {
      await control(mis.url, {}, '/control/reset');
      await setAll(status);
      // the first attempt fails; the retry gets the page
      await control(mis.url, { ...fault, failNext: 1 });
      figures.faults += 1;
      const run = await pull();
      figures.runs += 1;
      expect([status, run.status, run.counts['statuses.changed']]).toEqual([status, 'succeeded', households.length]);
      expect(run.counts['http.retries']).toBeGreaterThanOrEqual(1);
      for (const h of households) expect(await statusOf(h.id)).toBe(status);
      expect(await changesApplied(status)).toBe(households.length);
      figures.checked += households.length;
    }
    await control(mis.url, {}, '/control/reset');
  });

  it('fails a pull on a cut-off JSON answer without applying or moving the checkpoint, and the next pull applies it once', async () => {
    await setAll('suspended');
    const before = await checkpoint();
    await control(mis.url, { failWith: 'garbage', failNext: 1 });
    figures.faults += 1;
    const broken = await pull();
    figures.runs += 1;
    expect(broken.status).toBe('failed');
    expect(broken.error).toBeTruthy();
    expect(await checkpoint()).toEqual(before);
    expect(await changesApplied('suspended')).toBe(0);
    const next = await pull();
    figures.runs += 1;
    expect([next.status, next.counts['statuses.changed']]).toEqual(['succeeded', households.length]);
    const again = await pull();
    figures.runs += 1;
    expect(again.counts['statuses.changed'] ?? 0).toBe(0);
    expect(await changesApplied('suspended')).toBe(households.length);
    figures.checked += households.length;
  });

  it('opens the breaker when every connection is closed, calls nothing while open, and a probe closes it once the MIS answers', async () => {
    // a cool-down no busy machine outlasts between two pulls; the test ends it by moving the opening back in time
    await configure(t, 'program-mis', { ...programMisSimulator.demoConfiguration(mis.url), pageSize: 2 }, { ...FAST, breakerCooldownMs: 3_600_000 });
    await setAll('exited');
    await control(mis.url, { mode: 'outage', failWith: 'reset' });
    figures.faults += 1;
    const failed = await pull();
    figures.runs += 1;
    expect(failed.status).toBe('failed');
    expect((await t.get('/api/v1/connectors/program-mis/health')).body.breaker.state).toBe('open');
    const seen = await requestsSeen(mis.url);
    const blocked = await pull();
    figures.runs += 1;
    expect(blocked.error).toMatch(/circuit breaker/);
    expect(await requestsSeen(mis.url)).toBe(seen);
    await control(mis.url, { mode: 'normal', failWith: 'status' });
    await t.hub.db.query(`update connector_breaker set opened_at = now() - interval '2 hours' where connector_id = 'program-mis'`);
    const probe = await pull();
    figures.runs += 1;
    expect([probe.status, probe.counts['statuses.changed']]).toEqual(['succeeded', households.length]);
    expect((await t.get('/api/v1/connectors/program-mis/health')).body.breaker).toMatchObject({ state: 'closed', consecutive_failures: 0 });
    expect(await changesApplied('exited')).toBe(households.length);
    figures.checked += households.length;
  });

  it('delivers each notification once through a gateway that closes connections', async () => {
    await configure(t, 'notification', notificationSimulator.demoConfiguration(gateway.url));
    await fetch(`${gateway.url}/messages`, { method: 'DELETE' });
    await control(gateway.url, { failWith: 'reset', failNext: 3 });
    figures.faults += 3;
    const ctx = systemContext(t.hub.config, t.hub.db, t.hub.secrets, t.hub.log, SYSTEM_PRINCIPAL, { audit: t.hub.audit, keys: t.hub.keys });
    for (const [i, h] of households.entries()) {
      expect(await sendOneTimeCode(ctx, { personId: h.members[0].person_id, code: `90000${i}`, key: `external-faults-${i}` })).toMatchObject({ queued: true });
    }
    for (let i = 0; i < 50; i++) {
      await t.hub.deliveries.drain();
      const [{ n }] = await t.hub.db.query<{ n: number }>("select count(*)::int as n from delivery where kind = 'notification.message' and status <> 'delivered'");
      if (n === 0) break;
      await sleep(100);
    }
    const messages = ((await (await fetch(`${gateway.url}/messages`)).json()).items as { id: string; text: string }[]).filter((m) => /90000\d/.test(m.text));
    expect(messages).toHaveLength(households.length);
    expect(new Set(messages.map((m) => m.id)).size).toBe(households.length);
    expect(await requestsSeen(gateway.url)).toBeGreaterThanOrEqual(households.length + 3);
    figures.checked += messages.length;
  });
});
