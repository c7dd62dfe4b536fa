// Change requests: auto-approved by rule and applied, reviewed and approved or rejected, stale bases merged or held
// as conflicts (never a silent overwrite), and the events each raises.
import { uin } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import type { TestHub } from '../../helpers/test-hub.js';
import { aDistinctHousehold, caseTopics, someone, workflowHub } from './setup.js';

describe.each(apiEngines())('change requests on %s', (db) => {
  let t: TestHub;
  let officer: Record<string, string>;
  let reviewer: Record<string, string>;
  beforeAll(async () => {
    t = await workflowHub({ db });
    officer = (await t.as(['registry_officer'], ['AM-R1'])).headers;
    reviewer = (await t.as(['registry_officer'])).headers;
  }, 180_000);
  afterAll(() => t.stop(), 60_000);

  const registered = async () => {
    const res = await t.post('/api/v1/households', aDistinctHousehold('AM-R1-D1', uin()), { headers: officer });
    expect(res.status).toBe(201);
    await t.hub.workflow.settle();
    return res.body;
  };
  const change = async (body: Record<string, unknown>, headers = officer) => {
    const res = await t.post('/api/v1/change-requests', body, { headers });
    expect(res.status).toBe(202);
    await t.hub.workflow.settle();
    return (await t.get(`/api/v1/change-requests/${res.body.id}`, { headers: reviewer })).body;
  };

  it('applies a phone change by an officer in person at once (rule staff_contact_update)', async () => {
    const h = await registered();
    const person = h.members[1];
    const c = await change({ household_id: h.id, kind: 'update_person', person_id: person.person_id, changes: { phone: '+254711000111' }, channel: 'in_person' });
    expect(c).toMatchObject({ status: 'applied', reasons: ['rule:staff_contact_update'], base_version: 1 });
    const after = (await t.get(`/api/v1/persons/${person.person_id}`, { headers: reviewer })).body;
    expect(after).toMatchObject({ phone: '+254711000111', version: 2 });
    expect(await caseTopics(t, c.id)).toEqual(['change.submitted', 'change.approved', 'change.applied']);
  });

  it('holds a new member from the civil registry for review; the officer approves and it applies', async () => {
    const h = await registered();
    const baby = someone({ birth_date: '2025-12-01' });
    const c = await change({ household_id: h.id, kind: 'add_member', changes: { relationship: 'SON', person: baby }, channel: 'connector', source: 'civil_registry', base_version: h.version });
    expect(c).toMatchObject({ status: 'needs_review', reasons: ['rule:civil_registry_review'] });
    expect((await t.get(`/api/v1/households/${h.id}`, { headers: reviewer })).body.size).toBe(2);

    const queue = await t.get('/api/v1/reviews?kind=change', { headers: reviewer });
    expect(queue.body.items.map((x: { id: string }) => x.id)).toContain(c.id);
    const approved = await t.post(`/api/v1/reviews/${c.id}/approve`, { comment: 'Birth certificate seen' }, { headers: reviewer });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('applied');
    const after = (await t.get(`/api/v1/households/${h.id}`, { headers: reviewer })).body;
    expect(after.size).toBe(3);
    expect(after.members.map((m: { person: { given_name: string } }) => m.person.given_name)).toContain(baby.given_name);
    expect(await caseTopics(t, c.id)).toEqual(['change.submitted', 'change.needs_review', 'change.approved', 'change.applied']);
  });

  it('an officer rejects a change with reasons; nothing changes', async () => {
    const h = await registered();
    const c = await change({ household_id: h.id, kind: 'update_household', changes: { address: 'Somewhere else' }, channel: 'online', source: 'beneficiary_portal' });
    expect(c).toMatchObject({ status: 'needs_review', reasons: ['review_required'] });
    const rejected = await t.post(`/api/v1/reviews/${c.id}/reject`, { reasons: ['not_verified'], comment: 'Could not confirm the move' }, { headers: reviewer });
    expect(rejected.body).toMatchObject({ status: 'rejected', reasons: ['not_verified'] });
    expect((await t.get(`/api/v1/households/${h.id}`, { headers: reviewer })).body).toMatchObject({ address: h.address, version: 1 });
    expect(await caseTopics(t, c.id)).toEqual(['change.submitted', 'change.needs_review', 'change.rejected']);
  });

  it('merges a stale change to other fields, and holds the same field changed on both sides as a conflict', async () => {
    const h = await registered();
    // the record moves on: version 2 changes the address
    const moved = await t.patch(`/api/v1/households/${h.id}`, { address: 'Server side road' }, { headers: officer, ifMatch: 1 });
    expect(moved.status).toBe(200);

    // made from version 1, touching another field: applied over version 2, the server's address kept
    const other = await change({ household_id: h.id, kind: 'update_household', base_version: 1, changes: { location: { latitude: -1.5, longitude: 36.5 } }, channel: 'mobile' });
    expect(other).toMatchObject({ status: 'applied', reasons: ['rule:staff_address_update'] });
    expect((await t.get(`/api/v1/households/${h.id}`, { headers: reviewer })).body).toMatchObject({ address: 'Server side road', location: { latitude: -1.5, longitude: 36.5 }, version: 3 });

    // made from version 1, changing the address too: held, nothing overwritten
    const same = await change({ household_id: h.id, kind: 'update_household', base_version: 1, changes: { address: 'Device side road' }, channel: 'mobile' });
    expect(same).toMatchObject({ status: 'needs_review', reasons: ['conflict'] });
    expect(same.checks.at(-1)).toMatchObject({ check: 'apply', reason: 'conflict', details: { code: 'change.conflict', fields: ['address'], current_version: 3 } });
    expect((await t.get(`/api/v1/households/${h.id}`, { headers: reviewer })).body).toMatchObject({ address: 'Server side road', version: 3 });
    expect(await caseTopics(t, same.id)).toEqual(['change.submitted', 'change.approved', 'change.needs_review']);

    // approving a conflict takes the version the officer looked at: none -> 428, an old one -> 409, the current one applies
    expect((await t.post(`/api/v1/reviews/${same.id}/approve`, {}, { headers: reviewer })).status).toBe(428);
    expect((await t.post(`/api/v1/reviews/${same.id}/approve`, {}, { headers: reviewer, ifMatch: 2 })).status).toBe(409);
    const approved = await t.post(`/api/v1/reviews/${same.id}/approve`, {}, { headers: reviewer, ifMatch: 3 });
    expect(approved.body.status).toBe('applied');
    expect((await t.get(`/api/v1/households/${h.id}`, { headers: reviewer })).body).toMatchObject({ address: 'Device side road', version: 4 });
  });

  it('ends a membership through review, and refuses changes that can never apply', async () => {
    const h = await registered();
    const child = h.members[1].person_id;
    const c = await change({ household_id: h.id, kind: 'end_membership', person_id: child, changes: {}, channel: 'in_person', reason: 'moved to the city' });
    expect(c.status).toBe('needs_review');
    expect((await t.post(`/api/v1/reviews/${c.id}/approve`, {}, { headers: reviewer })).body.status).toBe('applied');
    expect((await t.get(`/api/v1/households/${h.id}`, { headers: reviewer })).body.size).toBe(1);

    const bad = await t.post('/api/v1/change-requests', { household_id: h.id, kind: 'update_person', person_id: child, changes: { shoe_size: 42 } }, { headers: officer });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.changes.shoe_size', 'body.person_id']);
    const nowhere = await t.post('/api/v1/change-requests', { household_id: '00000000-0000-7000-8000-000000000001', kind: 'update_household', changes: { address: 'x' } }, { headers: officer });
    expect(nowhere.status).toBe(404);
  });

  it('uses the rules set for the hub (a phone change by an officer reviewed once the rules say so)', async () => {
    const h = await registered();
    const saved = t.hub.workflow.rules.get();
    t.hub.workflow.rules.set([]);
    try {
      const c = await change({ household_id: h.id, kind: 'update_person', person_id: h.members[0].person_id, changes: { phone: '+254711000222' }, channel: 'in_person' });
      expect(c).toMatchObject({ status: 'needs_review', reasons: ['review_required'] });
    } finally {
      t.hub.workflow.rules.set(saved);
    }
  });

  it('keeps a field worker to their areas and reviewers apart from collectors', async () => {
    const h = await registered();
    const elsewhere = await t.as(['field_worker'], ['AM-R2']);
    expect((await t.post('/api/v1/change-requests', { household_id: h.id, kind: 'update_household', changes: { address: 'x' } }, { headers: elsewhere.headers })).status).toBe(404);
    const worker = await t.as(['field_worker'], ['AM-R1']);
    expect((await t.get('/api/v1/reviews', { headers: worker.headers })).status).toBe(403);
    const c = await t.post('/api/v1/change-requests', { household_id: h.id, kind: 'update_household', changes: { household_type: 'extended' }, channel: 'mobile' }, { headers: worker.headers });
    expect(c.status).toBe(202);
    expect((await t.post(`/api/v1/reviews/${c.body.id}/approve`, {}, { headers: worker.headers })).status).toBe(403);
  });
});
