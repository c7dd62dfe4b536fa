// Broken object level authorisation (OWASP API1): a caller limited to some areas can neither see nor change
// anything outside them, and cannot tell it exists (404, not 403).
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';

describe.each(dbEngines())('area scoping on %s', (db) => {
  let t: TestHub;
  let field: Record<string, string>; // limited to AM-R1-D1
  let region: Record<string, string>; // limited to AM-R1 (both its districts)
  let mine: any;
  let sibling: any; // AM-R1-D2: the region sees it, the district worker does not
  let theirs: any; // AM-R2-D1
  let theirUin: string;
  let loner: any; // a person in no household

  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_AUTH: 'on' } });
    const admin = (await t.as(['administrator'])).headers;
    for (const region of ['AM-R1', 'AM-R2']) {
      await t.post('/api/v1/admin-areas', { code: region, name: region }, { headers: admin });
      for (const d of ['D1', 'D2']) await t.post('/api/v1/admin-areas', { code: `${region}-${d}`, name: d, parent_code: region }, { headers: admin });
    }
    mine = (await t.post('/api/v1/households', aHousehold('AM-R1-D1'), { headers: admin })).body;
    sibling = (await t.post('/api/v1/households', aHousehold('AM-R1-D2'), { headers: admin })).body;
    theirUin = uin();
    theirs = (await t.post('/api/v1/households', aHousehold('AM-R2-D1', {
      members: [{ relationship: 'SELF', person: aPerson({ family_name: 'Faraway', identifiers: [{ type: 'UIN', value: theirUin }] }) }],
    }), { headers: admin })).body;
    loner = (await t.post('/api/v1/persons', aPerson({ family_name: 'Loner' }), { headers: admin })).body;
    field = (await t.as(['field_worker'], ['AM-R1-D1'])).headers;
    region = (await t.as(['registry_officer'], ['AM-R1'])).headers;
  });
  afterAll(() => t.stop());

  const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((i) => i.id);

  it('lists only households and people inside the caller\'s areas', async () => {
    const households = ids(await t.get('/api/v1/households?limit=500', { headers: field }));
    expect(households).toEqual([mine.id]);
    expect(ids(await t.get('/api/v1/households?limit=500', { headers: region })).sort()).toEqual([mine.id, sibling.id].sort());
    expect(ids(await t.get('/api/v1/households?area_code=AM-R2&limit=500', { headers: field }))).toEqual([]);
    const people = ids(await t.get('/api/v1/persons?limit=500', { headers: field }));
    expect(people.sort()).toEqual(mine.members.map((m: { person_id: string }) => m.person_id).sort());
    expect(people).not.toContain(loner.id);
  });

  it('finds nothing outside them, even by exact identifier or name', async () => {
    expect((await t.get(`/api/v1/persons?identifier_type=UIN&identifier_value=${theirUin}`, { headers: field })).body.items).toEqual([]);
    expect((await t.get('/api/v1/persons?family_name=Faraway', { headers: field })).body.items).toEqual([]);
    expect((await t.get('/api/v1/persons?family_name=Faraway', { headers: region })).body.items).toEqual([]);
  });

  it('answers 404 to reads of records outside them', async () => {
    const theirPerson = theirs.members[0].person_id;
    for (const path of [
      `/api/v1/households/${theirs.id}`,
      `/api/v1/households/${theirs.id}/history`,
      `/api/v1/households/${sibling.id}`,
      `/api/v1/persons/${theirPerson}`,
      `/api/v1/persons/${theirPerson}/history`,
      `/api/v1/persons/${loner.id}`,
    ]) {
      expect({ path, status: (await t.get(path, { headers: field })).status }).toEqual({ path, status: 404 });
    }
    expect((await t.get(`/api/v1/households/${sibling.id}`, { headers: region })).status).toBe(200);
    expect((await t.get(`/api/v1/households/${mine.id}`, { headers: field })).status).toBe(200);
  });

  it('answers 404 to changes of records outside them and changes nothing', async () => {
    const theirPerson = theirs.members[0].person_id;
    expect((await t.patch(`/api/v1/households/${theirs.id}`, { address: 'stolen' }, { headers: field, ifMatch: 1 })).status).toBe(404);
    expect((await t.patch(`/api/v1/persons/${theirPerson}`, { phone: '+254700000666' }, { headers: field, ifMatch: 1 })).status).toBe(404);
    expect((await t.post(`/api/v1/households/${theirs.id}/members`, { relationship: 'SON', person: aPerson() }, { headers: field, ifMatch: 1 })).status).toBe(404);
    expect((await t.delete(`/api/v1/households/${theirs.id}/members/${theirPerson}`, { headers: field, ifMatch: 1 })).status).toBe(404);
    const admin = (await t.as(['administrator'])).headers;
    const after = (await t.get(`/api/v1/households/${theirs.id}`, { headers: admin })).body;
    expect(after).toMatchObject({ version: 1, address: theirs.address, size: 1 });
  });

  it('cannot register into, move to, or pull people from areas outside them', async () => {
    const elsewhere = await t.post('/api/v1/households', aHousehold('AM-R2-D2'), { headers: field });
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.errors[0].field).toBe('body.area_code');
    const moved = await t.patch(`/api/v1/households/${mine.id}`, { area_code: 'AM-R2-D1' }, { headers: field, ifMatch: 1 });
    expect(moved.status).toBe(422);
    const pulled = await t.post(`/api/v1/households/${mine.id}/members`, { relationship: 'NEPHEW', person_id: loner.id }, { headers: field, ifMatch: 1 });
    expect(pulled.status).toBe(404);
    expect((await t.post('/api/v1/households', aHousehold('AM-R1-D1'), { headers: field })).status).toBe(201);
  });

  it('bulk registration refuses households outside them by index', async () => {
    const res = await t.post('/api/v1/households:bulk', { households: [aHousehold('AM-R1-D1'), aHousehold('AM-R2-D1')], on_error: 'skip_invalid' }, { headers: field });
    expect(res.body).toMatchObject({ created: 1, rejected: 1 });
    expect(res.body.errors[0]).toMatchObject({ index: 1, field: 'body.households[1].area_code' });
  });
});
