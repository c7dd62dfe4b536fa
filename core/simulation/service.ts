// Policy simulations: a scenario (a program's rules, its model's weights or threshold, quota, budget, benefit, area
// scope) against the program's current policy. Checked like a program (422 naming each field), computed without
// touching live data, stored with who it newly includes and excludes, never changed afterwards.
import { auditEntries } from '../audit/entry.js';
import { checkDefinition, type ModelDefinition } from '../assessment/model.js';
import type { Db } from '../db/db.js';
import { uuidv7 as newId } from '../ids.js';
import { programPolicy, type Policy } from '../programs/eligibility.js';
import { checkRules, type ProgramRule } from '../programs/service.js';
import { householdEntries } from '../registry/audit.js';
import { householdStore } from '../registry/households/store.js';
import { areaVisible, scopeParam } from '../registry/scope.js';
import type { Ctx } from '../server/context.js';
import { conflict, forbidden, invalid, notFound, unprocessable, type FieldError } from '../server/errors.js';
import { type SimulationInput as SimulationPlan, type SimulationResult } from './simulate.js';

/** The bus channel a queued simulation is announced on (worker.ts listens). */
export const SIMULATION_QUEUED = 'simulation.queued';

export interface Scenario {
  rules?: ProgramRule[];
  model?: {
    intercept?: number;
    threshold?: number | null;
    /** New weights of number and boolean indicators, by indicator name. */
    weights?: Record<string, number>;
    /** New points of text and list indicators, by indicator name then answer (merged into the existing mapping). */
    values?: Record<string, Record<string, number>>;
  };
  max_households?: number | null;
  budget?: number | null;
  benefit_per_household?: number;
  benefit_per_member?: number;
}

export interface SimulationInput {
  name: string;
  program_id: string;
  scenario: Scenario;
  areas?: string[];
  group_level?: number;
}

