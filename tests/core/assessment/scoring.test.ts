// Scores equal a reference computed in JS from the same small household set; publishing a changed model re-scores
// everyone (in chunks, resumable); a household's change re-scores it from the outbox; published versions are immutable.
import { runScoringStep } from '../../../core/assessment/index.js';
import { createAreas } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { MODEL_V1, referenceScore, registerSmallSet, type Registered } from './fixtures.js';

describe.each(dbEngines())('assessment scoring on %s', (db) => {
  let t: TestHub;
  let households: Registered[];
  let modelId: string;

  beforeAll(async () => {
    t = await startTestHub({ db });
    await createAreas(t);
    households = await registerSmallSet(t);
    // registering the set through the API takes a while on a busy machine
  }, 180_000);
  afterAll(() => t.stop());

  const scores = async () => {
    const rows = await t.hub.db.query<{ household_id: string; score: number; breakdown: Record<string, number>; model_version: number }>(
      'select household_id, score, breakdown, model_version from household_score where model_id = $1',
      [modelId],
    );
    return new Map(rows.map((r) => [r.household_id, r]));
  };

  it('creates a draft, publishes it, and scores every household as the hand-computed reference', async () => {
    const created = await t.post('/api/v1/assessment-models', { code: 'pmt', name: 'Proxy means test', definition: MODEL_V1 });
    expect(created.status).toBe(201);
    modelId = created.body.id;
    expect(created.body).toMatchObject({ published_version: null, versions: [{ version: 1, status: 'draft' }], scoring: null });
    const published = await t.post(`/api/v1/assessment-models/${modelId}/versions/1/publish`, undefined);
    expect(published.status).toBe(200);
    // the job starts with the publication; on a small registry it may have finished by the time the answer is read
    expect(published.body).toMatchObject({ published_version: 1, scoring: { version: 1, status: expect.stringMatching(/^(running|done)$/) } });
    await t.hub.assessment.settle();

    const stored = await scores();
    expect(stored.size).toBe(households.length);
    for (const h of households) {
      const want = referenceScore(MODEL_V1, h);
      const got = stored.get(h.id)!;
      expect(got.model_version).toBe(1);
      expect(got.score).toBeCloseTo(want.score, 9);
      expect(Object.keys(got.breakdown).sort()).toEqual(Object.keys(want.breakdown).sort());
      for (const [name, value] of Object.entries(want.breakdown)) expect(got.breakdown[name]).toBeCloseTo(value, 9);
    }
    const model = (await t.get(`/api/v1/assessment-models/${modelId}`)).body;
    expect(model.scoring).toMatchObject({ version: 1, status: 'done', scored: households.length });
  });

  it('refuses to change a published version (409) and takes a new draft instead', async () => {
    const changed = await t.request('PUT', `/api/v1/assessment-models/${modelId}/versions/1`, { definition: { ...MODEL_V1, intercept: 3 } });
    expect(changed.status).toBe(409);
    expect(changed.body.code).toBe('assessment_model.version_published');
    const stored = (await t.hub.db.query<{ definition: { intercept: number } }>('select definition from assessment_model_version where model_id = $1 and version = 1', [modelId]))[0];
    expect(stored.definition.intercept).toBe(10);
    const again = await t.post(`/api/v1/assessment-models/${modelId}/versions/1/publish`, undefined);
    expect(again.status).toBe(409);
  });

  it('re-scores everyone when a changed model is published, chunk by chunk with a resumable cursor', async () => {
    // the hub's own runner stopped, so the chunks below are the test's to take
    await t.hub.assessment.stop();
    const v2 = { ...MODEL_V1, intercept: 12, indicators: MODEL_V1.indicators.map((i) => (i.name === 'size' ? { ...i, weight: -0.9 } : i)) };
    const draft = await t.post(`/api/v1/assessment-models/${modelId}/versions`, { definition: v2 });
    expect(draft.status).toBe(201);
    expect(draft.body.versions.map((v: { status: string }) => v.status)).toEqual(['published', 'draft']);
    // a second draft while one exists is refused
    expect((await t.post(`/api/v1/assessment-models/${modelId}/versions`, {})).status).toBe(409);
    expect((await t.post(`/api/v1/assessment-models/${modelId}/versions/2/publish`, undefined)).status).toBe(200);

    // three households per chunk: the job's cursor moves after each committed chunk
    expect(await runScoringStep(t.hub.db, 3)).toBe(true);
    const [job] = await t.hub.db.query<{ scored: number; status: string; last_household_id: string }>(
      `select scored, status, last_household_id from scoring_job where model_id = $1 and model_version = 2`, [modelId]);
    expect(job).toMatchObject({ scored: 3, status: 'running' });
    const midway = await scores();
    expect([...midway.values()].filter((s) => s.model_version === 2)).toHaveLength(3);
    await t.hub.assessment.settle();

    const stored = await scores();
    for (const h of households) {
      expect(stored.get(h.id)!.model_version).toBe(2);
      expect(stored.get(h.id)!.score).toBeCloseTo(referenceScore(v2, h).score, 9);
    }
    const versions = (await t.get(`/api/v1/assessment-models/${modelId}`)).body.versions.map((v: { status: string }) => v.status);
    expect(versions).toEqual(['superseded', 'published']);
  });

  it('re-scores a household from the outbox when its answers or members change', async () => {
    const h = households[0];
    const read = (await t.get(`/api/v1/households/${h.id}`)).body;
    const patch = await t.patch(`/api/v1/households/${h.id}`, { attributes: { ...h.attributes, dwelling_wall: 'brick', assets: ['tv'] } }, { ifMatch: read.version });
    expect(patch.status).toBe(200);
    await t.hub.outbox.drain();
    const v2 = { ...MODEL_V1, intercept: 12, indicators: MODEL_V1.indicators.map((i) => (i.name === 'size' ? { ...i, weight: -0.9 } : i)) };
    const changed = { ...h, attributes: { ...h.attributes, dwelling_wall: 'brick', assets: ['tv'] } };
    expect((await scores()).get(h.id)!.score).toBeCloseTo(referenceScore(v2, changed).score, 9);

    // a member dies: the household counts one fewer
    const child = read.members.find((m: { relationship: string }) => m.relationship === 'SON');
    const person = (await t.get(`/api/v1/persons/${child.person_id}`)).body;
    expect((await t.patch(`/api/v1/persons/${child.person_id}`, { death_date: '2024-01-01' }, { ifMatch: person.version })).status).toBe(200);
    await t.hub.outbox.drain();
    const fewer = { ...changed, members: changed.members.filter((_, i) => i !== read.members.indexOf(child)) };
    expect((await scores()).get(h.id)!.score).toBeCloseTo(referenceScore(v2, fewer).score, 9);
  });

  it('refuses a bad definition with 422 naming each field, and creates nothing', async () => {
    const res = await t.post('/api/v1/assessment-models', {
      code: 'bad',
      name: 'Bad',
      definition: {
        intercept: 1,
        indicators: [
          { name: 'x', feature: 'household_size; drop table person', weight: 1 },
          { name: 'y', feature: 'dwelling_wall', weight: 2 },
          { name: 'z', feature: 'dwelling_wall', values: { marble: 1 } },
          { name: 'y', feature: 'children', weight: 1 },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'body.definition.indicators[0].feature',
      'body.definition.indicators[1].weight',
      'body.definition.indicators[1].values',
      'body.definition.indicators[2].values.marble',
      'body.definition.indicators[3].name',
    ]);
    expect(await t.hub.db.query(`select 1 from assessment_model where code = 'bad'`)).toEqual([]);
  });
});
