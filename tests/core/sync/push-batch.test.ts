// A push runs in chunks, one transaction each, with a savepoint per update (chunks: push-crash.test.ts): bad items among many are rejected alone
// (their writes undone, nothing of them in the audit log or the outbox) while the rest are applied and answered; a
// UUID repeated inside one batch is taken once; the audit chain still verifies. On PGlite + memory, and PostgreSQL +
// Redis where they run.
import { verifyChain } from '../../../core/audit/chain.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { dbEngines, redisUrl, type CacheEngineName, type DbEngineName } from '../../helpers/services.js';
import { randomUUID } from 'node:crypto';
import { anAnsweredHousehold } from '../forms/form-data.js';

const FORM = { id: 'household-socioeconomic', version: 1 };
const newItem = (household: unknown) => ({ client_id: randomUUID(), captured_at: new Date().toISOString(), form: FORM, kind: 'new' as const, household });
const updateItem = (householdId: string, baseVersion: number, changes: unknown) =>
  ({ client_id: randomUUID(), captured_at: new Date().toISOString(), form: FORM, kind: 'update' as const, household_id: householdId, base_version: baseVersion, changes });

const engines: [DbEngineName, CacheEngineName][] = dbEngines().map((db) => [db, db === 'postgres' && redisUrl() ? 'redis' : 'memory']);

describe.each(engines)('sync push of a batch on %s + %s', (db, cache) => {
  let t: TestHub;
  let worker: Record<string, string>;
  const push = (items: unknown[]) => t.post('/api/v1/sync/push', { device_id: 'device-batch', items }, { headers: worker });
  const count = async (sql: string, params: unknown[]) => (await t.hub.db.query<{ n: number }>(sql, params))[0].n;

  beforeAll(async () => {
    t = await startTestHub({ db, cache, env: { SRHUB_AUTH: 'on', SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '100000' } });
    const admin = await t.as(['administrator']);
    await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' }, { headers: admin.headers });
    await t.post('/api/v1/admin-areas', { code: 'AM-R1-D1', name: 'D1', parent_code: 'AM-R1' }, { headers: admin.headers });
    await t.post('/api/v1/admin-areas', { code: 'AM-R2', name: 'R2' }, { headers: admin.headers });
    // a fresh connection per request (see sync.test.ts)
    worker = { ...(await t.as(['field_worker'], ['AM-R1'])).headers, connection: 'close' };
  }, 120_000);
  afterAll(() => t.stop());

  it('rejects bad items among many alone, and applies and answers the rest', async () => {
    // a household to update, registered through the workflow
    const seed = await push([newItem(anAnsweredHousehold())]);
    await t.hub.workflow.settle();
    const [{ household_id: householdId }] = await t.hub.db.query<{ household_id: string }>('select household_id from registration_case where id = $1', [seed.body.results[0].case_id]);

    const n = 40;
    const items: unknown[] = Array.from({ length: n }, () => newItem(anAnsweredHousehold()));
    const badForm = anAnsweredHousehold();
    (badForm.attributes as Record<string, unknown>).dwelling_wall = 'marble';
    items[3] = newItem(badForm);
    items[n - 2] = newItem(anAnsweredHousehold('AM-R2'));
    // fails after its household change was written (an unknown member): the change must be undone with it
    items[7] = updateItem(householdId, 1, { household: { address: 'Undone' }, persons: [{ person_id: '00000000-0000-4000-8000-000000000001', base_version: 1, changes: { given_name: 'X' } }] });
    // applied in the same chunk as the failed one
    items[8] = updateItem(householdId, 1, { household: { attributes: { rooms: 6 } } });
    const eventsBefore = await count(`select count(*)::int as n from outbox_event where topic = 'registration.submitted'`, []);

    const res = await push(items);
    expect(res.status).toBe(200);
    const results = res.body.results as { client_id: string; status: string; case_id?: string; errors?: { field: string }[] }[];
    expect(results.map((r) => r.client_id)).toEqual(items.map((i) => (i as { client_id: string }).client_id));
    const bad = new Set([3, 7, n - 2]);
    results.forEach((r, i) => expect([i, r.status]).toEqual([i, bad.has(i) ? 'rejected' : 'accepted']));
    expect(results[3].errors).toContainEqual({ field: 'body.items[3].household.attributes.dwelling_wall', message: expect.stringContaining('must be one of') });
    expect(results[7].errors).toEqual([{ field: 'body.items[7].changes.persons[0].person_id', message: 'is not a current member of this household' }]);
    expect(results[n - 2].errors).toEqual([{ field: `body.items[${n - 2}].household.area_code`, message: 'AM-R2 is not one of your assigned areas' }]);

    // one case per accepted registration, none for the rejected ones; one event each, and none for what was undone
    const accepted = results.filter((r, i) => r.status === 'accepted' && i !== 8);
    const caseIds = accepted.map((r) => r.case_id);
    expect(new Set(caseIds).size).toBe(n - 4);
    expect(await count(`select count(*)::int as n from registration_case where client_ref = any($1::text[])`, [results.map((r) => r.client_id)])).toBe(n - 4);
    expect(await count(`select count(*)::int as n from outbox_event where topic = 'registration.submitted'`, [])).toBe(eventsBefore + n - 4);
    const household = (await t.hub.db.query<{ address: string; version: number; attributes: { rooms: number } }>('select address, version, attributes from household where id = $1', [householdId]))[0];
    expect(household).toMatchObject({ address: 'Near the blue water tower', version: 2, attributes: { rooms: 6 } });
    expect(await count(`select count(*)::int as n from audit_log where entity = 'registration_case' and action = 'create' and entity_id = any($1::text[])`, [caseIds])).toBe(n - 4);
    expect(await verifyChain(t.hub.db)).toMatchObject({ valid: true });

    // every answer is stored: the same batch again answers each item as the first time
    const again = await push(items);
    expect(again.body.results.map((r: { status: string; first_status: string }) => r.first_status)).toEqual(results.map((r) => r.status));
    expect(again.body.results.every((r: { status: string }) => r.status === 'duplicate')).toBe(true);
    expect(again.body.results[7].errors).toEqual(results[7].errors);
  }, 180_000);

  it('takes a UUID repeated inside one batch once, and refuses it with other content', async () => {
    const item = newItem(anAnsweredHousehold());
    const res = await push([item, newItem(anAnsweredHousehold()), item, { ...item, household: anAnsweredHousehold() }]);
    const results = res.body.results as { status: string; first_status?: string; case_id?: string; errors?: unknown[] }[];
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'duplicate', 'rejected']);
    expect(results[2]).toMatchObject({ first_status: 'accepted', case_id: results[0].case_id });
    expect(results[3].errors).toEqual([{ field: 'body.items[3].client_id', message: expect.stringContaining('different content') }]);
    expect(await count('select count(*)::int as n from registration_case where client_ref = $1', [item.client_id])).toBe(1);
  });

  it('stores the answer under the UUID whatever its letter case', async () => {
    const item = { ...newItem(anAnsweredHousehold()), client_id: randomUUID().toUpperCase() };
    expect((await push([item])).body.results[0].status).toBe('accepted');
    const again = await push([item]);
    expect(again.body.results[0]).toMatchObject({ status: 'duplicate', first_status: 'accepted' });
  });
});
