import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aHousehold, aPerson, createAreas, uin } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';

describe.each(dbEngines())('bulk registration on %s', (db) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ db });
    await createAreas(t);
  });
  afterAll(() => t.stop());

  const count = async (area: string) => {
    let n = 0;
    let cursor: string | null = null;
    do {
      const page: { body: { items: unknown[]; next_cursor: string | null } } = await t.get(`/api/v1/households?area_code=${area}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      n += page.body.items.length;
      cursor = page.body.next_cursor;
    } while (cursor);
    return n;
  };

  it('writes a whole batch and answers with each id by index', async () => {
    const households = Array.from({ length: 500 }, () => aHousehold('AM-R1-D2'));
    const res = await t.post('/api/v1/households:bulk', { households });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 500, rejected: 0, errors: [] });
    expect(res.body.households.map((h: { index: number }) => h.index)).toEqual(households.map((_, i) => i));
    const one = (await t.get(`/api/v1/households/${res.body.households[321].id}`)).body;
    expect(one).toMatchObject({ size: 3, channel: 'bulk_import' });
    expect(await count('AM-R1-D2')).toBe(500);
  });

  it('rejects the whole batch on one bad household by default, naming it by index', async () => {
    const households = Array.from({ length: 20 }, () => aHousehold('AM-R2-D2'));
    households[13] = aHousehold('AM-R2-D2', { members: [{ relationship: 'SELF', person: aPerson({ birth_date: '2999-12-31' }) }] });
    const res = await t.post('/api/v1/households:bulk', { households });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ index: 13, field: 'body.households[13].members[0].person.birth_date', message: expect.any(String) }]);
    expect(await count('AM-R2-D2')).toBe(0);
  });

  it('with skip_invalid writes the valid households and reports the others', async () => {
    const shared = uin();
    const households = [
      aHousehold('AM-R2-D1', { members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: shared }] }) }] }),
      aHousehold('NOWHERE'),
      aHousehold('AM-R2-D1', { members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: shared }] }) }] }),
      aHousehold('AM-R2-D1'),
    ];
    const res = await t.post('/api/v1/households:bulk', { households, on_error: 'skip_invalid' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 2, rejected: 2 });
    expect(res.body.households.map((h: { index: number }) => h.index)).toEqual([0, 3]);
    expect(res.body.errors.map((e: { index: number; field: string }) => [e.index, e.field])).toEqual([
      [1, 'body.households[1].area_code'],
      [2, 'body.households[2].members[0].person.identifiers[0].value'],
    ]);
    expect(await count('AM-R2-D1')).toBe(2);
  });

  it('with skip_invalid, a household rejected for another reason does not claim its identifiers', async () => {
    const shared = uin();
    const households = [
      aHousehold('NOWHERE', { members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: shared }] }) }] }),
      aHousehold('AM-R2-D2', { members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: shared }] }) }] }),
    ];
    const res = await t.post('/api/v1/households:bulk', { households, on_error: 'skip_invalid' });
    expect(res.body).toMatchObject({ created: 1, rejected: 1 });
    expect(res.body.households.map((h: { index: number }) => h.index)).toEqual([1]);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.households[0].area_code']);
  });

  it('refuses more than 10,000 households and an empty batch', async () => {
    expect((await t.post('/api/v1/households:bulk', { households: [] })).status).toBe(400);
    const tooMany = Array.from({ length: 10_001 }, () => ({ area_code: 'AM-R1-D1', members: [{ relationship: 'SELF', person: { given_name: 'A' } }] }));
    const res = await t.post('/api/v1/households:bulk', { households: tooMany });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('body.households');
  });

  it('replays a retried batch with the same Idempotency-Key without writing it twice', async () => {
    const households = Array.from({ length: 50 }, () => aHousehold('AM-R1-D1'));
    const key = `bulk-${uin()}`;
    const first = await t.post('/api/v1/households:bulk', { households }, { idempotencyKey: key });
    const again = await t.post('/api/v1/households:bulk', { households }, { idempotencyKey: key });
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await count('AM-R1-D1')).toBe(50);
  });
});
