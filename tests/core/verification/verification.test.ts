// Verification records and program participation: stored once per piece of work, attached when a case registers,
// read through the API area-scoped and audited, never with more than names and codes in their details.
import { randomUUID } from 'node:crypto';
import { householdPrograms, recordParticipation } from '../../../core/participation/index.js';
import { systemContext, type Ctx } from '../../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../../core/server/principal.js';
import { attachCaseVerifications, caseVerifications, latestVerificationStatus, recordVerification } from '../../../core/verification/index.js';
import { aHousehold } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

describe.each(apiEngines())('verification records on %s', (db) => {
  let t: TestHub;
  let ctx: Ctx;
  let admin: Record<string, string>;
  let household: any;
  let far: any;

  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_AUTH: 'on' } });
    admin = (await t.as(['administrator'])).headers;
    const { hub } = t;
    ctx = systemContext(hub.config, hub.db, hub.secrets, hub.log, SYSTEM_PRINCIPAL, { audit: hub.audit, keys: hub.keys });
    await createAreasAs(t, admin);
    household = (await t.post('/api/v1/households', aHousehold('AM-R1-D1'), { headers: admin })).body;
    far = (await t.post('/api/v1/households', aHousehold('AM-R2-D1'), { headers: admin })).body;
  }, 180_000);
  afterAll(() => t.stop());

  const personOf = (h: any, i = 0): string => h.members[i].person_id;

  it('lists a person\'s records newest first, pages them, and records the read in the audit log', async () => {
    const person = personOf(household);
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    await recordVerification(t.hub.db, { personId: person, method: 'demographic_auth', system: 'national-id/mosip-ida', result: 'mismatch', details: { id_type: 'UIN', matched: ['given_name'], mismatched: ['birth_date'] }, verifiedAt: at(1) });
    await recordVerification(t.hub.db, { personId: person, method: 'dci_search', system: 'national-id/dci', result: 'match', details: { id_type: 'UIN', reference: 'txn-1' }, verifiedAt: at(2) });
    await recordVerification(t.hub.db, { personId: person, method: 'demographic_auth', system: 'national-id/mosip-ida', result: 'error', details: { error: 'timeout' }, verifiedAt: at(3) });

    const first = await t.get(`/api/v1/persons/${person}/verifications?limit=2`, { headers: admin });
    expect(first.status).toBe(200);
    expect(first.body.items.map((v: any) => v.result)).toEqual(['error', 'match']);
    expect(first.body.items[1]).toMatchObject({ method: 'dci_search', system: 'national-id/dci', details: { id_type: 'UIN', reference: 'txn-1' } });
    const second = await t.get(`/api/v1/persons/${person}/verifications?limit=2&cursor=${first.body.next_cursor}`, { headers: admin });
    expect(second.body.items.map((v: any) => v.result)).toEqual(['mismatch']);
    expect(second.body.next_cursor).toBeNull();

    await t.hub.audit.flush();
    const audit = await t.hub.db.query<{ fields: string[] }>(
      "select fields from audit_log where entity = 'person' and entity_id = $1 and action = 'read' and outcome = 'success'", [person]);
    expect(audit.some((a) => a.fields?.includes('verifications'))).toBe(true);
  });

  it('takes the newest conclusive record as the status: an outage after a match leaves the person verified', async () => {
    const person = personOf(household);
    const status = await latestVerificationStatus(t.hub.db, [person, personOf(household, 2)]);
    expect(status.get(person)).toMatchObject({ result: 'match', method: 'dci_search' });
    expect(status.has(personOf(household, 2))).toBe(false);
  });

  it('answers 404 outside the caller\'s areas and for unknown people, and refuses a bad cursor naming the field', async () => {
    const local = (await t.as(['registry_officer'], ['AM-R1'])).headers;
    expect((await t.get(`/api/v1/persons/${personOf(household)}/verifications`, { headers: local })).status).toBe(200);
    expect((await t.get(`/api/v1/persons/${personOf(far)}/verifications`, { headers: local })).status).toBe(404);
    expect((await t.get(`/api/v1/persons/${randomUUID()}/verifications`, { headers: admin })).status).toBe(404);
    const bad = await t.get(`/api/v1/persons/${personOf(household)}/verifications?cursor=abc`, { headers: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('query.cursor');
  });

  it('stores the same piece of work once, and refuses details that could carry values', async () => {
    const person = personOf(household, 1);
    const input = { personId: person, method: 'demographic_auth', system: 'national-id/mosip-ida', result: 'match' as const, dedupeKey: `run-1:${person}` };
    const a = await recordVerification(t.hub.db, input);
    const b = await recordVerification(t.hub.db, input);
    expect([a.created, b.created]).toEqual([true, false]);
    expect(b.verification.id).toBe(a.verification.id);
    await expect(recordVerification(t.hub.db, { ...input, dedupeKey: undefined, details: { name: 'Amina' } as any })).rejects.toThrow('details.name');
    await expect(recordVerification(t.hub.db, { ...input, dedupeKey: undefined, details: { matched: ['Amina Okello 1985'] } })).rejects.toThrow('codes or field names');
    await expect(recordVerification(t.hub.db, { method: 'otp', system: 's', result: 'match' })).rejects.toThrow('personId');
    const count = await t.hub.db.query<{ n: number }>('select count(*)::int as n from person_verification where person_id = $1', [person]);
    expect(count[0].n).toBe(1);
  });

  it('attaches the records made during a case to the people the case registered', async () => {
    const caseId = randomUUID();
    await recordVerification(t.hub.db, { caseId, memberIndex: 0, method: 'demographic_auth', system: 'national-id/mosip-ida', result: 'match' });
    await recordVerification(t.hub.db, { caseId, memberIndex: 1, method: 'demographic_auth', system: 'national-id/mosip-ida', result: 'not_found' });
    const target = (await t.post('/api/v1/households', aHousehold('AM-R1-D2'), { headers: admin })).body;
    const attached = await t.hub.db.transaction((tx) =>
      attachCaseVerifications(tx, caseId, new Map([[0, personOf(target, 0)], [1, personOf(target, 1)]])));
    expect(attached).toBe(2);
    const records = await caseVerifications(t.hub.db, caseId);
    expect(records.map((r) => [r.member_index, r.person_id, r.result])).toEqual([[0, personOf(target, 0), 'match'], [1, personOf(target, 1), 'not_found']]);
    const listed = await t.get(`/api/v1/persons/${personOf(target, 1)}/verifications`, { headers: admin });
    expect(listed.body.items.map((v: any) => v.case_id)).toEqual([caseId]);
  });

  describe('program participation', () => {
    it('records a status once, ignores older reports, announces changes and shows them on the household', async () => {
      const id = household.id;
      const write = (status: any, at: string, enrolment = 'E-1') => t.hub.db.transaction((tx) =>
        recordParticipation(ctx, tx, { householdId: id, programCode: 'CT-OVC', externalEnrolmentId: enrolment, status, statusChangedAt: new Date(at), source: 'program-mis' }));
      expect((await write('enrolled', '2026-01-02T00:00:00Z')).outcome).toBe('created');
      expect((await write('enrolled', '2026-01-02T00:00:00Z')).outcome).toBe('unchanged');
      expect((await write('active', '2026-01-05T00:00:00Z')).outcome).toBe('changed');
      expect((await write('submitted', '2026-01-01T00:00:00Z')).outcome).toBe('stale');
      expect((await householdPrograms(t.hub.db, id)).map((p) => [p.program_code, p.status])).toEqual([['CT-OVC', 'active']]);

      const events = await t.hub.db.query<{ payload: any }>("select payload from outbox_event where topic = 'household.program_changed' and aggregate_id = $1 order by id", [id]);
      expect(events.map((e) => [e.payload.status, e.payload.previous_status])).toEqual([['enrolled', null], ['active', 'enrolled']]);

      const res = await t.get(`/api/v1/households/${id}/programs`, { headers: admin });
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([expect.objectContaining({ program_code: 'CT-OVC', status: 'active', external_enrolment_id: 'E-1', source: 'program-mis' })]);
      const local = (await t.as(['registry_officer'], ['AM-R2'])).headers;
      expect((await t.get(`/api/v1/households/${id}/programs`, { headers: local })).status).toBe(404);
    });

    it('refuses an unknown status and changes nothing', async () => {
      await expect(t.hub.db.transaction((tx) => recordParticipation(ctx, tx, { householdId: far.id, programCode: 'CT-OVC', status: 'won' as any, source: 'x' }))).rejects.toThrow('status');
      expect(await householdPrograms(t.hub.db, far.id)).toEqual([]);
    });
  });
});

async function createAreasAs(t: TestHub, headers: Record<string, string>): Promise<void> {
  for (const region of ['AM-R1', 'AM-R2']) {
    await t.post('/api/v1/admin-areas', { code: region, name: region }, { headers });
    for (const d of ['D1', 'D2']) await t.post('/api/v1/admin-areas', { code: `${region}-${d}`, name: d, parent_code: region }, { headers });
  }
}
