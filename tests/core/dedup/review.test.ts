// The review path over the API: the registration-time search's blocks, the batch run, the queue (area-scoped),
// merge (identifiers, histories, memberships, redirect, idempotent retry, audit, event) and distinct (never again).
import { findCandidates, recordDuplicatePairs } from '../../../core/dedup/index.js';
import { aPerson, uin } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

let admin: Record<string, string>;

async function register(t: TestHub, area: string, person: Record<string, unknown>): Promise<{ personId: string; householdId: string }> {
  const res = await t.post('/api/v1/households', { area_code: area, members: [{ relationship: 'SELF', person }] }, { headers: admin });
  expect(res.status).toBe(201);
  return { personId: res.body.members[0].person_id, householdId: res.body.id };
}

async function runBatch(t: TestHub): Promise<Record<string, any>> {
  const started = await t.post('/api/v1/dedup/runs', undefined, { headers: admin });
  expect(started.status).toBe(202);
  for (;;) {
    const run = await t.get(`/api/v1/dedup/runs/${started.body.id}`, { headers: admin });
    if (run.body.status !== 'running') return run.body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The areas of registry-data.ts createAreas, created by an administrator (the hub checks tokens here). */
async function createAreasAs(t: TestHub): Promise<void> {
  for (const region of ['AM-R1', 'AM-R2']) {
    await t.post('/api/v1/admin-areas', { code: region, name: `Region ${region}` }, { headers: admin });
    for (const district of ['D1', 'D2']) {
      await t.post('/api/v1/admin-areas', { code: `${region}-${district}`, name: `District ${district}`, parent_code: region }, { headers: admin });
    }
  }
}

describe.each(dbEngines())('dedup review on %s', (engine) => {
  let t: TestHub;
  let original: { personId: string; householdId: string };
  let duplicate: { personId: string; householdId: string };
  const originalUin = uin();

  beforeAll(async () => {
    t = await startTestHub({ db: engine, env: { SRHUB_AUTH: 'on' } });
    admin = (await t.as(['administrator'])).headers;
    await createAreasAs(t);
    original = await register(t, 'AM-R1-D1', aPerson({ identifiers: [{ type: 'UIN', value: originalUin }], phone: '+999 712 345 678' }));
    // the same woman registered again elsewhere, her family name mistyped, without her national ID
    duplicate = await register(t, 'AM-R1-D2', aPerson({ family_name: 'Okelo' }));
    // someone else entirely
    await register(t, 'AM-R1-D1', aPerson({ given_name: 'Fatou', family_name: 'Diop', birth_date: '1990-02-02' }));
  }, 120_000);
  afterAll(() => t?.stop());

  test('blocking finds a person by identifier alone and by phone alone', async () => {
    const { db, secrets } = t.hub;
    // another name, no birth date, another area: only the identifier (blind index) or the phone can find her
    const stranger = { given_name: 'Mama', family_name: 'Junior', area_code: 'AM-R2-D1' };
    const [byId] = await findCandidates(db, secrets, [{ ref: 'by-id', ...stranger, area_code: 'AM-R1-D1', identifiers: [{ type: 'UIN', value: ` ${originalUin.toLowerCase()} ` }] }]);
    expect(byId).toMatchObject({ ref: 'by-id', personId: original.personId });
    expect(byId.reasons).toContain('identifier.UIN:agree');
    const [byPhone] = await findCandidates(db, secrets, [{ ref: 'by-phone', ...stranger, birth_date: '1985-04-12', sex: 'female', phone: '0712-345-678'.replace('0', '+999 ') }]);
    expect(byPhone).toMatchObject({ ref: 'by-phone', personId: original.personId });
    expect(byPhone.reasons).toContain('phone:agree');
    expect(await findCandidates(db, secrets, [{ ref: 'nobody', ...stranger }])).toEqual([]);
  });

  test('the registration-time search proposes the original for the duplicate, best first', async () => {
    const found = await findCandidates(t.hub.db, t.hub.secrets, [{ ref: 'r', ...aPerson({ family_name: 'Okelo' }), area_code: 'AM-R1-D2' }], {
      excludePersonIds: [duplicate.personId],
    });
    expect(found[0]).toMatchObject({ personId: original.personId, decision: 'match' });
  });

  test('a batch run queues the pair; reviewers see it only when both people are in their areas', async () => {
    const run = await runBatch(t);
    expect(run.status).toBe('finished');
    expect(run.stats.matches).toBeGreaterThanOrEqual(1);
    const national = await t.as(['registry_officer']);
    const list = await t.get('/api/v1/dedup/pairs', { headers: national.headers });
    expect(list.status).toBe(200);
    const pair = list.body.items.find((p: any) => [p.person_a, p.person_b].includes(duplicate.personId));
    // the workflow's duplicate check on registration may have queued it first; the batch then rescored it
    expect(pair).toMatchObject({ decision: 'match', status: 'open', source: expect.stringMatching(/^(batch|registration)$/) });
    expect(pair.persons.map((p: any) => p.id).sort()).toEqual([original.personId, duplicate.personId].sort());
    const district = await t.as(['registry_officer'], ['AM-R1-D1']);
    expect((await t.get('/api/v1/dedup/pairs', { headers: district.headers })).body.items).toEqual([]);
    expect((await t.get(`/api/v1/dedup/pairs/${pair.id}`, { headers: district.headers })).status).toBe(404);
    const fieldWorker = await t.as(['field_worker']);
    expect((await t.get('/api/v1/dedup/pairs', { headers: fieldWorker.headers })).status).toBe(403);
  });

  test('merge keeps identifiers, histories and the household; the merged id redirects; a retry changes nothing', async () => {
    const reviewer = await t.as(['registry_officer']);
    const [pair] = (await t.get(`/api/v1/dedup/pairs?person_id=${duplicate.personId}`, { headers: reviewer.headers })).body.items;
    const duplicateIds = (await t.get(`/api/v1/persons/${duplicate.personId}`, { headers: admin })).body.identifiers;
    const before = await t.hub.db.query<{ n: number }>(`select count(*)::int as n from outbox_event where topic = 'person.merged'`);

    const merged = await t.post(`/api/v1/dedup/pairs/${pair.id}/merge`, { survivor_id: original.personId, reason: 'same woman' }, { headers: reviewer.headers });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ survivor_id: original.personId, merged_id: duplicate.personId, changed: true, pair: { status: 'merged' } });

    const survivor = (await t.get(`/api/v1/persons/${original.personId}`, { headers: admin })).body;
    expect(survivor.identifiers.map((i: any) => i.value).sort()).toEqual([originalUin, ...duplicateIds.map((i: any) => i.value)].sort());
    expect(survivor.household.household_id).toBe(original.householdId);

    const redirect = await fetch(`${t.url}/api/v1/persons/${duplicate.personId}`, { redirect: 'manual', headers: admin });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe(`/api/v1/persons/${original.personId}`);
    expect((await redirect.json()).survivor_id).toBe(original.personId);

    const survivorHistory = (await t.get(`/api/v1/persons/${original.personId}/history`, { headers: admin })).body.items;
    expect(survivorHistory[0].changes.merged_from).toEqual({ from: null, to: duplicate.personId });
    const mergedHistory = (await t.get(`/api/v1/persons/${duplicate.personId}/history`, { headers: admin })).body.items;
    expect(mergedHistory.map((h: any) => h.version)).toEqual([2, 1]); // its own history kept, the merge on top
    expect(mergedHistory[0].changes.merged_into).toEqual({ from: null, to: original.personId });

    // the duplicate's household of one leaves the registry as a duplicate
    const household = (await t.get(`/api/v1/households/${duplicate.householdId}`, { headers: admin })).body;
    expect(household.deregistration_reason).toBe('duplicate');
    // lists leave the merged record out
    const listed = (await t.get('/api/v1/persons?family_name=okel&limit=50', { headers: admin })).body.items.map((p: any) => p.id);
    expect(listed).toContain(original.personId);
    expect(listed).not.toContain(duplicate.personId);

    const retry = await t.post(`/api/v1/dedup/pairs/${pair.id}/merge`, { survivor_id: original.personId }, { headers: reviewer.headers });
    expect(retry.status).toBe(200);
    expect(retry.body.changed).toBe(false);
    const otherWay = await t.post(`/api/v1/dedup/pairs/${pair.id}/merge`, { survivor_id: duplicate.personId }, { headers: reviewer.headers });
    expect(otherWay.status).toBe(409);
    const distinct = await t.post(`/api/v1/dedup/pairs/${pair.id}/distinct`, {}, { headers: reviewer.headers });
    expect(distinct.status).toBe(409);

    const events = await t.hub.db.query<{ payload: any }>(`select payload from outbox_event where topic = 'person.merged' order by id`);
    expect(events.length - before[0].n).toBe(1);
    expect(events[events.length - 1].payload).toMatchObject({ survivor_id: original.personId, merged_id: duplicate.personId });
    const audit = await t.hub.db.query<{ subject_person_id: string }>(
      `select subject_person_id from audit_log where action = 'update' and entity = 'person' and subject_person_id = any($1::uuid[])`,
      [[original.personId, duplicate.personId]],
    );
    expect(new Set(audit.map((a) => a.subject_person_id))).toEqual(new Set([original.personId, duplicate.personId]));
    // a merged record is not proposed again
    const again = await findCandidates(t.hub.db, t.hub.secrets, [{ ref: 'r', ...aPerson({ family_name: 'Okelo' }) }]);
    expect(again.map((c) => c.personId)).not.toContain(duplicate.personId);
  });

  test('a pair marked distinct is never proposed again', async () => {
    const a = await register(t, 'AM-R2-D1', aPerson({ given_name: 'Grace', family_name: 'Banda', birth_date: '1970-03-03' }));
    const b = await register(t, 'AM-R2-D1', aPerson({ given_name: 'Grace', family_name: 'Bando', birth_date: '1970-03-03' }));
    // keys lost (a restore, a write path that skipped them): the batch writes them again before blocking
    await t.hub.db.query('delete from dedup_match_key where person_id = $1', [b.personId]);
    const run = await runBatch(t);
    expect(run.stats.keysRefreshed).toBe(1);
    expect(await t.hub.db.query('select phonetic_key from dedup_match_key where person_id = $1', [b.personId])).toHaveLength(1);
    const reviewer = await t.as(['registry_officer']);
    const [pair] = (await t.get(`/api/v1/dedup/pairs?person_id=${a.personId}`, { headers: reviewer.headers })).body.items;
    expect([pair.person_a, pair.person_b].sort()).toEqual([a.personId, b.personId].sort());
    const marked = await t.post(`/api/v1/dedup/pairs/${pair.id}/distinct`, { reason: 'sisters-in-law' }, { headers: reviewer.headers });
    expect(marked.status).toBe(200);
    expect(marked.body).toMatchObject({ status: 'distinct', decision_reason: 'sisters-in-law' });
    expect((await t.post(`/api/v1/dedup/pairs/${pair.id}/distinct`, {}, { headers: reviewer.headers })).status).toBe(200);

    await runBatch(t);
    await t.hub.db.transaction((tx) =>
      recordDuplicatePairs(tx, [{ personA: b.personId, personB: a.personId, score: 99, decision: 'match', reasons: [] }], 'registration'),
    );
    const open = (await t.get(`/api/v1/dedup/pairs?person_id=${a.personId}`, { headers: reviewer.headers })).body.items;
    expect(open).toEqual([]);
    const rows = await t.hub.db.query('select status, score from duplicate_pair where id = $1', [pair.id]);
    expect(rows).toEqual([{ status: 'distinct', score: pair.score }]);
  });

  test('settings: administrators only, checked, versioned', async () => {
    const officer = await t.as(['registry_officer']);
    expect((await t.get('/api/v1/dedup/settings', { headers: officer.headers })).status).toBe(403);
    const current = await t.get('/api/v1/dedup/settings', { headers: admin });
    expect(current.status).toBe(200);
    const settings = structuredClone(current.body.settings);
    settings.thresholds.possible_match = settings.thresholds.match + 1;
    const refused = await t.request('PUT', '/api/v1/dedup/settings', settings, { headers: admin, ifMatch: current.body.version });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].field).toBe('body.thresholds.match');
    settings.thresholds.possible_match = 11;
    const saved = await t.request('PUT', '/api/v1/dedup/settings', settings, { headers: admin, ifMatch: current.body.version });
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(current.body.version + 1);
    const stale = await t.request('PUT', '/api/v1/dedup/settings', settings, { headers: admin, ifMatch: current.body.version });
    expect(stale.status).toBe(412);
    expect((await t.get('/api/v1/dedup/settings', { headers: admin })).body.settings.thresholds.possible_match).toBe(11);
  });
});
