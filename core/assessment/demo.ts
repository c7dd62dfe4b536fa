// Demo mode: a proxy-means-test model and an active cash transfer program, created once (skipped when a model or
// program of the code exists), so `npm start` shows eligibility on the dashboard and the console's simulation page
// has a program to play with. A real deployment writes its own: the weights and rules are a policy decision.
import { listPrograms, createProgram, setProgramStatus } from '../programs/service.js';
import type { Ctx } from '../server/context.js';
import { createModel, listModels, publishVersion } from './service.js';

export const DEMO_MODEL = {
  code: 'demo-pmt',
  name: 'Proxy means test (demo)',
  description: 'Illustrative weights: larger households, mud walls and few assets score lower (poorer).',
  definition: {
    intercept: 10,
    threshold: 8,
    indicators: [
      { name: 'size', feature: 'household_size', weight: -0.5 },
      { name: 'wall', feature: 'dwelling_wall', values: { brick: 1, mud: -1 }, default: 0 },
      { name: 'assets', feature: 'assets', values: { tv: 0.8, fridge: 1.2, motorcycle: 1, car: 2 } },
    ],
  },
};

export const DEMO_PROGRAM = {
  // the code the demo's program MIS simulator and its data agreement ('cash-transfer') know the program by
  code: 'cash-transfer',
  name: 'Cash transfer (demo)',
  rules: [
    { name: 'poor', expression: 'score < threshold' },
    { name: 'dependants', expression: 'children >= 1 || elderly >= 1' },
  ],
  benefit_per_household: 20,
  benefit_per_member: 5,
};

/** Creates, publishes and activates what is missing; answers what it created. */
export async function ensureDemoProgram(ctx: Ctx): Promise<{ model: boolean; program: boolean }> {
  let model = (await listModels(ctx.db)).find((m) => m.code === DEMO_MODEL.code);
  const createdModel = !model;
  if (!model) {
    model = await createModel(ctx, DEMO_MODEL);
    await publishVersion(ctx, model.id, 1);
  }
  if ((await listPrograms(ctx.db)).some((p) => p.code === DEMO_PROGRAM.code)) return { model: createdModel, program: false };
  const program = await createProgram(ctx, { ...DEMO_PROGRAM, model_id: model.id });
  await setProgramStatus(ctx, program.id, 'active');
  return { model: createdModel, program: true };
}
