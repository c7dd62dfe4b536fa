// Programs: eligibility materialised on activation (rules, ranking lowest score first, quota, budget) equal to a JS
// reference; events for every change; the eligible list area-scoped, paged, audited and exportable as CSV; one
// household's eligibility with the reason for each rule; rule changes and registry changes followed; quota programs
// recomputed once per settled burst of changes (debounced), equal to a full recompute.
import { refreshEligibility } from '../../../core/programs/eligibility.js';
import { recomputeDirtyPrograms } from '../../../core/programs/recompute.js';
import { dbEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { featuresOf, MODEL_V1, referenceScore, registerSmallSet, type Registered } from '../assessment/fixtures.js';

describe.each(dbEngines())('programs and eligibility on %s', (db) => {
  let t: TestHub;
  let admin: Record<string, string>;
  let households: Registered[];
  let modelId: string;
  /** Households by score, lowest first (ties by id), as the hub ranks them. */
  let ranked: (Registered & { score: number })[];

  beforeAll(async () => {
    // quota programs wait for an explicit recompute here (the debounce test decides when)
    t = await startTestHub({ db, env: { SRHUB_AUTH: 'on', SRHUB_ELIGIBILITY_SETTLE_MS: '3600000', SRHUB_ELIGIBILITY_MAX_DELAY_MS: '3600000' } });
    admin = (await t.as(['administrator'])).headers;
    for (const region of ['AM-R1', 'AM-R2']) {
      await t.post('/api/v1/admin-areas', { code: region, name: region }, { headers: admin });
      for (const d of ['D1', 'D2']) await t.post('/api/v1/admin-areas', { code: `${region}-${d}`, name: d, parent_code: region }, { headers: admin });
    }
    households = await registerSmallSet(t, admin);
    modelId = (await t.post('/api/v1/assessment-models', { code: 'pmt', name: 'PMT', definition: MODEL_V1 }, { headers: admin })).body.id;
    await t.post(`/api/v1/assessment-models/${modelId}/versions/1/publish`, undefined, { headers: admin });
    await t.hub.assessment.settle();
    await t.hub.outbox.drain();
    ranked = households
      .map((h) => ({ ...h, score: referenceScore(MODEL_V1, h).score }))
      .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : 1));
    // registering the set through the API takes a while on a busy machine
  }, 180_000);
  afterAll(() => t.stop());

  const eligibility = async (programId: string) =>
    t.hub.db.query<{ household_id: string; eligible: boolean }>(
      'select household_id, eligible from household_eligibility where program_id = $1 order by rank_key, household_id', [programId]);
  const events = async (programId: string) =>
    (await t.hub.db.query<{ aggregate_id: string; payload: { household_id: string; program_id: string; eligible: boolean } }>(
      `select aggregate_id, payload from outbox_event where topic = 'household.eligibility_changed' and payload->>'program_id' = $1 order by id`, [programId]))
      .map((e) => e.payload);
  const create = async (body: Record<string, unknown>) => {
    const res = await t.post('/api/v1/programs', body, { headers: admin });
    expect(res.status).toBe(201);
    const activated = await t.post(`/api/v1/programs/${res.body.id}/activate`, undefined, { headers: admin });
    expect(activated.status).toBe(200);
    return activated.body;
  };

  it('ranks by score and takes households within the quota: the rest pass the rules but wait', async () => {
    const program = await create({ code: 'cash', name: 'Cash transfer', model_id: modelId, rules: [{ name: 'poor', expression: 'score < threshold' }], max_households: 3 });
    const passing = ranked.filter((h) => h.score < MODEL_V1.threshold!);
    expect(passing.length).toBeGreaterThan(3);
    const rows = await eligibility(program.id);
    expect(rows).toEqual(passing.map((h, i) => ({ household_id: h.id, eligible: i < 3 })));
    expect(program.eligible_households).toBe(3);
    expect((await events(program.id)).sort((a, b) => (a.household_id < b.household_id ? -1 : 1)))
      .toEqual(passing.slice(0, 3).map((h) => ({ household_id: h.id, program_id: program.id, eligible: true })).sort((a, b) => (a.household_id < b.household_id ? -1 : 1)));
  });

  it('takes households in rank order while the budget lasts (benefit per household and per member)', async () => {
    const program = await create({ code: 'budget', name: 'Budget', model_id: modelId, rules: [], budget: 500, benefit_per_household: 100, benefit_per_member: 20 });
    let spent = 0;
    const want = ranked.map((h) => {
      spent += 100 + 20 * h.members.length;
      return { household_id: h.id, eligible: spent <= 500 };
    });
    expect(await eligibility(program.id)).toEqual(want);
    expect(want.filter((w) => w.eligible).length).toBeGreaterThan(0);
  });

  it('lists the eligible households area-scoped, paged in rank order, audited, and as CSV', async () => {
    const program = await create({ code: 'kids', name: 'Child grant', model_id: modelId, rules: [{ name: 'children', expression: 'children >= 1' }], benefit_per_member: 5 });
    const want = ranked.filter((h) => featuresOf(h).children >= 1);
    const officer = await t.as(['program_officer'], ['AM-R1']);
    const inR1 = want.filter((h) => h.area.startsWith('AM-R1'));
    const seen: { id: string; rank: number; score: number }[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: { id: string; rank: number; score: number }[]; next_cursor: string | null } } =
        await t.get(`/api/v1/programs/${program.id}/eligible?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { headers: officer.headers });
      expect(res.status).toBe(200);
      seen.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen.map((h) => h.id)).toEqual(inR1.map((h) => h.id));
    expect(seen.map((h) => h.rank)).toEqual(inR1.map((_, i) => i + 1));
    seen.forEach((h, i) => expect(h.score).toBeCloseTo(inR1[i].score, 9));

    // the narrower area filter, and the whole list for an unrestricted caller
    const d2 = (await t.get(`/api/v1/programs/${program.id}/eligible?area_code=AM-R1-D2`, { headers: officer.headers })).body.items;
    expect(d2.map((h: { id: string }) => h.id)).toEqual(inR1.filter((h) => h.area === 'AM-R1-D2').map((h) => h.id));
    const all = (await t.get(`/api/v1/programs/${program.id}/eligible?limit=500`, { headers: admin })).body.items;
    expect(all.map((h: { id: string }) => h.id)).toEqual(want.map((h) => h.id));
    expect(all.map((h: { benefit: number }) => h.benefit)).toEqual(want.map((h) => 5 * h.members.length));

    // every listed household is an audited read by the caller
    const audited = await t.hub.db.query<{ entity_id: string }>(
      `select distinct entity_id from audit_log where actor = $1 and entity = 'household' and action = 'read'`, [`user:${officer.username}`]);
    expect(audited.map((a) => a.entity_id).sort()).toEqual(inR1.map((h) => h.id).sort());

    const csv = await t.get(`/api/v1/programs/${program.id}/eligible`, { headers: { ...officer.headers, accept: 'text/csv' } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (csv.body as string).trim().split('\n');
    expect(lines[0]).toBe('rank,household_id,area_code,score,benefit');
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(inR1.map((h) => h.id));
    expect((await t.get(`/api/v1/programs/${program.id}/eligible?format=csv`, { headers: admin })).body.trim().split('\n')).toHaveLength(want.length + 1);
    // a policymaker (no registry.read) cannot list who is eligible
    expect((await t.get(`/api/v1/programs/${program.id}/eligible`, { headers: (await t.as(['policymaker'])).headers })).status).toBe(403);
  });

  it("explains a household's eligibility: each rule's outcome with the values it read", async () => {
    const program = await create({
      code: 'explain', name: 'Explained', model_id: modelId,
      rules: [{ name: 'big', expression: 'household_size >= 4' }, { name: 'walls', expression: 'dwelling_wall in ["mud", "wood"]' }],
    });
    const h = households[3]; // 4 members, iron_sheet walls
    const res = await t.get(`/api/v1/households/${h.id}/eligibility`, { headers: admin });
    expect(res.status).toBe(200);
    const entry = res.body.items.find((i: { program_id: string }) => i.program_id === program.id);
    expect(entry).toMatchObject({
      eligible: false,
      passes_rules: false,
      beyond_quota: false,
      rules: [
        { name: 'big', passed: true, values: { household_size: 4 } },
        { name: 'walls', passed: false, values: { dwelling_wall: 'iron_sheet' } },
      ],
    });
    expect(entry.score).toBeCloseTo(referenceScore(MODEL_V1, h).score, 9);
    const cash = res.body.items.find((i: { program_code: string }) => i.program_code === 'cash');
    expect(cash.rules[0]).toMatchObject({ name: 'poor', values: { score: entry.score } });
    // outside the caller's areas it does not exist
    const elsewhere = await t.as(['registry_officer'], ['AM-R2']);
    expect((await t.get(`/api/v1/households/${h.id}/eligibility`, { headers: elsewhere.headers })).status).toBe(404);
  });

  it('follows registry changes (outbox), rule changes (PATCH) and closing, with an event for each change', async () => {
    const program = await create({ code: 'large', name: 'Large families', rules: [{ name: 'kids', expression: 'children >= 3' }] });
    const h = households[0]; // 3 children
    expect((await eligibility(program.id)).map((r) => r.household_id)).toContain(h.id);
    const before = (await events(program.id)).length;

    const read = (await t.get(`/api/v1/households/${h.id}`, { headers: admin })).body;
    const son = read.members.find((m: { relationship: string }) => m.relationship === 'SON');
    const removed = await t.delete(`/api/v1/households/${h.id}/members/${son.person_id}`, { headers: admin, ifMatch: read.version });
    expect(removed.status).toBe(200);
    await t.hub.outbox.drain();
    expect((await eligibility(program.id)).map((r) => r.household_id)).not.toContain(h.id);
    expect((await events(program.id)).slice(before)).toEqual([{ household_id: h.id, program_id: program.id, eligible: false }]);

    // a rule change recomputes at once; a stale If-Match is refused
    expect((await t.patch(`/api/v1/programs/${program.id}`, { rules: [] }, { headers: admin, ifMatch: 1 })).status).toBe(412);
    const changed = await t.patch(`/api/v1/programs/${program.id}`, { rules: [{ name: 'kids', expression: 'children >= 2' }] }, { headers: admin, ifMatch: program.version });
    expect(changed.status).toBe(200);
    const want = households.filter((x) => x.id !== h.id && featuresOf(x).children >= 2).map((x) => x.id).concat(h.id).sort();
    expect((await eligibility(program.id)).map((r) => r.household_id).sort()).toEqual(want);

    const closed = await t.post(`/api/v1/programs/${program.id}/close`, undefined, { headers: admin });
    expect(closed.body).toMatchObject({ status: 'closed', eligible_households: 0 });
    expect(await eligibility(program.id)).toEqual([]);
    const last = (await events(program.id)).slice(-want.length);
    expect(last.map((e) => e.eligible)).toEqual(want.map(() => false));
    expect((await t.post(`/api/v1/programs/${program.id}/activate`, undefined, { headers: admin })).status).toBe(409);
  });

  it('recomputes a quota program once after a burst of changed households, with the result of a full recompute', async () => {
    const program = await create({ code: 'ranked', name: 'Ranked', model_id: modelId, rules: [], max_households: 3, benefit_per_member: 10 });
    const rows = async () =>
      t.hub.db.query<{ household_id: string; eligible: boolean; score: number; cost: number }>(
        'select household_id, eligible, score, cost from household_eligibility where program_id = $1 order by household_id', [program.id]);
    const marks = async () => (await t.hub.db.query<{ n: number }>('select count(*)::int as n from program_eligibility_dirty where program_id = $1', [program.id]))[0].n;
    const before = await rows();
    const eligibleBefore = before.filter((r) => r.eligible).map((r) => r.household_id);
    expect(eligibleBefore).toHaveLength(3);
    const eventsBefore = (await events(program.id)).length;

    // the three eligible households get much richer (rooms), a fourth changes too: four outbox batches
    const changed = [...eligibleBefore, households.find((h) => !eligibleBefore.includes(h.id))!.id];
    for (const id of changed) {
      const read = (await t.get(`/api/v1/households/${id}`, { headers: admin })).body;
      const rooms = eligibleBefore.includes(id) ? 30 : 2;
      expect((await t.patch(`/api/v1/households/${id}`, { attributes: { ...read.attributes, rooms } }, { headers: admin, ifMatch: read.version })).status).toBe(200);
      await t.hub.outbox.drain();
    }
    // scores followed at once; the quota program only waits, marked once per batch
    expect(await marks()).toBeGreaterThanOrEqual(changed.length);
    expect(await rows()).toEqual(before);
    expect(await recomputeDirtyPrograms(t.hub.db, { settleMs: 3_600_000, maxDelayMs: 3_600_000 })).toEqual([]);

    // settled (no change for settleMs = 0): one recompute for the whole burst, then nothing left to do
    const recomputed = await recomputeDirtyPrograms(t.hub.db, { settleMs: 0, maxDelayMs: 3_600_000 });
    expect(recomputed.filter((id) => id === program.id)).toEqual([program.id]);
    expect(await marks()).toBe(0);
    expect(await t.hub.assessment.recomputeEligibility(true)).not.toContain(program.id);

    // the ranking over the new scores, computed here: the three lowest scores
    const scores = await t.hub.db.query<{ household_id: string; score: number }>(
      'select household_id, score from household_score where model_id = $1 order by score, household_id', [modelId]);
    const after = await rows();
    expect(after.filter((r) => r.eligible).map((r) => r.household_id).sort()).toEqual(scores.slice(0, 3).map((s) => s.household_id).sort());
    expect(after.filter((r) => r.eligible).map((r) => r.household_id)).not.toEqual(eligibleBefore);
    // one event per household whose eligibility changed
    const moved = after.filter((r) => r.eligible !== before.find((b) => b.household_id === r.household_id)?.eligible).map((r) => r.household_id).sort();
    expect((await events(program.id)).slice(eventsBefore).map((e) => e.household_id).sort()).toEqual(moved);

    // a full recompute now changes nothing and emits nothing
    expect(await t.hub.db.transaction((tx) => refreshEligibility(tx, program.id, null))).toBe(0);
    expect(await rows()).toEqual(after);
  });
});
