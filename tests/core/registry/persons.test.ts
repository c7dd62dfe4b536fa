import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aHousehold, aPerson, createAreas, uin } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';
import { isValidRegistryId } from '../../../core/ids.js';

describe.each(dbEngines())('persons on %s', (db) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_ID_TYPES: 'NIN' } });
    await createAreas(t);
  });
  afterAll(() => t.stop());

  it('registers a person and reads them back with an ETag', async () => {
    const id = uin();
    const created = await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'UIN', value: id }], channel: 'in_person' }));
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({ version: 1, given_name: 'Amina', channel: 'in_person', household: null, created_by: 'anonymous' });
    expect(created.body.identifiers).toEqual([{ type: 'UIN', value: id, issued_by_hub: false }]);
    const read = await t.get(`/api/v1/persons/${created.body.id}`);
    expect(read.body).toEqual(created.body);
  });

  it('issues a registry ID to a person registered without any identifier', async () => {
    const created = await t.post('/api/v1/persons', aPerson({ given_name: 'Kito' }));
    expect(created.body.identifiers).toHaveLength(1);
    const [registryId] = created.body.identifiers;
    expect(registryId).toMatchObject({ type: 'SRID', issued_by_hub: true });
    expect(isValidRegistryId(registryId.value)).toBe(true);
    const found = await t.get(`/api/v1/persons?identifier_type=SRID&identifier_value=${registryId.value}`);
    expect(found.body.items.map((p: { id: string }) => p.id)).toEqual([created.body.id]);
  });

  it('accepts a configured national identifier type and refuses unknown or reserved ones', async () => {
    expect((await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'NIN', value: `N${uin()}` }] }))).status).toBe(201);
    const unknown = await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'PASSPORT', value: 'P1' }] }));
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0]).toMatchObject({ field: 'body.identifiers[0].type' });
    const reserved = await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'SRID', value: '12345678903' }] }));
    expect(reserved.status).toBe(422);
  });

  it('refuses a duplicate identifier with 409 and writes nothing', async () => {
    const id = uin();
    await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'UIN', value: id }] }));
    const before = await t.get('/api/v1/persons?family_name=Dup');
    const dup = await t.post('/api/v1/persons', aPerson({ family_name: 'Dup', identifiers: [{ type: 'UIN', value: id }] }));
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'identifier.duplicate', errors: [{ field: 'body.identifiers[0].value' }] });
    expect((await t.get('/api/v1/persons?family_name=Dup')).body.items).toEqual(before.body.items);
  });

  it('refuses birth dates in the future, people without a name, and impossible dates', async () => {
    const future = await t.post('/api/v1/persons', aPerson({ birth_date: '2999-01-01' }));
    expect(future.status).toBe(422);
    expect(future.body.errors).toEqual([{ field: 'body.birth_date', message: expect.stringContaining('future') }]);
    const nameless = await t.post('/api/v1/persons', { sex: 'male' });
    expect(nameless.status).toBe(422);
    expect(nameless.body.errors[0].field).toBe('body.given_name');
    expect((await t.post('/api/v1/persons', aPerson({ birth_date: '2001-02-29' }))).status).toBe(400);
  });

  it('updates with If-Match, keeps history, and refuses stale or missing versions', async () => {
    const created = (await t.post('/api/v1/persons', aPerson({ given_name: 'Baraka', attributes: { income: 10, note: 'x' } }))).body;
    const noIfMatch = await t.patch(`/api/v1/persons/${created.id}`, { phone: '+254700000001' });
    expect(noIfMatch.status).toBe(428);

    const updated = await t.patch(`/api/v1/persons/${created.id}`, { phone: '+254700000001', attributes: { income: 12, note: null } }, { ifMatch: 1 });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('"2"');
    expect(updated.body).toMatchObject({ version: 2, phone: '+254700000001', attributes: { income: 12 } });

    const stale = await t.patch(`/api/v1/persons/${created.id}`, { phone: '+254700000002' }, { ifMatch: 1 });
    expect(stale.status).toBe(412);
    expect(stale.body.current_version).toBe(2);
    expect((await t.get(`/api/v1/persons/${created.id}`)).body.phone).toBe('+254700000001');

    const history = (await t.get(`/api/v1/persons/${created.id}/history`)).body.items;
    expect(history.map((h: { version: number }) => h.version)).toEqual([2, 1]);
    expect(history[0].changes).toEqual({
      phone: { from: null, to: '+254700000001' },
      attributes: { from: { income: 10, note: 'x' }, to: { income: 12 } },
    });
    expect(history[1].changes.given_name).toEqual({ from: null, to: 'Baraka' });
  });

  it('does not make a new version for a patch that changes nothing', async () => {
    const created = (await t.post('/api/v1/persons', aPerson())).body;
    const same = await t.patch(`/api/v1/persons/${created.id}`, { given_name: 'Amina' }, { ifMatch: 1 });
    expect(same.body.version).toBe(1);
  });

  it('replaces supplied identifiers, keeps the registry ID, and refuses one registered to someone else', async () => {
    const created = (await t.post('/api/v1/persons', aPerson())).body;
    const [srid] = created.identifiers;
    const id = uin();
    const updated = await t.patch(`/api/v1/persons/${created.id}`, { identifiers: [{ type: 'UIN', value: id }] }, { ifMatch: 1 });
    expect(updated.body.identifiers).toEqual([{ type: 'UIN', value: id, issued_by_hub: false }, srid]);
    const other = (await t.post('/api/v1/persons', aPerson({ identifiers: [{ type: 'BRN', value: `B${uin()}` }] }))).body;
    const taken = await t.patch(`/api/v1/persons/${other.id}`, { identifiers: [{ type: 'UIN', value: id }] }, { ifMatch: 1 });
    expect(taken.status).toBe(409);
    expect((await t.get(`/api/v1/persons/${other.id}`)).body.version).toBe(1);
  });

  it('lets exactly one of two concurrent updates of the same version win', async () => {
    const created = (await t.post('/api/v1/persons', aPerson())).body;
    const results = await Promise.all(
      ['+254700000011', '+254700000012', '+254700000013', '+254700000014'].map((phone) =>
        t.patch(`/api/v1/persons/${created.id}`, { phone }, { ifMatch: 1 }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412]);
    const winner = results.find((r) => r.status === 200)!.body.phone;
    const final = (await t.get(`/api/v1/persons/${created.id}`)).body;
    expect(final).toMatchObject({ version: 2, phone: winner });
    expect((await t.get(`/api/v1/persons/${created.id}/history`)).body.items).toHaveLength(2);
  });

  it('finds people by name prefix ignoring case and accents, birth date and area, page by page', async () => {
    const family = `Ñandú${uin()}`;
    for (const [given, birth] of [['José', '1990-01-01'], ['Josephine', '1991-06-15'], ['Mary', '1990-01-01']]) {
      await t.post('/api/v1/persons', aPerson({ given_name: given, family_name: family, birth_date: birth }));
    }
    const key = family.toLowerCase().replace('ñ', 'n').replace('ú', 'u');
    const jos = await t.get(`/api/v1/persons?family_name=${encodeURIComponent(key)}&given_name=JOSE`);
    expect(jos.body.items.map((p: { given_name: string }) => p.given_name)).toEqual(['José', 'Josephine']);
    const joseph = await t.get(`/api/v1/persons?family_name=${encodeURIComponent(key)}&given_name=joseph`);
    expect(joseph.body.items.map((p: { given_name: string }) => p.given_name)).toEqual(['Josephine']);
    const byDate = await t.get(`/api/v1/persons?family_name=${encodeURIComponent(family)}&birth_date=1990-01-01`);
    expect(byDate.body.items.map((p: { given_name: string }) => p.given_name).sort()).toEqual(['José', 'Mary']);
    const range = await t.get(`/api/v1/persons?family_name=${encodeURIComponent(family)}&birth_date_from=1991-01-01&birth_date_to=1991-12-31`);
    expect(range.body.items).toHaveLength(1);

    const page1 = await t.get(`/api/v1/persons?family_name=${encodeURIComponent(family)}&limit=2`);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await t.get(`/api/v1/persons?family_name=${encodeURIComponent(family)}&limit=2&cursor=${page1.body.next_cursor}`);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.next_cursor).toBeNull();
    const all = [...page1.body.items, ...page2.body.items].map((p: { id: string }) => p.id);
    expect(new Set(all).size).toBe(3);
  });

  it('treats LIKE wildcards in a name filter as plain text', async () => {
    await t.post('/api/v1/persons', aPerson({ family_name: 'Wildcard' }));
    const onlyWildcard = await t.get('/api/v1/persons?family_name=%25');
    expect(onlyWildcard.status).toBe(400);
    expect(onlyWildcard.body.errors[0].field).toBe('query.family_name');
    expect((await t.get('/api/v1/persons?family_name=w_ldcard')).body.items).toEqual([]);
  });

  it('filters by the area of the current household, including the areas under it', async () => {
    const household = (await t.post('/api/v1/households', aHousehold('AM-R2-D2'))).body;
    const inRegion = await t.get('/api/v1/persons?area_code=AM-R2&limit=500');
    const ids = inRegion.body.items.map((p: { id: string }) => p.id);
    for (const m of household.members) expect(ids).toContain(m.person_id);
    const otherRegion = await t.get('/api/v1/persons?area_code=AM-R1&limit=500');
    expect(otherRegion.body.items.map((p: { id: string }) => p.id)).not.toContain(household.members[0].person_id);
  });

  it('needs identifier_type and identifier_value together, and a cursor it gave out', async () => {
    expect((await t.get('/api/v1/persons?identifier_type=UIN')).status).toBe(400);
    expect((await t.get('/api/v1/persons?cursor=bm90LWEtdXVpZA')).status).toBe(400);
  });

  it('answers 404 for an unknown person and 400 for a malformed id', async () => {
    expect((await t.get('/api/v1/persons/01890000-0000-7000-8000-000000000000')).status).toBe(404);
    const bad = await t.get('/api/v1/persons/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('path.id');
  });

  it('returns the first answer to a retried create with the same Idempotency-Key, also when retried concurrently', async () => {
    const id = uin();
    const body = aPerson({ given_name: 'Retry', identifiers: [{ type: 'UIN', value: id }] });
    const key = `key-${uin()}`;
    const responses = await Promise.all([1, 2, 3, 4].map(() => t.post('/api/v1/persons', body, { idempotencyKey: key })));
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(3);
    const found = await t.get(`/api/v1/persons?identifier_type=UIN&identifier_value=${id}`);
    expect(found.body.items).toHaveLength(1);
    const reused = await t.post('/api/v1/persons', aPerson({ given_name: 'Other' }), { idempotencyKey: key });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency.key_reused');
  });

  it('forgets idempotency keys after the configured days, so a late retry creates anew', async () => {
    const key = `old-${uin()}`;
    const first = await t.post('/api/v1/persons', aPerson({ given_name: 'Late' }), { idempotencyKey: key });
    await t.hub.db.query(`update idempotency_key set created_at = now() - interval '30 days' where key = $1`, [key]);
    const { expireIdempotencyKeys } = await import('../../../core/server/idempotency.js');
    expect(await expireIdempotencyKeys(t.hub.db, 7)).toBeGreaterThanOrEqual(1);
    const again = await t.post('/api/v1/persons', aPerson({ given_name: 'Late' }), { idempotencyKey: key });
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body.id).not.toBe(first.body.id);
  });
});
