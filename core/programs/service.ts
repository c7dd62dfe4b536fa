// Programs: their rules (checked and compiled at save time, so a bad rule is a 422 and never reaches a batch), quota,
// budget and benefit; activation materialises eligibility, closing withdraws it.
import { auditEntries } from '../audit/entry.js';
import type { ModelDefinition } from '../assessment/model.js';
import { SqlParams } from '../assessment/sql-params.js';
import { sqlState, UNIQUE_VIOLATION, type Db } from '../db/db.js';
import { uuidv7 as newId } from '../ids.js';
import type { Ctx } from '../server/context.js';
import { conflict, notFound, staleVersion, unprocessable, type FieldError } from '../server/errors.js';
import { compileRule } from './compile-rule.js';
import { refreshEligibility } from './eligibility.js';
import { RuleError } from './rule-parser.js';

export interface ProgramRule {
  name: string;
  expression: string;
}

export interface Program {
  id: string;
  code: string;
  name: string;
  description: string | null;
  status: 'draft' | 'active' | 'closed';
  model_id: string | null;
  rules: ProgramRule[];
  max_households: number | null;
  budget: number | null;
  benefit_per_household: number;
  benefit_per_member: number;
  version: number;
  eligible_households: number;
  created_at: string;
  updated_at: string;
}

export interface ProgramInput {
  code?: string;
  name?: string;
  description?: string | null;
  model_id?: string | null;
  rules?: ProgramRule[];
  max_households?: number | null;
  budget?: number | null;
  benefit_per_household?: number;
  benefit_per_member?: number;
}

export const MAX_RULES = 50;

/** What the compilers need of a program's model: the threshold rules may read. */
export async function modelThreshold(db: Db, modelId: string | null): Promise<{ exists: boolean; threshold: number | null }> {
  if (!modelId) return { exists: false, threshold: null };
  const [row] = await db.query<{ definition: ModelDefinition | null }>(
    `select v.definition from assessment_model m
     left join assessment_model_version v on v.model_id = m.id and v.version = m.published_version where m.id = $1`,
    [modelId],
  );
  return { exists: Boolean(row), threshold: row?.definition?.threshold ?? null };
}

/**
 * Checks rules against the language and the allow-list (and that the areas they name exist); every problem is a
 * FieldError at `at[i].expression` naming the column.
 */
export async function checkRules(db: Db, rules: readonly ProgramRule[], modelId: string | null, at = 'body.rules', threshold?: number | null): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  if (rules.length > MAX_RULES) return [{ field: at, message: `may have at most ${MAX_RULES} rules` }];
  const model = await modelThreshold(db, modelId);
  const names = new Set<string>();
  const areas = new Set<string>();
  rules.forEach((rule, i) => {
    if (names.has(rule.name)) errors.push({ field: `${at}[${i}].name`, message: `${rule.name} is used twice` });
    names.add(rule.name);
    try {
      const compiled = compileRule(rule.expression, { hasScore: model.exists, threshold: threshold !== undefined ? threshold : model.threshold }, new SqlParams());
      compiled.areas.forEach((a) => areas.add(a));
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      errors.push({ field: `${at}[${i}].expression`, message: `column ${err.pos}: ${err.message}` });
    }
  });
  if (areas.size) {
    const known = new Set((await db.query<{ code: string }>('select code from admin_area where code = any($1::text[])', [[...areas]])).map((r) => r.code));
    const unknown = [...areas].filter((a) => !known.has(a));
    if (unknown.length) errors.push({ field: at, message: `in_area names unknown areas: ${unknown.join(', ')}` });
  }
  return errors;
}

interface ProgramRow {
  id: string;
  code: string;
  name: string;
  description: string | null;
  status: Program['status'];
  model_id: string | null;
  rules: ProgramRule[];
  max_households: number | null;
  budget: number | null;
  benefit_per_household: number;
  benefit_per_member: number;
  version: number;
  created_at: Date;
  updated_at: Date;
  eligible_households?: number;
}

