// Offline sync through the API: bootstrap, push (exactly once, whatever the retries), three-way merge and
// conflicts, old form versions, area limits, pull. On PGlite + memory, and PostgreSQL + Redis where they run.
import { randomUUID } from 'node:crypto';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { dbEngines, redisUrl, type CacheEngineName, type DbEngineName } from '../../helpers/services.js';
import { anAnsweredHousehold } from '../forms/form-data.js';

const FORM = 'household-socioeconomic';
const engines: [DbEngineName, CacheEngineName][] = dbEngines().map((db) => [db, db === 'postgres' && redisUrl() ? 'redis' : 'memory']);

type Headers = Record<string, string>;

export function newItem(household: unknown, version = 1) {
  return { client_id: randomUUID(), captured_at: new Date().toISOString(), form: { id: FORM, version }, kind: 'new' as const, household };
}

export function updateItem(householdId: string, baseVersion: number, changes: unknown, version = 1) {
  return { client_id: randomUUID(), captured_at: new Date().toISOString(), form: { id: FORM, version }, kind: 'update' as const, household_id: householdId, base_version: baseVersion, changes };
}

describe.each(engines)('offline sync on %s + %s', (db, cache) => {
  let t: TestHub;
  let worker: Headers; // field worker of region AM-R1
  let officer: Headers; // registry officer, every area
  const push = (headers: Headers, items: unknown[], device = 'device-a') => t.post('/api/v1/sync/push', { device_id: device, items }, { headers });
  const householdsIn = async (area: string) => {
    await t.hub.workflow.settle();
    return (await t.get(`/api/v1/households?area_code=${area}&limit=500`, { headers: officer })).body.items.length;
  };
  /** A new registration goes through the workflow: its household exists once the case's checks ran. */
  const registered = async (res: { body: { results: { status: string; case_id: string }[] } }): Promise<string> => {
    expect(res.body.results[0]).toMatchObject({ status: 'accepted', case_id: expect.any(String), case_status: 'submitted' });
    await t.hub.workflow.settle();
    const [row] = await t.hub.db.query<{ status: string; household_id: string }>('select status, household_id from registration_case where id = $1', [res.body.results[0].case_id]);
    expect(row.status).toBe('registered');
    return row.household_id;
  };

  beforeAll(async () => {
    t = await startTestHub({ db, cache, env: { SRHUB_AUTH: 'on', SRHUB_SYNC_ATTACHMENT_MAX: '64kb', SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '100000' } });
    const admin = await t.as(['administrator']);
    for (const region of ['AM-R1', 'AM-R2']) {
      await t.post('/api/v1/admin-areas', { code: region, name: region }, { headers: admin.headers });
      for (const d of ['D1', 'D2']) await t.post('/api/v1/admin-areas', { code: `${region}-${d}`, name: d, parent_code: region }, { headers: admin.headers });
    }
    // a fresh connection per request: PGlite runs in this thread, and a keep-alive socket the hub closes while the
    // loop was busy with a long settle() can be reused by the client at the same moment (ECONNRESET)
    worker = { ...(await t.as(['field_worker'], ['AM-R1'])).headers, connection: 'close' };
    officer = { ...(await t.as(['registry_officer', 'field_worker'])).headers, connection: 'close' };
  });
  afterAll(() => t.stop());

  it('bootstraps the published forms, the areas and households of the worker, and a cursor', async () => {
    const inR2 = await push(officer, [newItem(anAnsweredHousehold('AM-R2-D1'))]);
    expect(inR2.body.results[0].status).toBe('accepted');
    const inR1 = await registered(await push(worker, [newItem(anAnsweredHousehold('AM-R1-D2'))]));

    const res = await t.get('/api/v1/sync/bootstrap', { headers: worker });
    expect(res.status).toBe(200);
    expect(res.body.forms.map((f: { form_id: string }) => f.form_id)).toContain(FORM);
    expect(res.body.admin_areas.map((a: { code: string }) => a.code).sort()).toEqual(['AM-R1', 'AM-R1-D1', 'AM-R1-D2']);
    const areas = new Set(res.body.households.map((h: { area_code: string }) => h.area_code));
    expect([...areas].every((a) => String(a).startsWith('AM-R1'))).toBe(true);
    expect(res.body.households.map((h: { id: string }) => h.id)).toContain(inR1);
    expect(res.body.cursor).toEqual(expect.any(String));
  });

  it('yields each record once when the same batch is pushed twice', async () => {
    const before = await householdsIn('AM-R1-D1');
    const items = [newItem(anAnsweredHousehold()), newItem(anAnsweredHousehold()), newItem(anAnsweredHousehold())];
    const first = await push(worker, items);
    expect(first.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const again = await push(worker, items);
    expect(again.body.results.map((r: { status: string; first_status: string }) => [r.status, r.first_status])).toEqual([
      ['duplicate', 'accepted'], ['duplicate', 'accepted'], ['duplicate', 'accepted'],
    ]);
    // the same answer as the first time
    expect(again.body.results.map((r: { case_id: string }) => r.case_id)).toEqual(first.body.results.map((r: { case_id: string }) => r.case_id));
    expect(await householdsIn('AM-R1-D1')).toBe(before + 3);
  });

  it('resumes a batch split in the middle: what arrived is a duplicate, the rest is taken', async () => {
    const before = await householdsIn('AM-R1-D1');
    const items = Array.from({ length: 5 }, () => newItem(anAnsweredHousehold()));
    const firstHalf = await push(worker, items.slice(0, 2));
    expect(firstHalf.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted']);
    const whole = await push(worker, items);
    expect(whole.body.results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'duplicate', 'accepted', 'accepted', 'accepted']);
    expect(await householdsIn('AM-R1-D1')).toBe(before + 5);
  });

  it('takes each record once when the same batch is pushed twice at the same time', async () => {
    const before = await householdsIn('AM-R1-D1');
    const items = Array.from({ length: 4 }, () => newItem(anAnsweredHousehold()));
    const [a, b] = await Promise.all([push(worker, items), push(worker, items)]);
    for (let i = 0; i < items.length; i++) {
      const statuses = [a.body.results[i].status, b.body.results[i].status].sort();
      expect(statuses).toEqual(['accepted', 'duplicate']);
      expect(a.body.results[i].case_id).toBe(b.body.results[i].case_id);
    }
    expect(await householdsIn('AM-R1-D1')).toBe(before + 4);
  });

  it('refuses a reused client UUID with other content, and rejects field errors with their paths (same answer on retry)', async () => {
    const item = newItem(anAnsweredHousehold());
    await push(worker, [item]);
    const reused = await push(worker, [{ ...item, household: anAnsweredHousehold('AM-R1-D2') }]);
    expect(reused.body.results[0]).toMatchObject({ status: 'rejected', errors: [{ field: 'body.items[0].client_id', message: expect.stringContaining('different content') }] });

    const bad = anAnsweredHousehold();
    (bad.attributes as Record<string, unknown>).dwelling_wall = 'marble';
    delete (bad.attributes as Record<string, unknown>).meals_skipped;
    const badItem = newItem(bad);
    const rejected = await push(worker, [badItem]);
    expect(rejected.body.results[0].status).toBe('rejected');
    expect(rejected.body.results[0].errors).toEqual(expect.arrayContaining([
      { field: 'body.items[0].household.attributes.dwelling_wall', message: expect.stringContaining('must be one of') },
      { field: 'body.items[0].household.attributes.meals_skipped', message: 'is required' },
    ]));
    const retried = await push(worker, [badItem]);
    expect(retried.body.results[0]).toMatchObject({ status: 'duplicate', first_status: 'rejected', errors: rejected.body.results[0].errors });
  });

  it('refuses a registration or an update in an area the worker is not assigned to', async () => {
    const before = await householdsIn('AM-R2-D1');
    const res = await push(worker, [newItem(anAnsweredHousehold('AM-R2-D1'))]);
    expect(res.body.results[0]).toMatchObject({
      status: 'rejected',
      errors: [{ field: 'body.items[0].household.area_code', message: 'AM-R2-D1 is not one of your assigned areas' }],
    });
    expect(await householdsIn('AM-R2-D1')).toBe(before);

    const elsewhere = await registered(await push(officer, [newItem(anAnsweredHousehold('AM-R2-D2'))]));
    const update = await push(worker, [updateItem(elsewhere, 1, { household: { address: 'Moved' } })]);
    expect(update.body.results[0]).toMatchObject({ status: 'rejected', errors: [{ field: 'body.items[0].household_id', message: 'is not a household in your assigned areas' }] });
    expect((await t.get(`/api/v1/households/${elsewhere}`, { headers: officer })).body.address).toBe('Near the blue water tower');
  });

  it('merges two devices editing different fields of one household', async () => {
    const id = await registered(await push(worker, [newItem(anAnsweredHousehold())]));
    const a = await push(worker, [updateItem(id, 1, { household: { attributes: { rooms: 4 } } })], 'device-a');
    expect(a.body.results[0]).toMatchObject({ status: 'accepted', version: 2, merged: ['attributes.rooms'] });
    const b = await push(worker, [updateItem(id, 1, { household: { attributes: { water_source: 'borehole' }, address: 'By the school' } })], 'device-b');
    expect(b.body.results[0]).toMatchObject({ status: 'accepted', conflicts: [] });
    expect(b.body.results[0].merged.sort()).toEqual(['address', 'attributes.water_source']);
    const household = (await t.get(`/api/v1/households/${id}`, { headers: officer })).body;
    expect(household.attributes).toMatchObject({ rooms: 4, water_source: 'borehole', dwelling_wall: 'mud' });
    expect(household.address).toBe('By the school');
  });

  it('records a conflict when both sides changed the same field, and an officer resolves it', async () => {
    const id = await registered(await push(worker, [newItem(anAnsweredHousehold())]));
    const household = (await t.get(`/api/v1/households/${id}`, { headers: officer })).body;
    const child = household.members[1];
    await push(worker, [updateItem(id, 1, { household: { attributes: { rooms: 4 } }, persons: [{ person_id: child.person_id, base_version: 1, changes: { given_name: 'Zawadi Grace' } }] })], 'device-a');
    const b = await push(worker, [updateItem(id, 1, {
      household: { attributes: { rooms: 5, toilet: 'flush' } },
      persons: [{ person_id: child.person_id, base_version: 1, changes: { given_name: 'Zawadi Rose', birth_date_estimated: false } }],
    })], 'device-b');
    const result = b.body.results[0];
    expect(result.status).toBe('conflict');
    expect(result.merged.sort()).toEqual(['attributes.toilet', 'persons[0].birth_date_estimated']);
    expect(result.conflicts.map((c: { entity: string; field: string }) => `${c.entity}:${c.field}`).sort()).toEqual(['household:attributes.rooms', 'person:given_name']);
    // never a silent overwrite: the server's values stand until an officer decides
    const now = (await t.get(`/api/v1/households/${id}`, { headers: officer })).body;
    expect(now.attributes).toMatchObject({ rooms: 4, toilet: 'flush' });
    expect(now.members[1].person.given_name).toBe('Zawadi Grace');

    // whoever collected the data does not decide its conflicts; reviewers in the area list them with both values
    expect((await t.get('/api/v1/sync/conflicts', { headers: worker })).status).toBe(403);
    const open = (await t.get(`/api/v1/sync/conflicts?status=open&household_id=${id}`, { headers: officer })).body.items;
    const rooms = open.find((c: { field: string }) => c.field === 'attributes.rooms');
    expect(rooms).toMatchObject({ mine: 5, theirs: 4, base_version: 1, status: 'open', entity: 'household' });
    const resolved = await t.post(`/api/v1/sync/conflicts/${rooms.id}/resolve`, { choice: 'mine' }, { headers: officer });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'mine' });
    expect((await t.get(`/api/v1/households/${id}`, { headers: officer })).body.attributes.rooms).toBe(5);
    expect((await t.post(`/api/v1/sync/conflicts/${rooms.id}/resolve`, { choice: 'theirs' }, { headers: officer })).status).toBe(409);

    const name = open.find((c: { field: string }) => c.field === 'given_name');
    const kept = await t.post(`/api/v1/sync/conflicts/${name.id}/resolve`, { choice: 'theirs' }, { headers: officer });
    expect(kept.body).toMatchObject({ status: 'resolved', resolution: 'theirs' });
    expect((await t.get(`/api/v1/persons/${child.person_id}`, { headers: officer })).body.given_name).toBe('Zawadi Grace');
    // outside an officer's areas the conflicts are not there
    const otherOfficer = { ...(await t.as(['registry_officer'], ['AM-R2'])).headers, connection: 'close' };
    expect((await t.get(`/api/v1/sync/conflicts?household_id=${id}`, { headers: otherOfficer })).body.items).toEqual([]);
  });

  it('refuses to apply a resolution over a change made after the conflict', async () => {
    const id = await registered(await push(worker, [newItem(anAnsweredHousehold())]));
    await push(worker, [updateItem(id, 1, { household: { attributes: { rooms: 3 } } })]);
    const conflict = (await push(worker, [updateItem(id, 1, { household: { attributes: { rooms: 6 } } })], 'device-b')).body.results[0].conflicts[0];
    const current = (await t.get(`/api/v1/households/${id}`, { headers: officer }));
    await t.patch(`/api/v1/households/${id}`, { attributes: { rooms: 7 } }, { headers: officer, ifMatch: current.body.version });
    const res = await t.post(`/api/v1/sync/conflicts/${conflict.id}/resolve`, { choice: 'value', value: 8 }, { headers: officer });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('sync_conflict.stale');
    expect((await t.get(`/api/v1/households/${id}`, { headers: officer })).body.attributes.rooms).toBe(7);
  });

  it('validates a submission against the old published form version it names', async () => {
    const admin = { ...(await t.as(['administrator'])).headers, connection: 'close' };
    const v1 = (await t.get(`/api/v1/forms/${FORM}/versions/1`, { headers: admin })).body;
    const definition = structuredClone(v1.definition);
    // version 2 allows at most 10 rooms
    definition.schema.properties.attributes.properties.rooms.maximum = 10;
    const draft = await t.post(`/api/v1/forms/${FORM}/versions`, { definition }, { headers: admin });
    expect(draft.status).toBe(201);
    const published = await t.post(`/api/v1/forms/${FORM}/versions/${draft.body.version}/publish`, undefined, { headers: admin, ifMatch: draft.body.revision });
    expect(published.status).toBe(200);
    const v2 = draft.body.version;

    const large = () => anAnsweredHousehold('AM-R1-D1', { attributes: { ...anAnsweredHousehold().attributes, rooms: 20 } });
    // accepted, and the workflow's own form check (against the same version) lets it register
    await registered(await push(worker, [newItem(large(), 1)]));
    const onNew = await push(worker, [newItem(large(), v2)]);
    expect(onNew.body.results[0]).toMatchObject({ status: 'rejected', errors: [{ field: 'body.items[0].household.attributes.rooms', message: 'must be at most 10' }] });
    const unknown = await push(worker, [newItem(anAnsweredHousehold(), 999)]);
    expect(unknown.body.results[0]).toMatchObject({ status: 'rejected', errors: [{ field: 'body.items[0].form', message: expect.stringContaining('not a published form version') }] });
  });

  it('pulls the changes of the worker’s areas since the cursor, and the fate of their submissions', async () => {
    const { cursor } = (await t.get('/api/v1/sync/bootstrap?limit=1', { headers: worker })).body;
    const pushed = await push(worker, [newItem(anAnsweredHousehold('AM-R1-D2'))]);
    const mine = { client_id: pushed.body.results[0].client_id, case_id: pushed.body.results[0].case_id, household_id: await registered(pushed) };
    const other = { household_id: await registered(await push(officer, [newItem(anAnsweredHousehold('AM-R2-D2'))])) };
    const pulled = await t.get(`/api/v1/sync/pull?cursor=${cursor}`, { headers: worker });
    expect(pulled.status).toBe(200);
    const ids = pulled.body.households.map((h: { id: string }) => h.id);
    expect(ids).toContain(mine.household_id);
    expect(ids).not.toContain(other.household_id);
    expect(pulled.body.submissions).toEqual(expect.arrayContaining([{ client_id: mine.client_id, outcome: 'accepted', received_at: expect.any(String), case_id: mine.case_id, case_status: 'registered', household_id: mine.household_id }]));
    // nothing new: the next pull from the returned cursor is empty
    const next = await t.get(`/api/v1/sync/pull?cursor=${pulled.body.cursor}`, { headers: worker });
    expect(next.body.households).toEqual([]);
    expect(next.body.has_more).toBe(false);
    expect((await t.get('/api/v1/sync/pull?cursor=bm90LWEtY3Vyc29y', { headers: worker })).status).toBe(400);
  });

  it('adds a new member through an update, checked against the form', async () => {
    const id = await registered(await push(worker, [newItem(anAnsweredHousehold())]));
    const baby = { relationship: 'SON', person: { given_name: 'Newborn', family_name: 'Kid', sex: 'male', birth_date: '2025-12-01' } };
    const added = await push(worker, [updateItem(id, 1, { add_members: [baby] })]);
    expect(added.body.results[0]).toMatchObject({ status: 'accepted', merged: ['add_members[0]'], version: 2 });
    expect((await t.get(`/api/v1/households/${id}`, { headers: officer })).body.size).toBe(3);
    const adult = { relationship: 'SON', person: { given_name: 'Grown', family_name: 'Kid', sex: 'male', birth_date: '1990-01-01' } };
    const refused = await push(worker, [updateItem(id, 2, { add_members: [adult] })]);
    expect(refused.body.results[0].status).toBe('rejected');
    expect(refused.body.results[0].errors).toContainEqual({ field: 'body.items[0].changes.add_members[0].person.attributes.education_level', message: 'is required' });
  });

  it('answers 410 to a cursor older than the events kept', async () => {
    const { cursor } = (await t.get('/api/v1/sync/bootstrap?limit=1', { headers: worker })).body;
    await push(worker, [newItem(anAnsweredHousehold())]);
    await t.hub.workflow.settle();
    // housekeeping purged every event since (SRHUB_OUTBOX_RETENTION_DAYS)
    await t.hub.db.query('delete from outbox_event');
    const res = await t.get(`/api/v1/sync/pull?cursor=${cursor}`, { headers: worker });
    expect(res.status).toBe(410);
    expect(res.body.code).toBe('sync.cursor_expired');
  });

  it('gives the derived disability list from the Washington Group answers', async () => {
    const id = await registered(await push(worker, [newItem(anAnsweredHousehold())]));
    const household = (await t.get(`/api/v1/households/${id}`, { headers: officer })).body;
    expect(household.members[0].person.disabilities).toEqual(['MOB_SS']);
    expect(household.members[1].person.disabilities).toEqual([]);
  });
});
