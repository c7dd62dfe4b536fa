import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aHousehold, aPerson, createAreas, uin } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';

describe.each(dbEngines())('households on %s', (db) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ db });
    await createAreas(t);
  });
  afterAll(() => t.stop());

  it('registers a household with its members in one go', async () => {
    const created = await t.post('/api/v1/households', aHousehold());
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    const h = created.body;
    expect(h).toMatchObject({ version: 1, area_code: 'AM-R1-D1', size: 3, household_type: 'family', location: { latitude: -1.28, longitude: 36.82 } });
    expect(h.members.map((m: { relationship: string }) => m.relationship)).toEqual(['SELF', 'HUSB', 'DAU']);
    expect(h.head_person_id).toBe(h.members[0].person_id);
    for (const m of h.members) expect(m.person.household).toEqual({ household_id: h.id, relationship: m.relationship, start_date: m.start_date });
    expect((await t.get(`/api/v1/households/${h.id}`)).body).toEqual(h);
  });

  it('writes nothing when one member is invalid', async () => {
    const id = uin();
    const household = aHousehold('AM-R1-D1', {
      members: [
        { relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: id }] }) },
        { relationship: 'SON', person: aPerson({ given_name: 'Later', birth_date: '2999-01-01' }) },
      ],
    });
    const res = await t.post('/api/v1/households', household);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ index: 0, field: 'body.members[1].person.birth_date', message: expect.stringContaining('future') }]);
    expect((await t.get(`/api/v1/persons?identifier_type=UIN&identifier_value=${id}`)).body.items).toEqual([]);
  });

  it('needs exactly one head, a known area, and each member given one way', async () => {
    const noHead = await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SON', person: aPerson() }] }));
    expect(noHead.status).toBe(422);
    expect(noHead.body.errors[0].field).toBe('body.members');
    const unknownArea = await t.post('/api/v1/households', aHousehold('ZZ-9'));
    expect(unknownArea.status).toBe(422);
    expect(unknownArea.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.area_code']);
    const both = await t.post('/api/v1/households', aHousehold('AM-R1-D1', {
      members: [{ relationship: 'SELF', person: aPerson(), person_id: '01890000-0000-7000-8000-000000000000' }],
    }));
    expect(both.status).toBe(422);
    expect(both.body.errors[0].field).toBe('body.members[0]');
    const badRelationship = await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'BOSS', person: aPerson() }] }));
    expect(badRelationship.status).toBe(400);
  });

  it('refuses a duplicate identifier inside one household, and one already registered', async () => {
    const id = uin();
    const twice = await t.post('/api/v1/households', aHousehold('AM-R1-D1', {
      members: [
        { relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: id }] }) },
        { relationship: 'SON', person: aPerson({ identifiers: [{ type: 'UIN', value: id }] }) },
      ],
    }));
    expect(twice.status).toBe(409);
    expect(twice.body.errors[0].field).toBe('body.members[1].person.identifiers[0].value');
    await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'UIN', value: id }] }));
    const registered = await t.post('/api/v1/households', aHousehold('AM-R1-D1', {
      members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: id }] }) }],
    }));
    expect(registered.status).toBe(409);
    expect(registered.body.code).toBe('identifier.duplicate');
  });

  it('adds a registered person as a member, and keeps a person in one household at a time', async () => {
    const loner = (await t.post('/api/v1/persons', aPerson({ given_name: 'Loner' }))).body;
    const h = (await t.post('/api/v1/households', aHousehold())).body;
    const added = await t.post(`/api/v1/households/${h.id}/members`, { relationship: 'NEPHEW', person_id: loner.id }, { ifMatch: 1 });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ version: 2, size: 4 });
    const other = (await t.post('/api/v1/households', aHousehold())).body;
    const again = await t.post(`/api/v1/households/${other.id}/members`, { relationship: 'NEPHEW', person_id: loner.id }, { ifMatch: 1 });
    expect(again.status).toBe(409);
    const inNew = await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person_id: loner.id }] }));
    expect(inNew.status).toBe(422);
    expect(inNew.body.errors[0]).toMatchObject({ field: 'body.members[0].person_id', message: expect.stringContaining('another household') });
  });

  it('adds a new person as a member, then ends a membership but not the head while others remain', async () => {
    const h = (await t.post('/api/v1/households', aHousehold())).body;
    const added = await t.post(`/api/v1/households/${h.id}/members`, { relationship: 'SON', person: aPerson({ given_name: 'Newborn', birth_date: '2026-01-01' }) }, { ifMatch: 1 });
    expect(added.body.size).toBe(4);
    const newborn = added.body.members.find((m: { person: { given_name: string } }) => m.person.given_name === 'Newborn');
    const noIfMatch = await t.delete(`/api/v1/households/${h.id}/members/${newborn.person_id}`);
    expect(noIfMatch.status).toBe(428);
    const left = await t.delete(`/api/v1/households/${h.id}/members/${newborn.person_id}`, { ifMatch: 2 });
    expect(left.status).toBe(200);
    expect(left.body).toMatchObject({ version: 3, size: 3 });
    expect((await t.get(`/api/v1/persons/${newborn.person_id}`)).body.household).toBeNull();
    const head = await t.delete(`/api/v1/households/${h.id}/members/${h.head_person_id}`, { ifMatch: 3 });
    expect(head.status).toBe(409);
    expect(head.body.code).toBe('household.head_leaving');
    const twoHeads = await t.post(`/api/v1/households/${h.id}/members`, { relationship: 'SELF', person: aPerson() }, { ifMatch: 3 });
    expect(twoHeads.status).toBe(422);
  });

  it('updates details with If-Match and records every change in the history', async () => {
    const h = (await t.post('/api/v1/households', aHousehold())).body;
    const moved = await t.patch(`/api/v1/households/${h.id}`, { area_code: 'AM-R2-D1', address: 'New Road 1', location: null, attributes: { roof: 'iron' } }, { ifMatch: 1 });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ version: 2, area_code: 'AM-R2-D1', address: 'New Road 1', location: null, attributes: { roof: 'iron' } });
    expect((await t.patch(`/api/v1/households/${h.id}`, { address: 'Old' }, { ifMatch: 1 })).status).toBe(412);
    expect((await t.patch(`/api/v1/households/${h.id}`, { area_code: 'NOPE' }, { ifMatch: 2 })).status).toBe(422);
    await t.post(`/api/v1/households/${h.id}/members`, { relationship: 'SON', person: aPerson() }, { ifMatch: 2 });
    const history = (await t.get(`/api/v1/households/${h.id}/history`)).body.items;
    expect(history.map((i: { version: number }) => i.version)).toEqual([3, 2, 1]);
    expect(history[1].changes).toEqual({
      area_code: { from: 'AM-R1-D1', to: 'AM-R2-D1' },
      address: { from: 'Plot 12, Market Road', to: 'New Road 1' },
      location: { from: { latitude: -1.28, longitude: 36.82 }, to: null },
      attributes: { from: {}, to: { roof: 'iron' } },
    });
    expect(history[0].changes.members.to).toHaveLength(4);
    expect(history[2].changes.members.to.map((m: { relationship: string }) => m.relationship)).toEqual(['SELF', 'HUSB', 'DAU']);
  });

  it('lists households by area, including the areas under it, page by page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await t.post('/api/v1/households', aHousehold('AM-R2-D2'))).body.id);
    const page1 = await t.get('/api/v1/households?area_code=AM-R2&limit=2');
    const all: string[] = page1.body.items.map((h: { id: string }) => h.id);
    let cursor = page1.body.next_cursor;
    while (cursor) {
      const next = await t.get(`/api/v1/households?area_code=AM-R2&limit=2&cursor=${cursor}`);
      all.push(...next.body.items.map((h: { id: string }) => h.id));
      cursor = next.body.next_cursor;
    }
    for (const id of ids) expect(all).toContain(id);
    const r1 = await t.get('/api/v1/households?area_code=AM-R1-D2&limit=500');
    for (const id of ids) expect(r1.body.items.map((h: { id: string }) => h.id)).not.toContain(id);
  });

  it('lists and creates admin areas, refusing unknown parents and taken codes', async () => {
    const children = await t.get('/api/v1/admin-areas?parent_code=AM-R1');
    expect(children.body.items).toEqual([
      { code: 'AM-R1-D1', name: 'District D1', level: 1, parent_code: 'AM-R1' },
      { code: 'AM-R1-D2', name: 'District D2', level: 1, parent_code: 'AM-R1' },
    ]);
    expect((await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'Again' })).status).toBe(409);
    expect((await t.post('/api/v1/admin-areas', { code: 'X1', name: 'Orphan', parent_code: 'NONE' })).status).toBe(422);
  });
});