function toProgram(row: ProgramRow): Program {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    description: row.description,
    status: row.status,
    model_id: row.model_id,
    rules: row.rules,
    max_households: row.max_households,
    budget: row.budget,
    benefit_per_household: row.benefit_per_household,
    benefit_per_member: row.benefit_per_member,
    version: row.version,
    eligible_households: row.eligible_households ?? 0,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

const PROGRAM_SELECT = `select p.*, (select count(*)::int from household_eligibility e where e.program_id = p.id and e.eligible) as eligible_households from program p`;

export async function programRow(db: Db, id: string, lock = false): Promise<ProgramRow> {
  const [row] = await db.query<ProgramRow>(`select * from program where id = $1${lock ? ' for update' : ''}`, [id]);
  if (!row) throw notFound('program');
  return row;
}

export async function getProgram(db: Db, id: string): Promise<Program> {
  const [row] = await db.query<ProgramRow>(`${PROGRAM_SELECT} where p.id = $1`, [id]);
  if (!row) throw notFound('program');
  return toProgram(row);
}

export async function listPrograms(db: Db, status?: string): Promise<Program[]> {
  const rows = await db.query<ProgramRow>(`${PROGRAM_SELECT} where ($1::text is null or p.status = $1) order by p.code`, [status ?? null]);
  return rows.map(toProgram);
}

async function requireValid(db: Db, input: ProgramInput, modelId: string | null): Promise<void> {
  const errors: FieldError[] = [];
  if (modelId && !(await modelThreshold(db, modelId)).exists) errors.push({ field: 'body.model_id', message: 'no such assessment model' });
  else errors.push(...(await checkRules(db, input.rules ?? [], modelId)));
  if (errors.length) throw unprocessable('program.invalid', errors, 'The program is not valid: see errors.');
}

function adminEntry(ctx: Ctx, id: string, details: Record<string, unknown>) {
  return auditEntries(ctx, [{ action: 'admin', entity: 'program', entityId: id, details }]);
}

export async function createProgram(ctx: Ctx, input: ProgramInput & { code: string; name: string }): Promise<Program> {
  await requireValid(ctx.db, input, input.model_id ?? null);
  const id = newId();
  try {
    await ctx.db.transaction(async (tx) => {
      await tx.query(
        `insert into program (id, code, name, description, model_id, rules, max_households, budget, benefit_per_household,
           benefit_per_member, created_by, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
        [id, input.code, input.name, input.description ?? null, input.model_id ?? null, JSON.stringify(input.rules ?? []),
          input.max_households ?? null, input.budget ?? null, input.benefit_per_household ?? 0, input.benefit_per_member ?? 0, ctx.principal.id],
      );
      await ctx.audit.recordIn(tx, adminEntry(ctx, id, { change: 'created', code: input.code }));
    });
  } catch (err) {
    if (sqlState(err) === UNIQUE_VIOLATION) throw conflict('program.code_taken', `A program with the code ${input.code} exists already.`);
    throw err;
  }
  return getProgram(ctx.db, id);
}

const CHANGEABLE = ['name', 'description', 'model_id', 'rules', 'max_households', 'budget', 'benefit_per_household', 'benefit_per_member'] as const;

/** Changes a program (If-Match: its version); an active program's eligibility is recomputed in the same transaction. */
export async function updateProgram(ctx: Ctx, id: string, version: number, patch: ProgramInput): Promise<Program> {
  await ctx.db.transaction(async (tx) => {
    const row = await programRow(tx, id, true);
    if (row.version !== version) throw staleVersion('program', row.version);
    if (row.status === 'closed') throw conflict('program.closed', 'A closed program does not change.');
    const next = { ...row, ...Object.fromEntries(CHANGEABLE.filter((k) => patch[k] !== undefined).map((k) => [k, patch[k]])) } as ProgramRow;
    await requireValid(tx, next, next.model_id);
    await tx.query(
      `update program set name = $2, description = $3, model_id = $4, rules = $5, max_households = $6, budget = $7,
         benefit_per_household = $8, benefit_per_member = $9, version = version + 1, updated_by = $10, updated_at = now()
       where id = $1`,
      [id, next.name, next.description, next.model_id, JSON.stringify(next.rules), next.max_households, next.budget,
        next.benefit_per_household, next.benefit_per_member, ctx.principal.id],
    );
    if (row.status === 'active') await refreshEligibility(tx, id, null);
    await ctx.audit.recordIn(tx, adminEntry(ctx, id, { change: 'updated', fields: CHANGEABLE.filter((k) => patch[k] !== undefined) }));
  });
  return getProgram(ctx.db, id);
}

/** draft -> active (eligibility computed now) and active -> closed (eligibility withdrawn, events for each). */
export async function setProgramStatus(ctx: Ctx, id: string, status: 'active' | 'closed'): Promise<Program> {
  await ctx.db.transaction(async (tx) => {
    const row = await programRow(tx, id, true);
    const allowed = status === 'active' ? row.status === 'draft' : row.status === 'active';
    if (!allowed) throw conflict('program.status', `A ${row.status} program cannot become ${status}.`);
    await tx.query('update program set status = $2, version = version + 1, updated_by = $3, updated_at = now() where id = $1', [id, status, ctx.principal.id]);
    await refreshEligibility(tx, id, null);
    await ctx.audit.recordIn(tx, adminEntry(ctx, id, { change: status === 'active' ? 'activated' : 'closed' }));
  });
  return getProgram(ctx.db, id);
}