export interface Simulation {
  id: string;
  name: string;
  program_id: string | null;
  scenario: Scenario;
  areas: string[] | null;
  group_level: number;
  status: SimulationStatus;
  /** The outcome once `status` is done; null before. */
  result: SimulationResult | null;
  /** Why it failed (status failed); null otherwise. */
  error: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export type SimulationStatus = 'queued' | 'running' | 'done' | 'failed';

/** The scenario's model: the baseline definition with the changes applied; problems as FieldErrors. */
function scenarioModel(base: ModelDefinition | null, change: Scenario['model'], errors: FieldError[]): ModelDefinition | null {
  if (!change) return base;
  if (!base) {
    errors.push({ field: 'body.scenario.model', message: "the program has no published model to change" });
    return null;
  }
  const next: ModelDefinition = structuredClone(base);
  if (change.intercept !== undefined) next.intercept = change.intercept;
  if (change.threshold !== undefined) next.threshold = change.threshold;
  for (const [name, weight] of Object.entries(change.weights ?? {})) {
    const ind = next.indicators.find((i) => i.name === name);
    if (!ind || ind.weight === undefined) errors.push({ field: `body.scenario.model.weights.${name}`, message: 'is not a weighted indicator of the model' });
    else ind.weight = weight;
  }
  for (const [name, values] of Object.entries(change.values ?? {})) {
    const ind = next.indicators.find((i) => i.name === name);
    if (!ind || ind.values === undefined) errors.push({ field: `body.scenario.model.values.${name}`, message: 'is not an indicator of the model with values' });
    else ind.values = { ...ind.values, ...values };
  }
  errors.push(...checkDefinition(next, 'body.scenario.model'));
  return next;
}

async function checkAreas(ctx: Ctx, areas: string[] | undefined): Promise<string[] | null> {
  const granted = scopeParam(ctx.principal);
  if (!areas?.length) return granted;
  const rows = await ctx.db.query<{ code: string; visible: boolean }>(
    `select a.code, ${areaVisible('a.code', 2)} as visible from admin_area a where a.code = any($1::text[])`,
    [areas, granted],
  );
  const unknown = areas.filter((a) => !rows.some((r) => r.code === a));
  if (unknown.length) throw unprocessable('simulation.invalid', [{ field: 'body.areas', message: `unknown areas: ${unknown.join(', ')}` }], 'The simulation is not valid: see errors.');
  // outside the caller's areas: refused, never silently widened or narrowed
  if (rows.some((r) => !r.visible)) throw forbidden('A simulation may cover only areas within your own.');
  return [...new Set(areas)];
}

/**
 * Checks a simulation request and queues it: 422/403 here change nothing; an accepted one is stored as `queued` with
 * its plan (both policies and models as they are now) and computed in the background (worker.ts).
 */
export async function queueSimulation(ctx: Ctx, input: SimulationInput): Promise<Simulation> {
  const found = await programPolicy(ctx.db, input.program_id);
  if (!found) throw unprocessable('simulation.invalid', [{ field: 'body.program_id', message: 'no such program' }], 'The simulation is not valid: see errors.');
  const areas = await checkAreas(ctx, input.areas);
  const [published] = found.modelId
    ? await ctx.db.query<{ definition: ModelDefinition }>(
        `select v.definition from assessment_model m join assessment_model_version v on v.model_id = m.id and v.version = m.published_version where m.id = $1`,
        [found.modelId],
      )
    : [];
  const baseModel = published?.definition ?? null;
  const s = input.scenario;
  const errors: FieldError[] = [];
  const model = scenarioModel(baseModel, s.model, errors);
  const rules = s.rules ?? found.policy.rules;
  if (!errors.length) {
    const threshold = model?.threshold ?? null;
    errors.push(...(await checkRules(ctx.db, rules, found.modelId, 'body.scenario.rules', threshold)));
  }
  if (errors.length) throw unprocessable('simulation.invalid', errors, 'The simulation is not valid: see errors.');

  const baseline: Policy = { ...found.policy, hasScore: found.modelId !== null, threshold: baseModel?.threshold ?? null };
  const scenario: Policy = {
    rules,
    hasScore: found.modelId !== null,
    threshold: model?.threshold ?? null,
    maxHouseholds: s.max_households !== undefined ? s.max_households : found.policy.maxHouseholds,
    budget: s.budget !== undefined ? s.budget : found.policy.budget,
    benefitPerHousehold: s.benefit_per_household ?? found.policy.benefitPerHousehold,
    benefitPerMember: s.benefit_per_member ?? found.policy.benefitPerMember,
  };
  const id = newId();
  const groupLevel = input.group_level ?? 1;
  const plan: SimulationPlan = { baseline: { policy: baseline, model: baseModel }, scenario: { policy: scenario, model }, areas, groupLevel };
  await ctx.db.transaction(async (tx) => {
    await tx.query(
      `insert into simulation (id, name, program_id, scenario, areas, status, plan, created_by) values ($1, $2, $3, $4, $5, 'queued', $6, $7)`,
      [id, input.name, input.program_id, JSON.stringify({ ...s, group_level: groupLevel }), areas, JSON.stringify(plan), ctx.principal.id],
    );
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'create', entity: 'simulation', entityId: id, details: { program_id: input.program_id } }]));
  });
  // wakes a worker now (in any instance) rather than at its next poll; a lost message only costs that poll
  await ctx.bus.publish(SIMULATION_QUEUED, id).catch(() => undefined);
  return getSimulation(ctx.db, ctx, id);
}

