// Data quality on a crafted set: completeness per field, stale records, unverified identities, open duplicate pairs,
// sync conflicts and validation failures, by area and by field worker; thresholds raise alerts (and
// data_quality.alert events) once, resolve when the data is fixed, and are seen only in the caller's areas.
import { randomUUID } from 'node:crypto';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aPerson, uin } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';
import type { Headers } from './fixtures.js';

interface Registered { id: string; version: number; created_by: string; members: { person_id: string }[] }

describe.each(dbEngines())('data quality on %s', (db) => {
  let t: TestHub;
  let admin: Headers;
  let fw1: Headers;
  let fw2: Headers;
  const hh: Record<'a' | 'b' | 'c' | 'd', Registered> = {} as never;

  const register = async (headers: Headers, body: Record<string, unknown>) => {
    const res = await t.post('/api/v1/households', { area_code: 'DQ-1', household_type: 'family', ...body }, { headers });
    expect(res.status).toBe(201);
    return res.body as Registered;
  };
  // people nobody would take for one another, so deduplication queues no pair of its own
  let n = 0;
  const self = () => {
    n += 1;
    return { relationship: 'SELF', person: aPerson({ given_name: ['Achieng', 'Baraka', 'Chebet', 'Dalmas', 'Esther'][n % 5], family_name: ['Wanjiru', 'Mutua', 'Kiprop', 'Otieno', 'Njeri'][n % 5],
      birth_date: `19${60 + n}-0${1 + (n % 9)}-1${n % 10}`, sex: n % 2 ? 'male' : 'female', identifiers: [{ type: 'UIN', value: uin() }] }) };
  };

  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_AUTH: 'on' } });
    admin = (await t.as(['administrator'])).headers;
    for (const area of [{ code: 'DQ', name: 'Quality' }, { code: 'DQ-1', name: 'Quality 1', parent_code: 'DQ' }, { code: 'OK', name: 'Other' }]) {
      expect((await t.post('/api/v1/admin-areas', area, { headers: admin })).status).toBe(201);
    }
    fw1 = (await t.as(['field_worker'], ['DQ'])).headers;
    fw2 = (await t.as(['field_worker'], ['DQ'])).headers;
    // 4 households, 5 persons: addresses 2/4, locations 3/4, birth dates 4/5
    hh.a = await register(fw1, { address: 'Plot 1', location: { latitude: 1, longitude: 2 },
      members: [self(), { relationship: 'SON', person: aPerson({ given_name: 'Faraji', family_name: 'Wekesa', sex: 'male', birth_date: undefined }) }] });
    hh.b = await register(fw1, { members: [self()] });
    hh.c = await register(fw2, { address: 'Plot 3', location: { latitude: 1, longitude: 2 }, members: [self()] });
    hh.d = await register(fw2, { location: { latitude: 1, longitude: 2 }, members: [self()] });
    const other = (await t.as(['registry_officer'])).headers;
    expect((await t.post('/api/v1/households', { area_code: 'OK', address: 'Fine', location: { latitude: 0, longitude: 0 }, members: [self()] }, { headers: other })).status).toBe(201);

    const sql = t.hub.db;
    // c not touched for 13 months
    await sql.query(`update household set updated_at = now() - interval '13 months' where id = $1`, [hh.c.id]);
    // a's head verified, b's head checked and not matched
    await sql.query(
      `insert into person_verification (id, person_id, method, system, result, recorded_by) values ($1, $2, 'demographic_auth', 'test', 'match', 'test'), ($3, $4, 'demographic_auth', 'test', 'mismatch', 'test')`,
      [randomUUID(), hh.a.members[0].person_id, randomUUID(), hh.b.members[0].person_id]);
    // a and c's heads may be one person: an open pair in the review queue
    await t.hub.workflow.settle();
    expect(await sql.query(`select id from duplicate_pair`)).toEqual([]);
    const [pa, pb] = [hh.a.members[0].person_id, hh.c.members[0].person_id].sort();
    await sql.query(`insert into duplicate_pair (id, person_a, person_b, score, decision, source) values ($1, $2, $3, 12.5, 'possible_match', 'batch')`, [randomUUID(), pa, pb]);
    // a sync conflict on d, pushed by fw2
    const clientId = randomUUID();
    await sql.query(
      `insert into sync_submission (client_id, principal_id, device_id, captured_at, kind, household_id, item_hash, outcome, result_sealed)
       values ($1, $2, 'device-1', now(), 'update', $3, 'h', 'conflict', 'sealed')`, [clientId, hh.d.created_by, hh.d.id]);
    await sql.query(
      `insert into sync_conflict (id, client_id, household_id, entity, entity_id, field, base_version, server_version, values_sealed)
       values ($1, $2, $3, 'household', $3, 'address', 1, 2, 'sealed')`, [randomUUID(), clientId, hh.d.id]);
    // a registration case by fw1 whose form check failed on a birth date
    await sql.query(
      `insert into registration_case (id, kind, status, channel, area_code, data_sealed, submitted_by, submitted_by_kind, checks)
       values ($1, 'registration', 'rejected', 'mobile', 'DQ-1', 'sealed', $2, 'user', $3::jsonb)`,
      [randomUUID(), hh.a.created_by, JSON.stringify([{ check: 'form-validation', outcome: 'failed', reason: 'form_invalid',
        details: { errors: [{ field: 'body.members[0].person.birth_date', message: 'is required' }] } }])]);
  }, 240_000);
  afterAll(() => t.stop());

  it('measures completeness, staleness, verification, duplicates, conflicts and validation failures by area', async () => {
    const res = await t.get('/api/v1/data-quality?area_code=DQ&level=0', { headers: admin });
    expect(res.status).toBe(200);
    expect(res.body.sources).toEqual({ verification: true, duplicates: true, sync_conflicts: true, validation_failures: true });
    expect(res.body.rows).toHaveLength(1);
    expect(res.body.rows[0]).toMatchObject({
      area_code: 'DQ', households: 4, persons: 5, stale_households: 1, stale_persons: 0, unverified_persons: 4,
      open_duplicates: 1, sync_conflicts: 1, validation_failures: 1,
      'complete.household.address': 0.5, 'complete.household.location': 0.75, 'complete.person.birth_date': 0.8,
      'complete.person.given_name': 1, 'complete.person.identifier': 0.8,
    });
    expect(res.body.validation_failures_by_field).toEqual([{ field: 'body.members[0].person.birth_date', failures: 1 }]);
    // months: nothing is 14 months old
    expect((await t.get('/api/v1/data-quality?area_code=DQ&level=0&months=14', { headers: admin })).body.rows[0].stale_households).toBe(0);
  });

  it('breaks the same figures down by field worker', async () => {
    const res = await t.get('/api/v1/data-quality?area_code=DQ&by=field_worker', { headers: admin });
    expect(res.status).toBe(200);
    const of = (who: string) => res.body.rows.find((r: { field_worker: string }) => r.field_worker === who);
    expect(of(hh.a.created_by)).toMatchObject({ households: 2, persons: 3, 'complete.household.address': 0.5, validation_failures: 1, sync_conflicts: 0, open_duplicates: 1 });
    expect(of(hh.c.created_by)).toMatchObject({ households: 2, persons: 2, 'complete.household.address': 0.5, stale_households: 1, sync_conflicts: 1 });
    expect(res.body.totals).toMatchObject({ households: 4, persons: 5 });
    const csv = await t.get('/api/v1/data-quality?area_code=DQ&by=field_worker&format=csv', { headers: admin });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.body.split('\r\n')[0]).toMatch(/^field_worker,households,persons,/);
    // by form: registered through the API, none of them with a form
    const byForm = await t.get('/api/v1/data-quality?area_code=DQ&by=form', { headers: admin });
    expect(byForm.body.rows).toEqual([expect.objectContaining({ form: '(none)', households: 4, persons: 5, validation_failures: 1 })]);
  });

  it('raises an alert per crossed threshold once, emits data_quality.alert, and resolves it when the data is fixed', async () => {
    const bad = await t.request('PUT', '/api/v1/data-quality/thresholds', { thresholds: [{ metric: 'completeness', field: 'household.nickname', limit: 0.9 }] }, { headers: admin });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('body.thresholds[0].field');
    const set = await t.request('PUT', '/api/v1/data-quality/thresholds', { thresholds: [
      { metric: 'completeness', field: 'household.address', limit: 0.9 },
      { metric: 'open_duplicates', limit: 0 },
      { metric: 'stale_records', limit: 0.5, months: 12 },
    ] }, { headers: admin });
    expect(set.status).toBe(200);
    expect(set.body.items).toHaveLength(3);

    const evaluate = () => t.post('/api/v1/data-quality/alerts:evaluate', undefined, { headers: admin });
    expect((await evaluate()).body).toEqual({ raised: 2, resolved: 0, open: 2 });
    expect((await evaluate()).body).toEqual({ raised: 0, resolved: 0, open: 2 });
    const alerts = (await t.get('/api/v1/data-quality/alerts', { headers: admin })).body.items;
    expect(alerts.map((a: { metric: string; area_code: string }) => `${a.metric}@${a.area_code}`).sort()).toEqual(['completeness@DQ', 'open_duplicates@DQ']);
    expect(alerts.find((a: { metric: string }) => a.metric === 'completeness')).toMatchObject({ field: 'household.address', value: 0.5, limit: 0.9, resolved_at: null });
    const events = await t.hub.db.query<{ payload: { metric: string; area_code: string } }>(`select payload from outbox_event where topic = 'data_quality.alert' order by id`);
    expect(events.map((e) => `${e.payload.metric}@${e.payload.area_code}`).sort()).toEqual(['completeness@DQ', 'open_duplicates@DQ']);

    // an administrator limited to another area sees none of them
    const elsewhere = (await t.as(['administrator'], ['OK'])).headers;
    expect((await t.get('/api/v1/data-quality/alerts', { headers: elsewhere })).body.items).toEqual([]);
    // a policymaker reads reports but does not get the alerts
    expect((await t.get('/api/v1/data-quality/alerts', { headers: (await t.as(['policymaker'])).headers })).status).toBe(403);

    for (const h of [hh.b, hh.d]) {
      expect((await t.patch(`/api/v1/households/${h.id}`, { address: 'Found it' }, { headers: fw1, ifMatch: h.version })).status).toBe(200);
    }
    expect((await evaluate()).body).toEqual({ raised: 0, resolved: 1, open: 1 });
    const all = (await t.get('/api/v1/data-quality/alerts?status=all', { headers: admin })).body.items;
    expect(all.find((a: { metric: string }) => a.metric === 'completeness').resolved_at).not.toBeNull();
    expect((await t.get('/api/v1/data-quality/alerts?status=resolved', { headers: admin })).body.items).toHaveLength(1);
    // no new event for a resolution, nor for an alert still open
    expect(await t.hub.db.query(`select id from outbox_event where topic = 'data_quality.alert'`)).toHaveLength(2);
  });
});
