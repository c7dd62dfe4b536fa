// The national ID connector end to end: the hub's runner, the connector's verify job and the simulated ID system
// over HTTP (MOSIP-style authentication with an encrypted request, and a DCI search), with faults on demand.
import { randomUUID } from 'node:crypto';
import { nationalIdSimulator } from '../../../connectors/national-id/simulator.js';
import { districtsOf } from '../../../core/seed/country.js';
import { generateHouseholds } from '../../../core/seed/households.js';
import { DEMO_SEED } from '../../../core/seed/seed.js';
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { configure, control, FAST, publishAgreement, requestsSeen, sleep } from './helpers.js';

describe.each(apiEngines())('national ID connector on %s', (db) => {
  let t: TestHub;
  let sim: { url: string; stop(): Promise<void> };
  let mosip: Record<string, unknown>;

  beforeAll(async () => {
    t = await startTestHub({ db });
    sim = await nationalIdSimulator.start({ port: 0, empty: true });
    mosip = nationalIdSimulator.demoConfiguration(sim.url);
    await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' });
    await t.post('/api/v1/admin-areas', { code: 'AM-R1-D1', name: 'D1', parent_code: 'AM-R1' });
    await publishAgreement(t, { purpose: 'identity_verification', recipients: ['connector:national-id'], categories: ['identifiers', 'name', 'demographics'] });
  }, 180_000);
  afterAll(async () => {
    await sim.stop();
    await t.stop();
  });
  beforeEach(async () => {
    // each test starts with no run of an earlier one pending and the breaker closed
    await t.hub.connectors.settle();
    await t.hub.db.query("delete from connector_breaker where connector_id = 'national-id'");
    await control(sim.url, {}, '/control/reset');
    await configure(t, 'national-id', mosip);
  });

  /** Registers one person with this UIN (and the rest as given); the simulator knows them as `known` says. */
  async function personWith(fields: Record<string, unknown>, known?: Record<string, unknown> | null): Promise<{ id: string; uin: string }> {
    const number = uin();
    const person = aPerson({ ...fields, identifiers: [{ type: 'UIN', value: number }] });
    if (known !== null) await control(sim.url, { uin: number, given_name: person.given_name, family_name: person.family_name, birth_date: person.birth_date, sex: person.sex, ...known }, '/control/identities');
    const household = (await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person }] }))).body;
    // the registration's own verification (person.registered) is done before the test's run, so the test's is the newest
    await t.hub.connectors.settle();
    return { id: household.members[0].person_id, uin: number };
  }
  const records = async (personId: string) => (await t.get(`/api/v1/persons/${personId}/verifications`)).body.items as any[];
  const verify = (personIds: string[]) => t.hub.connectors.runNow('national-id', 'verify', { personIds });

  it('verifies people whose ID, name and birth date match, and says which fields did not for those who differ', async () => {
    const same = await personWith({ given_name: 'Wanjiru', family_name: 'Kamau', birth_date: '1990-02-03' }, {});
    const otherBirth = await personWith({ given_name: 'Baraka', family_name: 'Otieno', birth_date: '1979-11-30' }, { birth_date: '1979-11-03' });
    const otherName = await personWith({ given_name: 'Neema', family_name: 'Achieng', birth_date: '2001-05-05' }, { given_name: 'Naomi' });
    const unknown = await personWith({ given_name: 'Juma', family_name: 'Hassan', birth_date: '1995-07-07' }, null);

    const run = await verify([same.id, otherBirth.id, otherName.id, unknown.id]);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ 'verifications.match': 1, 'verifications.mismatch': 2, 'verifications.not_found': 1 });

    const [match] = await records(same.id);
    expect(match).toMatchObject({ method: 'demographic_auth', system: 'national-id/mosip-ida', result: 'match', details: { id_type: 'UIN', matched: ['name', 'birth_date', 'sex'], run_id: run.id } });
    expect(match.details.reference).toMatch(/^\d{10}$/);
    expect((await records(otherBirth.id))[0]).toMatchObject({ result: 'mismatch', details: { matched: ['name', 'sex'], mismatched: ['birth_date'] } });
    expect((await records(otherName.id))[0]).toMatchObject({ result: 'mismatch', details: { mismatched: ['name'] } });
    expect((await records(unknown.id))[0]).toMatchObject({ result: 'not_found' });
    // the record names fields, never the values compared
    const stored = JSON.stringify(await records(otherBirth.id));
    for (const value of ['1979', 'Baraka', 'Otieno', otherBirth.uin]) expect(stored).not.toContain(value);
  });

  it('does the same through a DCI ID registry search when configured so', async () => {
    await configure(t, 'national-id', { protocol: 'dci', baseUrl: sim.url, dciToken: mosip.dciToken, signDciMessages: true });
    const same = await personWith({ given_name: 'Amani', family_name: 'Mwangi', birth_date: '1988-08-08' }, {});
    const differs = await personWith({ given_name: 'Zuri', family_name: 'Njeri', birth_date: '1970-01-01' }, { family_name: 'Wairimu' });
    const unknown = await personWith({ given_name: 'Imani', family_name: 'Odhiambo', birth_date: '1999-09-09' }, null);
    const run = await verify([same.id, differs.id, unknown.id]);
    expect(run.status).toBe('succeeded');
    expect((await records(same.id))[0]).toMatchObject({ method: 'dci_search', system: 'national-id/dci', result: 'match' });
    expect((await records(differs.id))[0]).toMatchObject({ result: 'mismatch', details: { mismatched: ['name'], matched: ['birth_date', 'sex'] } });
    expect((await records(unknown.id))[0]).toMatchObject({ result: 'not_found' });
  });

  it('verifies the demo seed\'s people as generated (the simulator derives its identities from the seed)', async () => {
    const demoSim = await nationalIdSimulator.start({ port: 0 });
    try {
      await configure(t, 'national-id', nationalIdSimulator.demoConfiguration(demoSim.url));
      const [household] = [...generateHouseholds({ seed: DEMO_SEED, count: 1, areas: districtsOf() })];
      const withUin = household.members.filter((m) => m.person?.identifiers?.some((i) => i.type === 'UIN'));
      expect(withUin.length).toBeGreaterThan(0);
      const created = (await t.post('/api/v1/households', { ...household, area_code: 'AM-R1-D1' })).body;
      const ids = household.members.map((m, i) => (withUin.includes(m) ? created.members[i].person_id : null)).filter(Boolean) as string[];
      const run = await verify(ids);
      expect(run.counts['verifications.match']).toBe(ids.length);
    } finally {
      await t.hub.connectors.settle(); // the registration's own event runs, against this simulator
      await demoSim.stop();
    }
  });

  it('sends nothing for people no agreement or consent covers', async () => {
    await configure(t, 'national-id', { ...mosip, purpose: 'no_such_purpose' });
    const person = await personWith({ given_name: 'Halima', family_name: 'Ali', birth_date: '1992-03-04' }, {});
    const before = await requestsSeen(sim.url);
    const run = await verify([person.id]);
    expect(run.counts).toMatchObject({ 'verifications.refused': 1, 'disclosure.refused': 1 });
    expect(await requestsSeen(sim.url)).toBe(before);
    expect(await records(person.id)).toEqual([]);
  });

  it('records an outage as an error, opens the breaker, and closes it after a probe once the system is back', async () => {
    await configure(t, 'national-id', mosip, { ...FAST, breakerCooldownMs: 2000 });
    const person = await personWith({ given_name: 'Said', family_name: 'Omar', birth_date: '1985-12-12' }, {});
    await t.hub.connectors.settle(); // the registration's own verification done first
    await control(sim.url, { mode: 'outage' });
    const failed = await verify([person.id]);
    expect(failed.status).not.toBe('succeeded');
    expect(failed.counts.failed).toBe(1);
    expect((await records(person.id))[0]).toMatchObject({ result: 'error', details: { error: 'http_503' } });

    // open: the next run fails at once, nothing reaches the ID system
    const seen = await requestsSeen(sim.url);
    await verify([person.id]);
    expect(await requestsSeen(sim.url)).toBe(seen);
    expect((await records(person.id))[0].details.error).toBe('breaker_open');

    await control(sim.url, { mode: 'normal' });
    await sleep(2100);
    const rerun = await t.hub.connectors.rerun('national-id', failed.id, 'test');
    await t.hub.connectors.settle();
    const after = (await t.get(`/api/v1/connectors/national-id/runs/${rerun.id}`)).body;
    expect(after.status).toBe('succeeded');
    expect((await records(person.id))[0].result).toBe('match');
    const [breaker] = await t.hub.db.query<{ state: string }>("select state from connector_breaker where connector_id = 'national-id'");
    expect(breaker.state).toBe('closed');
  });

  it('gives up on a slow answer at the configured timeout and records it as such', async () => {
    await configure(t, 'national-id', { ...mosip, requestTimeoutMs: 150 }, { ...FAST, retries: 0, breakerFailures: 50 });
    const person = await personWith({ given_name: 'Rehema', family_name: 'Mutua', birth_date: '1983-06-06' }, {});
    await control(sim.url, { mode: 'slow', delayMs: 1500 });
    const run = await verify([person.id]);
    expect(run.counts.failed).toBe(1);
    expect((await records(person.id))[0]).toMatchObject({ result: 'error', details: { error: 'timeout' } });
    await control(sim.url, { mode: 'normal' });
  });

  it('checks a registration case\'s members as a workflow check, once per member data, and the records follow the people', async () => {
    const number = uin();
    await control(sim.url, { uin: number, given_name: 'Asha', family_name: 'Wekesa', birth_date: '1991-01-15', sex: 'female' }, '/control/identities');
    const caseId = randomUUID();
    const household = aHousehold('AM-R1-D1', {
      members: [
        { relationship: 'SELF', person: aPerson({ given_name: 'Asha', family_name: 'Wekesa', birth_date: '1991-01-15', identifiers: [{ type: 'UIN', value: number }] }) },
        { relationship: 'SON', person: aPerson({ given_name: 'Tumaini', family_name: 'Wekesa', sex: 'male', birth_date: '2016-04-01' }) },
      ],
    });
    const first = await t.hub.connectors.runNow('national-id', 'verify', { caseId, household }, { trigger: 'check' });
    expect(first.result).toMatchObject({ check: 'id-verification', outcome: 'passed', details: { members: [{ member_index: 0, result: 'match' }] } });

    // the check run again on the same data (a retried check) asks nothing and records nothing new
    const seen = await requestsSeen(sim.url);
    const again = await t.hub.connectors.runNow('national-id', 'verify', { caseId, household }, { trigger: 'check' });
    expect(again.result).toMatchObject({ outcome: 'passed' });
    expect(await requestsSeen(sim.url)).toBe(seen);
    const [{ n }] = await t.hub.db.query<{ n: number }>('select count(*)::int as n from person_verification where case_id = $1', [caseId]);
    expect(n).toBe(1);

    const wrong = structuredClone(household);
    wrong.members[0].person.birth_date = '1991-01-16';
    const failed = await t.hub.connectors.runNow('national-id', 'verify', { caseId: randomUUID(), household: wrong }, { trigger: 'check' });
    expect(failed.result).toMatchObject({ outcome: 'failed', reason: 'id_mismatch', details: { members: [{ member_index: 0, result: 'mismatch', mismatched: ['birth_date'] }] } });

    const noIds = await t.hub.connectors.runNow('national-id', 'verify', { caseId: randomUUID(), household: { ...household, members: [household.members[1]] } }, { trigger: 'check' });
    expect(noIds.result).toMatchObject({ outcome: 'skipped', reason: 'no_national_id' });
  });

  it('verifies people when they are registered and when their identifiers change', async () => {
    const number = uin();
    await control(sim.url, { uin: number, given_name: 'Pendo', family_name: 'Kiprono', birth_date: '1987-10-10', sex: 'female' }, '/control/identities');
    const person = (await t.post('/api/v1/persons', aPerson({ given_name: 'Pendo', family_name: 'Kiprono', birth_date: '1987-10-10', identifiers: [{ type: 'UIN', value: number }] }))).body;
    await t.hub.connectors.settle();
    expect((await records(person.id)).map((r) => r.result)).toEqual(['match']);

    // a change of address does not call the ID system; a change of identifier does
    const seen = await requestsSeen(sim.url);
    const patched = await t.patch(`/api/v1/persons/${person.id}`, { email: 'pendo@example.org' }, { ifMatch: person.version });
    expect(patched.status).toBe(200);
    await t.hub.connectors.settle();
    expect(await requestsSeen(sim.url)).toBe(seen);
    const changed = await t.patch(`/api/v1/persons/${person.id}`, { identifiers: [{ type: 'UIN', value: uin() }] }, { ifMatch: patched.body.version });
    expect(changed.status).toBe(200);
    await t.hub.connectors.settle();
    expect((await records(person.id)).map((r) => r.result)).toEqual(['not_found', 'match']);
  });
});