interface SimulationRow {
  id: string;
  name: string;
  program_id: string | null;
  scenario: Scenario & { group_level?: number };
  areas: string[] | null;
  status: SimulationStatus;
  result: SimulationResult | null;
  error: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function toSimulation(row: SimulationRow): Simulation {
  const { group_level, ...scenario } = row.scenario;
  return {
    id: row.id,
    name: row.name,
    program_id: row.program_id,
    scenario,
    areas: row.areas,
    group_level: group_level ?? 1,
    status: row.status,
    result: row.result,
    error: row.error,
    created_by: row.created_by,
    created_at: new Date(row.created_at).toISOString(),
    started_at: row.started_at ? new Date(row.started_at).toISOString() : null,
    finished_at: row.finished_at ? new Date(row.finished_at).toISOString() : null,
  };
}

// the plan and the lease are the worker's, not the API's
const COLUMNS = 's.id, s.name, s.program_id, s.scenario, s.areas, s.status, s.result, s.error, s.created_by, s.created_at, s.started_at, s.finished_at';

// a caller limited to some areas sees the simulations that lie wholly within them
const VISIBLE = `($1::text[] is null or (s.areas is not null and not exists (
  select 1 from unnest(s.areas) as sa(code) where not exists (
    select 1 from admin_area x join admin_area g on starts_with(x.path, g.path) where x.code = sa.code and g.code = any($1::text[])))))`;

export async function getSimulation(db: Db, ctx: Ctx, id: string): Promise<Simulation> {
  const [row] = await db.query<SimulationRow>(`select ${COLUMNS} from simulation s where ${VISIBLE} and s.id = $2`, [scopeParam(ctx.principal), id]);
  if (!row) throw notFound('simulation');
  return toSimulation(row);
}

export async function listSimulations(ctx: Ctx, query: { limit: number; cursor?: string; program_id?: string }) {
  let after: { at: string; id: string } | undefined;
  if (query.cursor) {
    try {
      after = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8'));
      if (typeof after?.at !== 'string' || typeof after?.id !== 'string' || Number.isNaN(Date.parse(after.at))) throw new Error('bad');
    } catch {
      throw invalid([{ field: 'query.cursor', message: 'is not a cursor this list gave out' }]);
    }
  }
  const rows = await ctx.db.query<SimulationRow>(
    `select ${COLUMNS} from simulation s where ${VISIBLE} and ($2::uuid is null or s.program_id = $2)
       and ($3::timestamptz is null or (s.created_at, s.id) < ($3::timestamptz, $4::uuid))
     order by s.created_at desc, s.id desc limit $5`,
    [scopeParam(ctx.principal), query.program_id ?? null, after?.at ?? null, after?.id ?? null, query.limit + 1],
  );
  const page = rows.slice(0, query.limit).map(toSimulation);
  const last = page[page.length - 1];
  return {
    items: page,
    next_cursor: rows.length > query.limit ? Buffer.from(JSON.stringify({ at: last.created_at, id: last.id })).toString('base64url') : null,
  };
}

/** Who a simulation newly includes or excludes (household ids: recorded as read), in the caller's areas. */
export async function simulationChanges(ctx: Ctx, id: string, query: { change?: string; limit: number; cursor?: string }) {
  requireDone(await getSimulation(ctx.db, ctx, id));
  if (query.cursor && !/^[0-9a-f-]{36}$/.test(query.cursor)) throw invalid([{ field: 'query.cursor', message: 'is not a cursor this list gave out' }]);
  const rows = await ctx.db.query<{ household_id: string; change: string; area_code: string }>(
    `select c.household_id, c.change, c.area_code from simulation_change c
     where c.simulation_id = $1 and ($2::text is null or c.change = $2) and ($3::uuid is null or c.household_id > $3::uuid)
       and ${areaVisible('c.area_code', 4)}
     order by c.household_id limit $5`,
    [id, query.change ?? null, query.cursor ?? null, scopeParam(ctx.principal), query.limit + 1],
  );
  const page = rows.slice(0, query.limit);
  const members = await householdStore.currentMemberIds(ctx.db, page.map((r) => r.household_id));
  await ctx.audit.recordReads(householdEntries(ctx, 'read', page.map((r) => ({ id: r.household_id, memberIds: members.get(r.household_id) ?? [], fields: ['simulation_outcome'] }))));
  return { items: page, next_cursor: rows.length > query.limit ? page[page.length - 1].household_id : null };
}

/** A simulation with its result; 409 while it is queued or running (poll it) or when it failed. */
function requireDone(sim: Simulation): Simulation & { result: SimulationResult } {
  if (sim.status !== 'done' || !sim.result) {
    throw conflict('simulation.not_done', `Simulation ${sim.id} is ${sim.status}: it has no result${sim.status === 'failed' ? '' : ' yet'}.`);
  }
  return sim as Simulation & { result: SimulationResult };
}

/** Two simulations side by side, with the scenario totals' differences (b minus a). */
export async function compareSimulations(ctx: Ctx, a: string, b: string) {
  const [first, second] = [requireDone(await getSimulation(ctx.db, ctx, a)), requireDone(await getSimulation(ctx.db, ctx, b))];
  const diff = (pick: (s: SimulationResult) => number) => pick(second.result) - pick(first.result);
  return {
    simulations: [first, second],
    difference: {
      scenario_households: diff((r) => r.scenario.households),
      scenario_persons: diff((r) => r.scenario.persons),
      scenario_cost: diff((r) => r.scenario.cost),
      newly_included_households: diff((r) => r.delta.newly_included.households),
      newly_excluded_households: diff((r) => r.delta.newly_excluded.households),
    },
  };
}
