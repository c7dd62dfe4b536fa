// The program management connector end to end: eligible households (core/programs listEligible) pushed to the
// simulated MIS over HTTP with only consented data, enrolment statuses pulled back into household_program with a
// checkpoint, through outages, slow answers and retried runs.
import { randomUUID } from 'node:crypto';
import { programMisSimulator } from '../../../connectors/program-mis/simulator.js';
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { configure, control, FAST, publishAgreement, requestsSeen, sleep } from '../national-id/helpers.js';

const PROGRAM = 'cash-transfer';

describe.each(apiEngines())('program MIS connector on %s', (db) => {
  let t: TestHub;
  let sim: { url: string; stop(): Promise<void> };
  let programId: string;
  let agreementId: string;
  const households: any[] = [];

  beforeAll(async () => {
    t = await startTestHub({ db });
    sim = await programMisSimulator.start({ port: 0 });
    await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' });
    agreementId = await publishAgreement(t, { purpose: 'program_enrolment', recipients: [PROGRAM], categories: ['name', 'demographics', 'area', 'household'], lawfulBasis: 'consent' });
    // the program and its eligibility as core/programs keeps them (fixtures: the assessment itself is P7's to test)
    programId = randomUUID();
    await t.hub.db.query(`insert into program (id, code, name, status, created_by, updated_by) values ($1, $2, 'Cash transfer', 'active', 'test', 'test')`, [programId, PROGRAM]);
    for (let i = 0; i < 5; i++) {
      const h = (await t.post('/api/v1/households', aHousehold('AM-R1', {
        members: [
          { relationship: 'SELF', person: aPerson({ given_name: `Head${i}`, phone: '+254700000001', identifiers: [{ type: 'UIN', value: uin() }] }) },
          { relationship: 'SON', person: aPerson({ given_name: `Child${i}`, sex: 'male', birth_date: '2014-02-02' }) },
        ],
      }))).body;
      households.push(h);
      await t.hub.db.query(`insert into household_eligibility (program_id, household_id, eligible, score, rank_key, cost) values ($1, $2, true, $3, $3, 100)
        on conflict (program_id, household_id) do update set eligible = true, score = $3, rank_key = $3`, [programId, h.id, 10 + i]);
      // household 4's members gave no consent: nothing of theirs may leave
      if (i < 4) for (const m of h.members) await t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: m.person_id, channel: 'in_person' });
    }
  }, 180_000);
  afterAll(async () => {
    await sim.stop();
    await t.stop();
  });
  beforeEach(async () => {
    await control(sim.url, {}, '/control/reset');
    await configure(t, 'program-mis', { ...programMisSimulator.demoConfiguration(sim.url), pageSize: 2 });
  });

  const enrolled = async () => (await (await fetch(`${sim.url}/control/enrolments`)).json()).items as any[];
  const programsOf = async (id: string) => (await t.get(`/api/v1/households/${id}/programs`)).body.items as any[];
  const run = (job: string) => t.hub.connectors.runNow('program-mis', job, {});
  const setStatus = (enrolmentId: string, status: string) => control(sim.url, { status }, `/control/enrolments/${enrolmentId}/status`);

  it('pushes the consenting eligible households with only consented fields, and records their enrolment', async () => {
    const first = await run('push');
    expect(first.status).toBe('succeeded');
    expect(first.counts).toMatchObject({ 'households.enrolled': 4, 'households.no_consent': 1 });
    const sent = await enrolled();
    expect(sent.map((e) => e.household_ref).sort()).toEqual(households.slice(0, 4).map((h) => h.id).sort());
    const member = sent[0].received.members[0];
    expect(member).toHaveProperty('given_name');
    expect(member).toHaveProperty('birth_date');
    // identifiers and contact are not in the agreement: the UIN and phone never leave
    expect(member).not.toHaveProperty('identifiers');
    expect(member).not.toHaveProperty('phone');
    expect(sent[0].received.household).toHaveProperty('area_code');
    expect(sent[0].received.household).not.toHaveProperty('address');
    expect(JSON.stringify(sent)).not.toContain('254700000001');

    const [participation] = await programsOf(households[0].id);
    expect(participation).toMatchObject({ program_code: PROGRAM, status: 'pending', source: 'program-mis', external_enrolment_id: expect.stringMatching(/^ENR-/) });
    expect(await programsOf(households[4].id)).toEqual([]);

    // a second push finds them enrolled: nothing is sent again
    const seen = await requestsSeen(sim.url);
    const second = await run('push');
    expect(second.counts).toMatchObject({ 'households.already_enrolled': 4 });
    expect(await requestsSeen(sim.url)).toBe(seen);
    expect(await enrolled()).toHaveLength(4);
  });

  it('pulls status changes page by page, resumes after the last page applied when the MIS fails midway, and applies each once', async () => {
    const sent = await enrolled();
    expect(sent.length).toBe(4);
    await run('pull'); // takes the initial 'pending' statuses
    for (const e of sent) await setStatus(e.enrolment_id, 'enrolled');
    await setStatus(sent[0].enrolment_id, 'active');
    // 4 enrolments changed after the checkpoint, 2 per page: the MIS answers the first page, then goes down
    await control(sim.url, { outageAfter: 1 });
    const broken = await run('pull');
    expect(broken.status).not.toBe('succeeded');
    const [checkpoint] = await t.hub.db.query<{ value: any }>("select value from connector_checkpoint where connector_id = 'program-mis' and name = $1", [`pull:${PROGRAM}`]);
    expect(checkpoint).toBeDefined();
    const appliedBefore = (await Promise.all(sent.map(async (e) => (await programsOf(e.household_ref))[0].status)));
    expect(appliedBefore.filter((s) => s === 'enrolled')).toHaveLength(2);

    await control(sim.url, { mode: 'normal' });
    await sleep(FAST.breakerCooldownMs! + 50);
    const resumed = await run('pull');
    expect(resumed.status).toBe('succeeded');
    // the resumed pull asked from the checkpoint on and applied only what was left
    expect(resumed.counts['statuses.changed']).toBe(2);
    const asked = (await (await fetch(`${sim.url}/control/queries`)).json()).items.at(-1);
    expect(asked.updated_since).toBe(checkpoint.value.updated_at);
    const statuses = await Promise.all(sent.map(async (e) => [e.household_ref, (await programsOf(e.household_ref))[0].status]));
    expect(Object.fromEntries(statuses)).toEqual(Object.fromEntries(sent.map((e, i) => [e.household_ref, i === 0 ? 'active' : 'enrolled'])));

    const again = await run('pull');
    expect(again.counts['statuses.changed'] ?? 0).toBe(0);
    const [{ n }] = await t.hub.db.query<{ n: number }>("select count(*)::int as n from outbox_event where topic = 'household.program_changed' and payload->>'status' = 'active'");
    expect(n).toBe(1);
  });

  it('opens the breaker in an outage and closes it after a probe once the MIS is back', async () => {
    await control(sim.url, { mode: 'outage' });
    expect((await run('pull')).status).not.toBe('succeeded');
    const seen = await requestsSeen(sim.url);
    const blocked = await run('pull');
    expect(blocked.error).toMatch(/circuit breaker/);
    expect(await requestsSeen(sim.url)).toBe(seen);
    await control(sim.url, { mode: 'normal' });
    await sleep(FAST.breakerCooldownMs! + 50);
    expect((await run('pull')).status).toBe('succeeded');
    const [breaker] = await t.hub.db.query<{ state: string }>("select state from connector_breaker where connector_id = 'program-mis'");
    expect(breaker.state).toBe('closed');
  });

  it('times out a slow MIS and enrols nobody twice when the push runs again', async () => {
    await t.hub.db.query("delete from household_program where household_id = $1", [households[3].id]);
    await configure(t, 'program-mis', { ...programMisSimulator.demoConfiguration(sim.url), pageSize: 2 }, { ...FAST, httpTimeoutMs: 200, retries: 0, breakerFailures: 50 });
    await control(sim.url, { mode: 'slow', delayMs: 600 });
    const slow = await run('push');
    expect(slow.counts.failed).toBe(1); // household 3's answer came too late (the MIS still took it)
    await sleep(700);
    await control(sim.url, { mode: 'normal' });
    const retried = await run('push');
    expect(retried.counts).toMatchObject({ 'households.already_at_mis': 1 });
    expect((await enrolled()).filter((e) => e.household_ref === households[3].id)).toHaveLength(1);
    expect((await programsOf(households[3].id))[0].external_enrolment_id).toMatch(/^ENR-/);
  });
});
