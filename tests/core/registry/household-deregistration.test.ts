// Deregistering a household: POST /households/{id}/deregister with a reason code, the record showing it (read and
// list), its history and audit entries, household.deregistered emitted once (ids and the code only), and a
// deregistered household taking no more changes (409 household.deregistered) while its members stay.
import { aHousehold, aPerson } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

describe.each(apiEngines())('household deregistration on %s', (db) => {
  let t: TestHub;
  let officer: Record<string, string>; // registry_officer limited to AM-R1
  let elsewhere: Record<string, string>; // registry_officer limited to AM-R2

  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_AUTH: 'on' } });
    const admin = (await t.as(['administrator'])).headers;
    for (const region of ['AM-R1', 'AM-R2']) {
      await t.post('/api/v1/admin-areas', { code: region, name: `Region ${region}` }, { headers: admin });
      await t.post('/api/v1/admin-areas', { code: `${region}-D1`, name: 'District 1', parent_code: region }, { headers: admin });
    }
    officer = (await t.as(['registry_officer'], ['AM-R1'])).headers;
    elsewhere = (await t.as(['registry_officer'], ['AM-R2'])).headers;
  });
  afterAll(() => t.stop());

  const register = async () => {
    const res = await t.post('/api/v1/households', aHousehold('AM-R1-D1'), { headers: officer });
    expect(res.status).toBe(201);
    return res.body;
  };
  const deregistrations = (householdId: string) =>
    t.hub.db.query<{ payload: Record<string, unknown> }>(
      `select payload from outbox_event where aggregate_type = 'household' and aggregate_id = $1 and topic = 'household.deregistered' order by id`,
      [householdId],
    );

  it('deregisters with a reason: the record, its history, the audit log and one household.deregistered event', async () => {
    const household = await register();
    expect(household).toMatchObject({ deregistered_at: null, deregistration_reason: null });
    const memberIds: string[] = household.members.map((m: { person_id: string }) => m.person_id);

    const res = await t.post(`/api/v1/households/${household.id}/deregister`, { reason: 'moved_abroad', note: 'Left for Nairobi with Joseph' }, { headers: officer, ifMatch: household.version });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${household.version + 1}"`);
    expect(res.body).toMatchObject({ id: household.id, version: household.version + 1, deregistration_reason: 'moved_abroad', size: 3 });
    expect(Date.parse(res.body.deregistered_at)).not.toBeNaN();
    // the memberships stay as they were
    expect(res.body.members.map((m: { person_id: string }) => m.person_id)).toEqual(memberIds);

    const read = (await t.get(`/api/v1/households/${household.id}`, { headers: officer })).body;
    expect(read).toMatchObject({ deregistered_at: res.body.deregistered_at, deregistration_reason: 'moved_abroad', size: 3 });
    const list = (await t.get('/api/v1/households?area_code=AM-R1-D1&limit=200', { headers: officer })).body.items;
    expect(list.find((h: { id: string }) => h.id === household.id)).toMatchObject({ deregistered_at: res.body.deregistered_at, deregistration_reason: 'moved_abroad' });
    const active = list.find((h: { id: string }) => h.id !== household.id);
    if (active) expect(active).toMatchObject({ deregistered_at: null, deregistration_reason: null });

    const [latest] = (await t.get(`/api/v1/households/${household.id}/history`, { headers: officer })).body.items;
    expect(latest).toMatchObject({
      version: household.version + 1,
      changes: {
        deregistered_at: { from: null, to: res.body.deregistered_at },
        deregistration_reason: { from: null, to: 'moved_abroad' },
        deregistration_note: { from: null, to: 'Left for Nairobi with Joseph' },
      },
    });

    // one update entry per member, naming the fields that changed
    const audit = await t.hub.db.query<{ subject_person_id: string; fields: string[] }>(
      `select subject_person_id, fields from audit_log where entity = 'household' and entity_id = $1 and action = 'update' and 'deregistered_at' = any(fields)`,
      [household.id],
    );
    expect(audit.map((a) => a.subject_person_id).sort()).toEqual([...memberIds].sort());
    expect(audit[0].fields).toEqual(expect.arrayContaining(['deregistered_at', 'deregistration_reason']));

    const events = await deregistrations(household.id);
    expect(events).toHaveLength(1);
    expect(events[0].payload).toEqual({ member_ids: memberIds, reason: 'moved_abroad' });
    // ids and the code only: never the note or a name
    expect(JSON.stringify(events[0].payload)).not.toMatch(/Nairobi|Joseph/);
  });

  it('answers 409 to a second deregistration, with no second event', async () => {
    const household = await register();
    const first = await t.post(`/api/v1/households/${household.id}/deregister`, { reason: 'duplicate' }, { headers: officer, ifMatch: household.version });
    expect(first.status).toBe(200);
    const again = await t.post(`/api/v1/households/${household.id}/deregister`, { reason: 'other' }, { headers: officer, ifMatch: first.body.version });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('household.deregistered');
    const read = (await t.get(`/api/v1/households/${household.id}`, { headers: officer })).body;
    expect(read).toMatchObject({ version: first.body.version, deregistration_reason: 'duplicate' });
    expect(await deregistrations(household.id)).toHaveLength(1);
  });

  it('requires If-Match (428), the current version (412) and a known reason (400)', async () => {
    const household = await register();
    const path = `/api/v1/households/${household.id}/deregister`;
    const noVersion = await t.post(path, { reason: 'duplicate' }, { headers: officer });
    expect(noVersion.status).toBe(428);
    const stale = await t.post(path, { reason: 'duplicate' }, { headers: officer, ifMatch: household.version + 5 });
    expect(stale.status).toBe(412);
    const unknown = await t.post(path, { reason: 'bored' }, { headers: officer, ifMatch: household.version });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.errors)).toContain('body.reason');
    const noReason = await t.post(path, { note: 'x' }, { headers: officer, ifMatch: household.version });
    expect(noReason.status).toBe(400);
    const read = (await t.get(`/api/v1/households/${household.id}`, { headers: officer })).body;
    expect(read).toMatchObject({ version: household.version, deregistered_at: null });
    expect(await deregistrations(household.id)).toHaveLength(0);
  });

  it('answers 404 outside the caller\'s areas', async () => {
    const household = await register();
    const res = await t.post(`/api/v1/households/${household.id}/deregister`, { reason: 'duplicate' }, { headers: elsewhere, ifMatch: household.version });
    expect(res.status).toBe(404);
    expect((await t.get(`/api/v1/households/${household.id}`, { headers: officer })).body.deregistered_at).toBeNull();
  });

  it('refuses later changes with 409 household.deregistered (PATCH, adding a member), but lets members leave', async () => {
    const household = await register();
    const done = await t.post(`/api/v1/households/${household.id}/deregister`, { reason: 'requested_by_household' }, { headers: officer, ifMatch: household.version });
    expect(done.status).toBe(200);
    const version = done.body.version;

    const patch = await t.patch(`/api/v1/households/${household.id}`, { address: 'Elsewhere' }, { headers: officer, ifMatch: version });
    expect(patch.status).toBe(409);
    expect(patch.body.code).toBe('household.deregistered');
    const add = await t.post(`/api/v1/households/${household.id}/members`, { relationship: 'SON', person: aPerson() }, { headers: officer, ifMatch: version });
    expect(add.status).toBe(409);
    expect(add.body.code).toBe('household.deregistered');
    const read = (await t.get(`/api/v1/households/${household.id}`, { headers: officer })).body;
    expect(read).toMatchObject({ version, address: household.address, size: 3, deregistration_reason: 'requested_by_household' });

    // a member leaves, and can then be registered in another household
    const leaver = household.members[2].person_id;
    const end = await t.delete(`/api/v1/households/${household.id}/members/${leaver}`, { headers: officer, ifMatch: version });
    expect(end.status).toBe(200);
    expect(end.body.size).toBe(2);
    const other = await register();
    // a person in no household is outside every area, so an officer of all areas places them
    const national = (await t.as(['registry_officer'])).headers;
    const joined = await t.post(`/api/v1/households/${other.id}/members`, { relationship: 'DAU', person_id: leaver }, { headers: national, ifMatch: other.version });
    expect(joined.status).toBe(200);
  });

  it('keeps the two columns together in the database itself', async () => {
    const household = await register();
    await expect(t.hub.db.query(`update household set deregistered_at = now() where id = $1`, [household.id])).rejects.toThrow(/household_deregistration_together/);
    await expect(t.hub.db.query(`update household set deregistration_reason = 'other' where id = $1`, [household.id])).rejects.toThrow(/household_deregistration_together/);
    await expect(t.hub.db.query(`update household set deregistered_at = now(), deregistration_reason = 'bored' where id = $1`, [household.id])).rejects.toThrow(
      /household_deregistration_reason/,
    );
  });
});
