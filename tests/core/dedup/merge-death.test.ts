// A merge carries a death: the merged record's death date goes to a survivor without one (with the DEATH event its
// subscribers expect), a death before the survivor's birth is refused, and the civil registry's records applied to
// the merged record name the survivor afterwards (a later version of the same death finds the person).
import { randomUUID } from 'node:crypto';
import { recordDuplicatePairs } from '../../../core/dedup/index.js';
import { aPerson } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

describe.each(apiEngines())('a merge and a death, on %s', (db) => {
  let t: TestHub;
  let admin: Record<string, string>;
  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_AUTH: 'on' } });
    admin = (await t.as(['administrator', 'registry_officer'])).headers;
    await t.post('/api/v1/admin-areas', { code: 'MD', name: 'Merge District' }, { headers: admin });
  }, 120_000);
  afterAll(() => t?.stop());

  async function register(person: Record<string, unknown>): Promise<{ id: string; version: number }> {
    const res = await t.post('/api/v1/households', { area_code: 'MD', members: [{ relationship: 'SELF', person }] }, { headers: admin });
    expect(res.status).toBe(201);
    const id = res.body.members[0].person_id;
    return { id, version: (await t.get(`/api/v1/persons/${id}`, { headers: admin })).body.version };
  }
  async function die(person: { id: string; version: number }, date: string): Promise<void> {
    const res = await t.patch(`/api/v1/persons/${person.id}`, { death_date: date }, { headers: admin, ifMatch: person.version });
    expect(res.status).toBe(200);
  }
  async function merge(survivorId: string, mergedId: string) {
    await t.hub.db.transaction((tx) => recordDuplicatePairs(tx, [{ personA: survivorId, personB: mergedId, score: 25, decision: 'match', reasons: ['name:exact'] }], 'manual'));
    const [pair] = await t.hub.db.query<{ id: string }>('select id from duplicate_pair where $1::uuid in (person_a, person_b) and $2::uuid in (person_a, person_b)', [survivorId, mergedId]);
    return t.post(`/api/v1/dedup/pairs/${pair.id}/merge`, { survivor_id: survivorId }, { headers: admin });
  }
  const deaths = async (personId: string) =>
    Number((await t.hub.db.query<{ n: number }>(`select count(*)::int as n from outbox_event where topic = 'person.deceased' and aggregate_id = $1`, [personId]))[0].n);

  it("gives the survivor the merged record's death date, its DEATH event and the civil registry's records", async () => {
    const survivor = await register(aPerson({ given_name: 'Rehema', family_name: 'Kato', birth_date: '1950-02-02' }));
    const merged = await register(aPerson({ given_name: 'Rehema', family_name: 'Katto', birth_date: '1950-02-02' }));
    await die(merged, '2024-05-06');
    const resource = `death-${randomUUID()}`;
    await t.hub.db.query(
      `insert into civil_registry_record (system, resource_type, resource_id, version_id, event, outcome, person_id) values ('crvs', 'Observation', $1, '1', 'death', 'applied', $2)`,
      [resource, merged.id],
    );
    expect(await deaths(survivor.id)).toBe(0);
    const res = await merge(survivor.id, merged.id);
    expect(res.status).toBe(200);
    const after = (await t.get(`/api/v1/persons/${survivor.id}`, { headers: admin })).body;
    expect(after.death_date).toBe('2024-05-06');
    expect(await deaths(survivor.id)).toBe(1);
    const history = (await t.get(`/api/v1/persons/${survivor.id}/history`, { headers: admin })).body;
    expect(JSON.stringify(history)).toContain('2024-05-06');
    const [record] = await t.hub.db.query<{ person_id: string }>('select person_id from civil_registry_record where resource_id = $1', [resource]);
    expect(record.person_id).toBe(survivor.id);
  });

  it("keeps the survivor's own death date, and refuses a death before the survivor's birth", async () => {
    const survivor = await register(aPerson({ given_name: 'Juma', family_name: 'Obura', birth_date: '1940-01-01' }));
    const merged = await register(aPerson({ given_name: 'Juma', family_name: 'Oburra', birth_date: '1940-01-01' }));
    await die(survivor, '2023-01-01');
    await die(merged, '2023-02-02');
    expect((await merge(survivor.id, merged.id)).status).toBe(200);
    expect((await t.get(`/api/v1/persons/${survivor.id}`, { headers: admin })).body.death_date).toBe('2023-01-01');
    expect(await deaths(survivor.id)).toBe(1); // its own, from the PATCH: the merge adds none

    const young = await register(aPerson({ given_name: 'Neema', family_name: 'Wafula', birth_date: '2001-01-01' }));
    const old = await register(aPerson({ given_name: 'Neema', family_name: 'Wafulla', birth_date: '1930-01-01' }));
    await die(old, '1999-12-31');
    const refused = await merge(young.id, old.id);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('dedup.death_before_birth');
    expect((await t.get(`/api/v1/persons/${young.id}`, { headers: admin })).body.death_date).toBeNull();
  });
});
