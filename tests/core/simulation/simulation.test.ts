// Simulations: baseline vs scenario totals, deltas (how many, where, who), groups and fairness shares equal a
// reference computed here in JS over the small set; live data never changes; results are stored, listed, compared;
// the caller's areas bound what is simulated and shown. The API is asynchronous: POST answers 202 with a Location and a
// queued simulation, a background worker computes it exactly once (an interrupted one is taken again).
import { claimSimulation, computeClaimed, MAX_ATTEMPTS, startSimulationWorker } from '../../../core/simulation/worker.js';
import { dbEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { featuresOf, MODEL_V1, referenceScore, registerSmallSet, type Registered, type TestModel } from '../assessment/fixtures.js';

interface JsPolicy {
  model: TestModel;
  rule: (h: Registered, score: number, threshold: number) => boolean;
  maxHouseholds?: number;
  budget?: number;
  perHousehold: number;
  perMember: number;
}

/** The eligible households under a policy, in JS: rules, rank by score (then id), quota and budget. */
function eligibleUnder(households: Registered[], p: JsPolicy): Map<string, number> {
  const scored = households
    .map((h) => ({ h, score: referenceScore(p.model, h).score }))
    .filter(({ h, score }) => p.rule(h, score, p.model.threshold!))
    .sort((a, b) => a.score - b.score || (a.h.id < b.h.id ? -1 : 1));
  const out = new Map<string, number>();
  let spent = 0;
  scored.forEach(({ h }, i) => {
    const cost = p.perHousehold + p.perMember * h.members.length;
    spent += cost;
    if ((p.maxHouseholds === undefined || i < p.maxHouseholds) && (p.budget === undefined || spent <= p.budget)) out.set(h.id, cost);
  });
  return out;
}

const persons = (hs: Registered[], ids: Iterable<string>) => [...ids].reduce((n, id) => n + hs.find((h) => h.id === id)!.members.length, 0);
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe.each(dbEngines())('policy simulation on %s', (db) => {
  let t: TestHub;
  let admin: Record<string, string>;
  let policymaker: Record<string, string>;
  let households: Registered[];
  let programId: string;

  const V2: TestModel = { ...MODEL_V1, threshold: 9, indicators: MODEL_V1.indicators.map((i) => (i.name === 'size' ? { ...i, weight: -0.8 } : i)) };
  const baseline: JsPolicy = { model: MODEL_V1, rule: (_h, score, threshold) => score < threshold, perHousehold: 100, perMember: 10 };
  const scenario: JsPolicy = {
    model: V2,
    rule: (h, score, threshold) => score < threshold && (featuresOf(h).children >= 1 || featuresOf(h).elderly >= 1),
    maxHouseholds: 5,
    perHousehold: 100,
    perMember: 15,
  };
  const scenarioBody = {
    model: { threshold: 9, weights: { size: -0.8 } },
    rules: [{ name: 'poor', expression: 'score < threshold' }, { name: 'dependants', expression: 'children >= 1 || elderly >= 1' }],
    max_households: 5,
    benefit_per_member: 15,
  };

  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_AUTH: 'on' } });
    admin = (await t.as(['administrator'])).headers;
    policymaker = (await t.as(['policymaker'])).headers;
    for (const region of ['AM-R1', 'AM-R2']) {
      await t.post('/api/v1/admin-areas', { code: region, name: region }, { headers: admin });
      for (const d of ['D1', 'D2']) await t.post('/api/v1/admin-areas', { code: `${region}-${d}`, name: d, parent_code: region }, { headers: admin });
    }
    households = await registerSmallSet(t, admin);
    const modelId = (await t.post('/api/v1/assessment-models', { code: 'pmt', name: 'PMT', definition: MODEL_V1 }, { headers: admin })).body.id;
    await t.post(`/api/v1/assessment-models/${modelId}/versions/1/publish`, undefined, { headers: admin });
    await t.hub.assessment.settle();
    const program = await t.post('/api/v1/programs', {
      code: 'cash', name: 'Cash', model_id: modelId, rules: [{ name: 'poor', expression: 'score < threshold' }], benefit_per_household: 100, benefit_per_member: 10,
    }, { headers: admin });
    programId = program.body.id;
    await t.post(`/api/v1/programs/${programId}/activate`, undefined, { headers: admin });
    await t.hub.outbox.drain();
    // the hub's own worker stops: each test computes with settle() (or a worker of its own) at the moment it chooses
    await t.hub.simulations.stop();
    // registering the set through the API takes a while on a busy machine
  }, 180_000);
  afterAll(() => t.stop());

  /** POST: 202, a Location, status queued and no result yet; then the worker runs and the Location shows it done. */
  const simulateNow = async (body: Record<string, unknown>, headers: Record<string, string>) => {
    const accepted = await t.post('/api/v1/simulations', body, { headers });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`/api/v1/simulations/${accepted.body.id}`);
    expect(accepted.body).toMatchObject({ status: 'queued', result: null, error: null, finished_at: null });
    await t.hub.simulations.settle();
    const done = await t.get(accepted.headers.get('location')!, { headers });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id: accepted.body.id, status: 'done', error: null });
    return done;
  };
  const countOf = async (sql: string, params: unknown[] = []) => (await t.hub.db.query<{ n: number }>(sql, params))[0].n;

  const changes = async (id: string, headers: Record<string, string>) => {
    const res = await t.get(`/api/v1/simulations/${id}/changes?limit=500`, { headers });
    expect(res.status).toBe(200);
    return res.body.items as { household_id: string; change: string; area_code: string }[];
  };

  it('computes totals, deltas, who changes, by area, by group and fairness as the JS reference does, changing nothing live', async () => {
    const live = async () => ({
      scores: await t.hub.db.query('select household_id, score, model_version from household_score order by household_id'),
      eligibility: await t.hub.db.query('select program_id, household_id, eligible, cost from household_eligibility order by program_id, household_id'),
      events: (await t.hub.db.query<{ n: number }>('select count(*)::int as n from outbox_event'))[0].n,
      programs: await t.hub.db.query('select id, rules, version, max_households from program order by id'),
    });
    const before = await live();

    const res = await simulateNow({ name: 'Higher line, dependants only', program_id: programId, scenario: scenarioBody, group_level: 0 }, policymaker);
    const { result } = res.body;

    const base = eligibleUnder(households, baseline);
    const scen = eligibleUnder(households, scenario);
    const included = [...scen.keys()].filter((id) => !base.has(id));
    const excluded = [...base.keys()].filter((id) => !scen.has(id));
    expect(included.length + excluded.length).toBeGreaterThan(0);

    expect(result.population).toEqual({ households: households.length, persons: persons(households, households.map((h) => h.id)) });
    expect(result.baseline).toEqual({ households: base.size, persons: persons(households, base.keys()), cost: sum(base) });
    expect(result.scenario).toEqual({ households: scen.size, persons: persons(households, scen.keys()), cost: sum(scen) });
    expect(result.delta).toEqual({
      households: scen.size - base.size,
      persons: persons(households, scen.keys()) - persons(households, base.keys()),
      cost: sum(scen) - sum(base),
      newly_included: { households: included.length, persons: persons(households, included) },
      newly_excluded: { households: excluded.length, persons: persons(households, excluded) },
    });

    // who, and where
    const who = await changes(res.body.id, policymaker);
    expect(who.filter((c) => c.change === 'included').map((c) => c.household_id).sort()).toEqual([...included].sort());
    expect(who.filter((c) => c.change === 'excluded').map((c) => c.household_id).sort()).toEqual([...excluded].sort());
    for (const region of ['AM-R1', 'AM-R2']) {
      const inRegion = (id: string) => households.find((h) => h.id === id)!.area.startsWith(region);
      const area = result.by_area.find((a: { area_code: string }) => a.area_code === region);
      expect(area).toEqual({
        area_code: region,
        population_households: households.filter((h) => h.area.startsWith(region)).length,
        baseline_households: [...base.keys()].filter(inRegion).length,
        scenario_households: [...scen.keys()].filter(inRegion).length,
        newly_included: included.filter(inRegion).length,
        newly_excluded: excluded.filter(inRegion).length,
        baseline_cost: [...base].filter(([id]) => inRegion(id)).reduce((a, [, c]) => a + c, 0),
        scenario_cost: [...scen].filter(([id]) => inRegion(id)).reduce((a, [, c]) => a + c, 0),
      });
    }

    // groups and fairness shares
    const femaleHeaded = (id: string) => featuresOf(households.find((h) => h.id === id)!).head_female;
    const withDisabled = (id: string) => featuresOf(households.find((h) => h.id === id)!).disabled > 0;
    const group = (name: string) => result.by_group.find((g: { group: string }) => g.group === name);
    expect(group('female_headed')).toEqual({
      group: 'female_headed',
      population_households: households.filter((h) => femaleHeaded(h.id)).length,
      baseline_households: [...base.keys()].filter(femaleHeaded).length,
      scenario_households: [...scen.keys()].filter(femaleHeaded).length,
      newly_included: included.filter(femaleHeaded).length,
      newly_excluded: excluded.filter(femaleHeaded).length,
    });
    const share = (ids: string[], test: (id: string) => boolean) => (ids.length ? ids.filter(test).length / ids.length : null);
    expect(result.fairness.baseline.female_headed).toBeCloseTo(share([...base.keys()], femaleHeaded)!, 12);
    expect(result.fairness.scenario.with_disabled).toBeCloseTo(share([...scen.keys()], withDisabled)!, 12);
    expect(result.fairness.population.female_headed).toBeCloseTo(share(households.map((h) => h.id), femaleHeaded)!, 12);

    expect(await live()).toEqual({ ...before, events: before.events });
  });

  it('keeps what the caller may see: a policymaker limited to AM-R1 simulates AM-R1 only, and nothing beyond', async () => {
    const limited = (await t.as(['policymaker'], ['AM-R1'])).headers;
    expect((await t.post('/api/v1/simulations', { name: 'x', program_id: programId, scenario: {}, areas: ['AM-R2'] }, { headers: limited })).status).toBe(403);
    const res = await simulateNow({ name: 'R1', program_id: programId, scenario: scenarioBody }, limited);
    expect(res.body.areas).toEqual(['AM-R1']);
    const r1 = households.filter((h) => h.area.startsWith('AM-R1'));
    const base = eligibleUnder(r1, baseline);
    const scen = eligibleUnder(r1, scenario);
    expect(res.body.result.population.households).toBe(r1.length);
    expect(res.body.result.baseline.households).toBe(base.size);
    expect(res.body.result.scenario.households).toBe(scen.size);
    // districts (level 1, the default) of AM-R1 only
    expect(res.body.result.by_area.map((a: { area_code: string }) => a.area_code).sort()).toEqual([...new Set(r1.map((h) => h.area))].sort());

    // the unrestricted simulation is not the limited caller's to read; their own is
    const all = (await t.get('/api/v1/simulations?limit=50', { headers: limited })).body.items.map((s: { id: string }) => s.id);
    expect(all).toEqual([res.body.id]);
  });

  it('stores simulations: read back unchanged, listed newest first, compared side by side', async () => {
    const a = (await simulateNow({ name: 'A', program_id: programId, scenario: { benefit_per_household: 50 } }, policymaker)).body;
    const b = (await simulateNow({ name: 'B', program_id: programId, scenario: scenarioBody }, policymaker)).body;
    expect((await t.get(`/api/v1/simulations/${a.id}`, { headers: policymaker })).body).toEqual(a);
    // nothing but the benefit changes: nobody moves, the cost follows the amounts
    expect(a.result.delta).toMatchObject({ households: 0, newly_included: { households: 0 }, newly_excluded: { households: 0 } });
    const base = eligibleUnder(households, baseline);
    expect(a.result.scenario.cost).toBe(sum(base) - 50 * base.size);
    const list = (await t.get(`/api/v1/simulations?program_id=${programId}&limit=2`, { headers: policymaker })).body;
    expect(list.items.map((s: { id: string }) => s.id)).toEqual([b.id, a.id]);
    expect(list.next_cursor).not.toBeNull();
    const compared = (await t.get(`/api/v1/simulations/compare?a=${a.id}&b=${b.id}`, { headers: policymaker })).body;
    expect(compared.difference).toEqual({
      scenario_households: b.result.scenario.households - a.result.scenario.households,
      scenario_persons: b.result.scenario.persons - a.result.scenario.persons,
      scenario_cost: b.result.scenario.cost - a.result.scenario.cost,
      newly_included_households: b.result.delta.newly_included.households - a.result.delta.newly_included.households,
      newly_excluded_households: b.result.delta.newly_excluded.households - a.result.delta.newly_excluded.households,
    });
  });

  it('refuses a bad scenario with 422 naming each field, storing nothing', async () => {
    const before = (await t.hub.db.query<{ n: number }>('select count(*)::int as n from simulation'))[0].n;
    const res = await t.post('/api/v1/simulations', {
      name: 'bad', program_id: programId,
      scenario: { model: { weights: { nonesuch: 1, wall: 2 } }, rules: [{ name: 'x', expression: 'score < threshold; select 1' }] },
    }, { headers: policymaker });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.scenario.model.weights.nonesuch', 'body.scenario.model.weights.wall']);
    const rule = await t.post('/api/v1/simulations', { name: 'bad', program_id: programId, scenario: { rules: [{ name: 'x', expression: 'score < threshold; select 1' }] } }, { headers: policymaker });
    expect(rule.status).toBe(422);
    expect(rule.body.errors).toEqual([{ field: 'body.scenario.rules[0].expression', message: 'column 18: unexpected character ";"' }]);
    expect((await t.hub.db.query<{ n: number }>('select count(*)::int as n from simulation'))[0].n).toBe(before);
  });

  it('queues: nothing to compare or list before it is done; the hub\'s worker computes it without being asked', async () => {
    const queued = await t.post('/api/v1/simulations', { name: 'later', program_id: programId, scenario: scenarioBody }, { headers: policymaker });
    expect(queued.status).toBe(202);
    const location = queued.headers.get('location')!;
    expect((await t.get(location, { headers: policymaker })).body).toMatchObject({ status: 'queued', result: null });
    const done = (await simulateNow({ name: 'done', program_id: programId, scenario: {} }, policymaker)).body;
    // settle() above computed the earlier one too; a fresh one stays queued for the worker started below
    const waiting = (await t.post('/api/v1/simulations', { name: 'waiting', program_id: programId, scenario: scenarioBody }, { headers: policymaker })).body;
    expect((await t.get(`/api/v1/simulations/${waiting.id}/changes`, { headers: policymaker })).status).toBe(409);
    const compared = await t.get(`/api/v1/simulations/compare?a=${done.id}&b=${waiting.id}`, { headers: policymaker });
    expect(compared.status).toBe(409);
    expect(compared.body.code).toBe('simulation.not_done');

    const worker = startSimulationWorker({ db: t.hub.db, log: t.hub.log, bus: t.hub.bus }, { pollMs: 50 });
    try {
      let status = 'queued';
      for (let i = 0; i < 600 && status !== 'done'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await t.get(`/api/v1/simulations/${waiting.id}`, { headers: policymaker })).body.status;
      }
      expect(status).toBe('done');
    } finally {
      await worker.stop();
    }
    const first = (await t.get(location, { headers: policymaker })).body;
    const second = (await t.get(`/api/v1/simulations/${waiting.id}`, { headers: policymaker })).body;
    // the same scenario over the same data: the same result, whichever path computed it
    expect(second.result).toEqual(first.result);
  }, 60_000);

  it('takes an interrupted simulation again and stores it once; a claim overtaken after its lease writes nothing', async () => {
    const queued = (await t.post('/api/v1/simulations', { name: 'interrupted', program_id: programId, scenario: scenarioBody }, { headers: policymaker })).body;
    // an instance claims it and dies before computing (a lease of 1 ms runs out at once)
    const lost = await claimSimulation(t.hub.db, 1);
    expect(lost).toMatchObject({ id: queued.id, attempts: 1 });
    expect((await t.get(`/api/v1/simulations/${queued.id}`, { headers: policymaker })).body.status).toBe('running');
    await new Promise((r) => setTimeout(r, 20));
    // another instance takes it; two claiming at once get it once
    const claims = await Promise.all([claimSimulation(t.hub.db), claimSimulation(t.hub.db)]);
    const taken = claims.filter((c) => c !== undefined);
    expect(taken).toHaveLength(1);
    expect(taken[0]).toMatchObject({ id: queued.id, attempts: 2 });
    // the overtaken claim comes back to life: it may not write
    expect(await computeClaimed(t.hub.db, lost!)).toBe(false);
    expect(await computeClaimed(t.hub.db, taken[0]!)).toBe(true);
    // and the same claim twice does not write twice
    expect(await computeClaimed(t.hub.db, taken[0]!)).toBe(false);
    const done = (await t.get(`/api/v1/simulations/${queued.id}`, { headers: policymaker })).body;
    expect(done.status).toBe('done');
    const stored = await countOf('select count(*)::int as n from simulation_change where simulation_id = $1', [queued.id]);
    expect(stored).toBe(done.result.delta.newly_included.households + done.result.delta.newly_excluded.households);
    expect(stored).toBeGreaterThan(0);
  });

  it('retries a failing simulation and marks it failed after the last attempt, with nothing stored', async () => {
    const queued = (await t.post('/api/v1/simulations', { name: 'poisoned', program_id: programId, scenario: scenarioBody }, { headers: policymaker })).body;
    // a plan the compiler refuses (a request cannot make one: it is checked at POST)
    await t.hub.db.query(`update simulation set plan = jsonb_set(plan, '{scenario,policy,rules}', '[{"name":"x","expression":"(("}]') where id = $1`, [queued.id]);
    await t.hub.simulations.settle();
    const failed = (await t.get(`/api/v1/simulations/${queued.id}`, { headers: policymaker })).body;
    expect(failed).toMatchObject({ status: 'failed', result: null, error: 'the simulation could not be computed' });
    expect(await countOf('select attempts as n from simulation where id = $1', [queued.id])).toBe(MAX_ATTEMPTS);
    expect(await countOf('select count(*)::int as n from simulation_change where simulation_id = $1', [queued.id])).toBe(0);
    expect((await t.get(`/api/v1/simulations/${queued.id}/changes`, { headers: policymaker })).status).toBe(409);
  });

  // last: it changes the set the other tests compare against
  it('follows registry changes: a new member and new answers are in the next simulation, as the JS reference says', async () => {
    const target = households[1];
    let version = (await t.get(`/api/v1/households/${target.id}`, { headers: admin })).body.version;
    const added = await t.post(`/api/v1/households/${target.id}/members`,
      { relationship: 'SON', person: { given_name: 'New', family_name: 'Child', sex: 'male', birth_date: '2016-05-20' } }, { headers: admin, ifMatch: version });
    expect(added.status).toBe(200);
    version = (await t.get(`/api/v1/households/${target.id}`, { headers: admin })).body.version;
    const attributes = { ...target.attributes, dwelling_wall: 'mud', assets: [], income_sources: ['casual_labour'] };
    expect((await t.patch(`/api/v1/households/${target.id}`, { attributes }, { headers: admin, ifMatch: version })).status).toBe(200);
    households[1] = { ...target, attributes, members: [...target.members, { sex: 'male', born: '2016-05-20' }] };

    // no outbox drain: the simulation reads the change however far the background consumers have got
    const res = await simulateNow({ name: 'after the change', program_id: programId, scenario: scenarioBody }, policymaker);
    const base = eligibleUnder(households, baseline);
    const scen = eligibleUnder(households, scenario);
    expect(base.has(target.id) || scen.has(target.id)).toBe(true);
    expect(res.body.result.population).toEqual({ households: households.length, persons: persons(households, households.map((h) => h.id)) });
    expect(res.body.result.baseline).toEqual({ households: base.size, persons: persons(households, base.keys()), cost: sum(base) });
    expect(res.body.result.scenario).toEqual({ households: scen.size, persons: persons(households, scen.keys()), cost: sum(scen) });
  });
});
