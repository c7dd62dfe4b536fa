// Demo mode's model and program: created once, published and active, eligibility computed over the demo country
// the same way as any program's, and nothing created twice when the hub starts again.
import { ensureDemoProgram, DEMO_MODEL, DEMO_PROGRAM } from '../../../core/assessment/demo.js';
import { seedDemo } from '../../../core/seed/seed.js';
import { systemContext, type Ctx } from '../../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../../core/server/principal.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

let t: TestHub;
let ctx: Ctx;

beforeAll(async () => {
  t = await startTestHub();
  ctx = systemContext(t.hub.config, t.hub.db, t.hub.secrets, t.hub.log, SYSTEM_PRINCIPAL, t.hub);
  await seedDemo(ctx);
});
afterAll(() => t?.stop());

test('creates a published model and an active program whose eligible households follow the rules', async () => {
  expect(await ensureDemoProgram(ctx)).toEqual({ model: true, program: true });
  const programs = (await t.get('/api/v1/programs')).body.items as { id: string; code: string; status: string; model_id: string }[];
  const program = programs.find((p) => p.code === DEMO_PROGRAM.code)!;
  expect(program.status).toBe('active');
  const model = (await t.get(`/api/v1/assessment-models/${program.model_id}`)).body;
  expect(model.code).toBe(DEMO_MODEL.code);
  expect(model.versions.map((v: { status: string }) => v.status)).toContain('published');

  // scoring runs in the background: wait until eligibility is there, then check it against the rules' own reasons
  let eligible: { id: string }[] = [];
  for (let i = 0; i < 120 && eligible.length === 0; i++) {
    eligible = (await t.get(`/api/v1/programs/${program.id}/eligible?limit=100`)).body.items;
    if (eligible.length === 0) await new Promise((r) => setTimeout(r, 500));
  }
  expect(eligible.length).toBeGreaterThan(0);
  // the rules select: some household is left out, and its explanation names the rule it fails
  const all = (await t.get('/api/v1/households?limit=200')).body.items as { id: string }[];
  const included = new Set(eligible.map((e) => e.id));
  const outcomes = await Promise.all(all.filter((h) => !included.has(h.id)).slice(0, 20)
    .map(async (h) => (await t.get(`/api/v1/households/${h.id}/eligibility`)).body.items.find((e: { program_id: string }) => e.program_id === program.id)));
  expect(outcomes.some((o) => o.eligible === false && o.rules.some((r: { passed: boolean }) => !r.passed))).toBe(true);
  const answer = await t.get(`/api/v1/households/${eligible[0].id}/eligibility`);
  expect(answer.status).toBe(200);
  const explained = answer.body.items;
  const entry = explained.find((e: { program_id: string }) => e.program_id === program.id);
  expect(entry).toMatchObject({ eligible: true, passes_rules: true });
  expect(entry.rules.map((r: { name: string; passed: boolean }) => [r.name, r.passed])).toEqual([['poor', true], ['dependants', true]]);
});

test('a second start creates nothing', async () => {
  expect(await ensureDemoProgram(ctx)).toEqual({ model: false, program: false });
  const programs = (await t.get('/api/v1/programs')).body.items as { code: string }[];
  expect(programs.filter((p) => p.code === DEMO_PROGRAM.code)).toHaveLength(1);
});
