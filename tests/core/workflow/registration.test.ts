// Registration cases: every path through the states, seen from the API (on one engine: docs/testing.md).
import { aPerson, uin } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import type { TestHub } from '../../helpers/test-hub.js';
import { aDistinctHousehold, caseAudit, caseTopics, idVerificationStandIn, someone, workflowHub } from './setup.js';

describe.each(apiEngines())('registration cases on %s', (db) => {
  let t: TestHub;
  let officer: Record<string, string>;
  let reviewer: Record<string, string>;
  beforeAll(async () => {
    t = await workflowHub({ db });
    officer = (await t.as(['registry_officer'], ['AM-R1'])).headers;
    reviewer = (await t.as(['registry_officer'])).headers;
  }, 180_000);
  afterAll(() => t.stop(), 60_000);
  afterEach(() => {
    t.hub.workflow.checks.remove('id-verification');
    t.hub.workflow.checks.remove('gis');
  });

  const submit = async (body: Record<string, unknown>, headers = officer) => {
    const res = await t.post('/api/v1/registrations', body, { headers });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('submitted');
    return res.body.id as string;
  };
  const settled = async (id: string, headers = reviewer) => {
    await t.hub.workflow.settle();
    const res = await t.get(`/api/v1/registrations/${id}`, { headers });
    expect(res.status).toBe(200);
    return res.body;
  };

  it('checks a submission, verifies it and registers the household (submitted -> verified -> registered)', async () => {
    const id = await submit({ household: aDistinctHousehold('AM-R1-D1', uin()), channel: 'in_person' });
    const c = await settled(id);
    expect(c).toMatchObject({ status: 'registered', channel: 'in_person', reasons: [], submitted_by: expect.stringMatching(/^user:/) });
    expect(c.checks.map((r: { check: string; outcome: string }) => [r.check, r.outcome])).toEqual([
      ['form-validation', 'skipped'],
      ['duplicates', 'passed'],
      ['self-registration', 'skipped'], // only online self-registrations wait for an officer
    ]);
    const household = await t.get(`/api/v1/households/${c.household_id}`, { headers: reviewer });
    expect(household.body).toMatchObject({ area_code: 'AM-R1-D1', size: 2, channel: 'in_person', created_by: c.submitted_by });
    expect(c.history.map((h: { action: string; to_status: string }) => `${h.action}:${h.to_status}`)).toEqual(['submit:submitted', 'checks:verified', 'register:registered']);
    expect(await caseTopics(t, id)).toEqual(['registration.submitted', 'registration.verified', 'registration.registered']);
    const audit = await caseAudit(t, id);
    expect(audit.filter((a) => a.action !== 'read').map((a) => [a.actor, a.action, a.details?.to ?? null])).toEqual([
      [c.submitted_by, 'create', null],
      ['workflow', 'update', 'verified'],
      ['workflow', 'update', 'registered'],
    ]);
  });

  it('rejects a case whose ID verification fails, and registers nothing', async () => {
    const check = idVerificationStandIn(() => ({ outcome: 'failed', reason: 'id_mismatch', details: { system: 'national-id' } }));
    t.hub.workflow.checks.add(check);
    const id = await submit({ household: aDistinctHousehold('AM-R1-D1', uin()) });
    const c = await settled(id);
    expect(check.asked).toEqual([id]);
    expect(c).toMatchObject({ status: 'rejected', reasons: ['id_mismatch'], household_id: null });
    expect(c.checks.at(-1)).toEqual({ check: 'id-verification', outcome: 'failed', reason: 'id_mismatch', details: { system: 'national-id' } });
    expect(await caseTopics(t, id)).toEqual(['registration.submitted', 'registration.rejected']);
    const head = c.data.household.members[0].person.identifiers[0].value;
    expect((await t.get(`/api/v1/persons?identifier_type=UIN&identifier_value=${head}`, { headers: reviewer })).body.items).toEqual([]);
  });

  it('sends an unconfirmed ID to review; an officer approves it with a comment and it registers', async () => {
    t.hub.workflow.checks.add(idVerificationStandIn(() => ({ outcome: 'needs_review', reason: 'id_not_found' })));
    const id = await submit({ household: aDistinctHousehold('AM-R1-D2', uin()) });
    expect(await settled(id)).toMatchObject({ status: 'needs_review', reasons: ['id_not_found'] });

    const queue = await t.get('/api/v1/reviews?reason=id_not_found', { headers: reviewer });
    expect(queue.body.items.map((c: { id: string }) => c.id)).toContain(id);
    expect((await t.get('/api/v1/reviews?reason=duplicate', { headers: reviewer })).body.items.map((c: { id: string }) => c.id)).not.toContain(id);

    const approved = await t.post(`/api/v1/reviews/${id}/approve`, { comment: 'Saw the birth certificate' }, { headers: reviewer });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'registered', decided_by: expect.stringMatching(/^user:/), household_id: expect.any(String) });
    const c = await settled(id);
    expect(c.history.find((h: { action: string }) => h.action === 'approve')).toMatchObject({ comment: 'Saw the birth certificate', to_status: 'verified' });
    expect(await caseTopics(t, id)).toEqual(['registration.submitted', 'registration.needs_review', 'registration.verified', 'registration.registered']);
    // decided: not in the queue, and a second decision is refused
    expect((await t.get('/api/v1/reviews', { headers: reviewer })).body.items.map((x: { id: string }) => x.id)).not.toContain(id);
    expect((await t.post(`/api/v1/reviews/${id}/reject`, { reasons: ['duplicate'] }, { headers: reviewer })).status).toBe(409);
  });

  it('an officer rejects a case under review with reasons and a comment, kept with the case', async () => {
    t.hub.workflow.checks.add(idVerificationStandIn(() => ({ outcome: 'needs_review', reason: 'id_not_found' })));
    const id = await submit({ household: aDistinctHousehold('AM-R1-D1', uin()) });
    await settled(id);
    const assigned = await t.post(`/api/v1/reviews/${id}/assign`, { assignee: 'user:reviewer-1' }, { headers: reviewer });
    expect(assigned.body).toMatchObject({ assigned_to: 'user:reviewer-1', status: 'needs_review' });
    expect((await t.get('/api/v1/reviews?assigned_to=user:reviewer-1', { headers: reviewer })).body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    const rejected = await t.post(`/api/v1/reviews/${id}/reject`, { reasons: ['fraudulent_document'], comment: 'The card number belongs to someone else' }, { headers: reviewer });
    expect(rejected.body).toMatchObject({ status: 'rejected', reasons: ['fraudulent_document'] });
    const c = await settled(id);
    expect(c.history.at(-1)).toMatchObject({ action: 'reject', reasons: ['fraudulent_document'], comment: 'The card number belongs to someone else' });
    expect(await caseTopics(t, id)).toEqual(['registration.submitted', 'registration.needs_review', 'registration.rejected']);
    // the comment is sealed at rest
    const [raw] = await t.hub.db.query<{ comment_sealed: string }>(`select comment_sealed from registration_case_event where case_id = $1 and action = 'reject'`, [id]);
    expect(raw.comment_sealed).not.toContain('belongs');
  });

  it('a check that throws or times out sends the case to review with the reason, never a silent pass', async () => {
    t.hub.workflow.checks.add({ ...idVerificationStandIn(() => Promise.reject(new Error('connection refused'))) });
    const thrown = await submit({ household: aDistinctHousehold('AM-R1-D1', uin()) });
    expect(await settled(thrown)).toMatchObject({ status: 'needs_review', reasons: ['check_error'] });

    t.hub.workflow.checks.add({ ...idVerificationStandIn(() => new Promise<never>(() => {})), timeoutMs: 100 });
    const hung = await submit({ household: aDistinctHousehold('AM-R1-D1', uin()) });
    const c = await settled(hung);
    expect(c).toMatchObject({ status: 'needs_review', reasons: ['check_timeout'] });
    expect(c.checks.find((r: { check: string }) => r.check === 'id-verification')).toMatchObject({ outcome: 'needs_review', reason: 'check_timeout' });
  });

  it('applies a check\'s patch (geocoding) to the case data before registering', async () => {
    t.hub.workflow.checks.add({
      name: 'gis',
      order: 20,
      run: async (_ctx, s) => ({ check: 'gis', outcome: 'passed', patch: { area_code: 'AM-R1-D2', location: { latitude: -1.3, longitude: 36.8 }, attributes: { geocoded: true } } }),
    });
    const id = await submit({ household: aDistinctHousehold('AM-R1-D1', uin(), { attributes: { rooms: 2 } }) });
    const c = await settled(id);
    expect(c).toMatchObject({ status: 'registered', area_code: 'AM-R1-D2' });
    expect(c.checks.find((r: { check: string }) => r.check === 'gis')).toEqual({ check: 'gis', outcome: 'passed', patched: ['area_code', 'location', 'attributes'] });
    const household = (await t.get(`/api/v1/households/${c.household_id}`, { headers: reviewer })).body;
    expect(household).toMatchObject({ area_code: 'AM-R1-D2', location: { latitude: -1.3, longitude: 36.8 }, attributes: { rooms: 2, geocoded: true } });
  });

  it('answers the same client_ref with the same case, writing nothing twice', async () => {
    const body = { household: aDistinctHousehold('AM-R1-D1', uin()), client_ref: `c-${uin()}`, device_id: 'tablet-7', captured_at: '2026-01-05T10:00:00Z', channel: 'mobile' };
    const id = await submit(body);
    const again = await t.post('/api/v1/registrations', body, { headers: officer });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(id);
    await t.hub.workflow.settle();
    const third = await t.post('/api/v1/registrations', body, { headers: officer });
    expect(third.body).toMatchObject({ id, status: 'registered', device_id: 'tablet-7', channel: 'mobile' });
    const [{ n }] = await t.hub.db.query<{ n: number }>('select count(*)::int as n from registration_case where client_ref = $1', [body.client_ref]);
    expect(n).toBe(1);
    // someone else's reuse of the reference learns nothing about the first case
    const other = await t.post('/api/v1/registrations', body, { headers: reviewer });
    expect(other.status).toBe(409);
  });

  it('checks again a case whose runner died mid-way (its claim ran out), registering it once', async () => {
    const { submitRegistration } = await import('../../../core/workflow/index.js');
    const { systemContext } = await import('../../../core/server/context.js');
    const h = t.hub;
    const ctx = systemContext(h.config, h.db, h.secrets, h.log, { id: 'user:field-1', kind: 'user', scopes: new Set(['registry.write']), areas: null }, h);
    // the case and a runner's claim of it commit together; the runner then "dies" (its 1 ms lease runs out)
    const { caseId } = await h.db.transaction(async (tx) => {
      const submitted = await submitRegistration(ctx, tx, { channel: 'mobile', household: aDistinctHousehold('AM-R1-D1', uin()) as never });
      await tx.query(`update registration_case set lease_until = now() + interval '1 millisecond', attempts = 1 where id = $1`, [submitted.caseId]);
      return submitted;
    });
    const c = await settled(caseId);
    expect(c).toMatchObject({ status: 'registered' });
    const [row] = await h.db.query<{ attempts: number }>('select attempts from registration_case where id = $1', [caseId]);
    expect(row.attempts).toBe(2);
    expect(c.history.filter((x: { action: string }) => x.action === 'register')).toHaveLength(1);
    expect(await caseTopics(t, caseId)).toEqual(['registration.submitted', 'registration.verified', 'registration.registered']);
  });

  it('refuses what can never be registered at once, naming the field, writing nothing', async () => {
    const before = await t.hub.db.query<{ n: number }>('select count(*)::int as n from registration_case');
    const noHead = await t.post('/api/v1/registrations', { household: aDistinctHousehold('AM-R1-D1', uin(), { members: [{ relationship: 'SON', person: someone() }] }) }, { headers: officer });
    expect(noHead.status).toBe(422);
    expect(noHead.body.errors).toEqual([expect.objectContaining({ field: 'body.household.members' })]);
    const otherArea = await t.post('/api/v1/registrations', { household: aDistinctHousehold('AM-R2-D1', uin()) }, { headers: officer });
    expect(otherArea.status).toBe(422);
    expect(otherArea.body.errors).toEqual([expect.objectContaining({ field: 'body.household.area_code' })]);
    const proxy = await t.post('/api/v1/registrations', { household: aDistinctHousehold('AM-R1-D1', uin()), proxy: { name: 'Grace', relationship: ' ' } }, { headers: officer });
    expect(proxy.status).toBe(422);
    expect(proxy.body.errors).toEqual([expect.objectContaining({ field: 'body.proxy.relationship' })]);
    const nowhere = await t.post('/api/v1/registrations', { household: aDistinctHousehold('AM-R1-D1', uin(), { address: undefined, location: undefined, attributes: { no_fixed_address: true } }) }, { headers: officer });
    expect(nowhere.status).toBe(422);
    expect(nowhere.body.errors).toEqual([expect.objectContaining({ field: 'body.household.attributes.location_description' })]);
    const missing = await t.post('/api/v1/registrations', { channel: 'mobile' }, { headers: officer });
    expect(missing.status).toBe(400);
    expect(await t.hub.db.query<{ n: number }>('select count(*)::int as n from registration_case')).toEqual(before);
  });

  it('keeps cases to the caller\'s areas', async () => {
    const id = await submit({ household: aDistinctHousehold('AM-R1-D1', uin()) }, reviewer);
    const elsewhere = await submit({ household: aDistinctHousehold('AM-R2-D1', uin()) }, reviewer);
    await t.hub.workflow.settle();
    const worker = (await t.as(['field_worker'], ['AM-R1'])).headers;
    expect((await t.get(`/api/v1/registrations/${id}`, { headers: worker })).status).toBe(200);
    expect((await t.get(`/api/v1/registrations/${elsewhere}`, { headers: worker })).status).toBe(404);
    const listed = (await t.get('/api/v1/registrations?limit=500', { headers: worker })).body.items.map((c: { area_code: string }) => c.area_code);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((a: string) => a.startsWith('AM-R1'))).toBe(true);
    const mine = (await t.get('/api/v1/registrations?mine=true', { headers: worker })).body.items;
    expect(mine).toEqual([]);
  });

  it('waits for an officer when verified cases do not register themselves', async () => {
    t.hub.config.workflow.autoRegister = false;
    try {
      const id = await submit({ household: aDistinctHousehold('AM-R1-D1', uin()) });
      const c = await settled(id);
      expect({ status: c.status, household_id: c.household_id, reasons: c.reasons }).toEqual({ status: 'verified', household_id: null, reasons: [] });
      expect((await t.get('/api/v1/reviews?status=verified', { headers: reviewer })).body.items.map((c: { id: string }) => c.id)).toContain(id);
      const approved = await t.post(`/api/v1/reviews/${id}/approve`, {}, { headers: reviewer });
      expect(approved.body).toMatchObject({ status: 'registered' });
      expect(await caseTopics(t, id)).toEqual(['registration.submitted', 'registration.verified', 'registration.registered']);
    } finally {
      t.hub.config.workflow.autoRegister = true;
    }
  });

  it('sends a case to review when the registry refuses it at registration (an identifier registered meanwhile)', async () => {
    const shared = uin();
    const household = (given: string) =>
      aDistinctHousehold('AM-R1-D1', uin(), { members: [{ relationship: 'SELF', person: aPerson({ given_name: given, family_name: `Fam${shared}`, identifiers: [{ type: 'UIN', value: shared }] }) }] });
    t.hub.workflow.checks.add({ name: 'id-verification', run: async () => ({ check: 'id-verification', outcome: 'passed' }) });
    // the duplicate check cannot see the first yet: both are submitted before either registers
    t.hub.workflow.checks.add({ name: 'duplicates', order: 50, run: async () => ({ check: 'duplicates', outcome: 'passed' }) });
    try {
      const first = await submit({ household: household('Alpha') });
      const second = await submit({ household: household('Beta') });
      const [a, b] = [await settled(first), await settled(second)];
      expect(a.status).toBe('registered');
      expect(b).toMatchObject({ status: 'needs_review', reasons: ['identifier_registered'] });
      expect(JSON.stringify(b.checks)).not.toContain(shared);
      // the officer's approval meets the same refusal: 409, and the case stays under review
      expect((await t.post(`/api/v1/reviews/${second}/approve`, {}, { headers: reviewer })).status).toBe(409);
      expect((await settled(second)).status).toBe('needs_review');
    } finally {
      const { duplicatesCheck } = await import('../../../core/workflow/builtin-checks.js');
      t.hub.workflow.checks.add(duplicatesCheck);
    }
  });
});
