// Assessment models: create, edit the draft, publish (immutable from then on, and everyone re-scored by the batch
// job), read. Administrative writes are audited in their transaction.
import { auditEntries } from '../audit/entry.js';
import { sqlState, UNIQUE_VIOLATION, type Db } from '../db/db.js';
import { uuidv7 as newId } from '../ids.js';
import type { Ctx } from '../server/context.js';
import { conflict, notFound, unprocessable } from '../server/errors.js';
import { checkDefinition, type ModelDefinition } from './model.js';

export interface ModelVersion {
  version: number;
  status: 'draft' | 'published' | 'superseded';
  definition: ModelDefinition;
  created_by: string;
  created_at: string;
  published_by: string | null;
  published_at: string | null;
}

export interface ScoringStatus {
  version: number;
  status: 'running' | 'done' | 'superseded';
  scored: number;
  started_at: string;
  finished_at: string | null;
}

export interface AssessmentModel {
  id: string;
  code: string;
  name: string;
  description: string | null;
  published_version: number | null;
  versions: ModelVersion[];
  scoring: ScoringStatus | null;
  created_at: string;
  updated_at: string;
}

interface ModelRow {
  id: string;
  code: string;
  name: string;
  description: string | null;
  published_version: number | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function requireDefinition(definition: unknown, at = 'body.definition'): ModelDefinition {
  const errors = checkDefinition(definition, at);
  if (errors.length) throw unprocessable('assessment_model.invalid', errors, 'The model definition is not valid: see errors.');
  return definition as ModelDefinition;
}

function adminEntry(ctx: Ctx, id: string, details: Record<string, unknown>) {
  return auditEntries(ctx, [{ action: 'admin', entity: 'assessment_model', entityId: id, details }]);
}

export async function createModel(ctx: Ctx, input: { code: string; name: string; description?: string; definition: unknown }): Promise<AssessmentModel> {
  const definition = requireDefinition(input.definition);
  const id = newId();
  try {
    await ctx.db.transaction(async (tx) => {
      await tx.query(
        `insert into assessment_model (id, code, name, description, created_by) values ($1, $2, $3, $4, $5)`,
        [id, input.code, input.name, input.description ?? null, ctx.principal.id],
      );
      await tx.query(
        `insert into assessment_model_version (model_id, version, status, definition, created_by) values ($1, 1, 'draft', $2, $3)`,
        [id, JSON.stringify(definition), ctx.principal.id],
      );
      await ctx.audit.recordIn(tx, adminEntry(ctx, id, { change: 'created', code: input.code }));
    });
  } catch (err) {
    if (sqlState(err) === UNIQUE_VIOLATION) throw conflict('assessment_model.code_taken', `A model with the code ${input.code} exists already.`);
    throw err;
  }
  return getModel(ctx.db, id);
}

export async function listModels(db: Db): Promise<AssessmentModel[]> {
  const rows = await db.query<{ id: string }>('select id from assessment_model order by code');
  return Promise.all(rows.map((r) => getModel(db, r.id)));
}

export async function getModel(db: Db, id: string): Promise<AssessmentModel> {
  const [row] = await db.query<ModelRow>('select * from assessment_model where id = $1', [id]);
  if (!row) throw notFound('assessment_model');
  const versions = await db.query<ModelVersion & { created_at: Date; published_at: Date | null }>(
    `select version, status, definition, created_by, created_at, published_by, published_at
     from assessment_model_version where model_id = $1 order by version`,
    [id],
  );
  const [job] = await db.query<{ model_version: number; status: ScoringStatus['status']; scored: number; started_at: Date; finished_at: Date | null }>(
    `select model_version, status, scored, started_at, finished_at from scoring_job where model_id = $1 order by started_at desc, model_version desc limit 1`,
    [id],
  );
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    description: row.description,
    published_version: row.published_version,
    versions: versions.map((v) => ({ ...v, created_at: iso(v.created_at)!, published_at: iso(v.published_at) })),
    scoring: job
      ? { version: job.model_version, status: job.status, scored: job.scored, started_at: iso(job.started_at)!, finished_at: iso(job.finished_at) }
      : null,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

/** A new draft version, from the definition given (or a copy of the latest version); one draft at a time. */
export async function createDraft(ctx: Ctx, id: string, definition?: unknown): Promise<AssessmentModel> {
  const given = definition === undefined ? undefined : requireDefinition(definition);
  await ctx.db.transaction(async (tx) => {
    const [model] = await tx.query<{ id: string }>('select id from assessment_model where id = $1 for update', [id]);
    if (!model) throw notFound('assessment_model');
    const [latest] = await tx.query<{ version: number; status: string; definition: ModelDefinition }>(
      'select version, status, definition from assessment_model_version where model_id = $1 order by version desc limit 1',
      [id],
    );
    if (latest?.status === 'draft') throw conflict('assessment_model.draft_exists', `Version ${latest.version} is still a draft: edit it or publish it first.`);
    const version = (latest?.version ?? 0) + 1;
    await tx.query(
      `insert into assessment_model_version (model_id, version, status, definition, created_by) values ($1, $2, 'draft', $3, $4)`,
      [id, version, JSON.stringify(given ?? latest.definition), ctx.principal.id],
    );
    await tx.query('update assessment_model set updated_at = now() where id = $1', [id]);
    await ctx.audit.recordIn(tx, adminEntry(ctx, id, { change: 'draft_created', version }));
  });
  return getModel(ctx.db, id);
}

/** Replaces a draft's definition; a published version is immutable (409). */
export async function updateDraft(ctx: Ctx, id: string, version: number, definition: unknown): Promise<AssessmentModel> {
  const checked = requireDefinition(definition);
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx.query<{ status: string }>(
      'select status from assessment_model_version where model_id = $1 and version = $2 for update',
      [id, version],
    );
    if (!row) throw notFound('assessment_model_version');
    if (row.status !== 'draft') throw conflict('assessment_model.version_published', `Version ${version} is published and cannot change; create a new draft.`);
    await tx.query(
      'update assessment_model_version set definition = $3, updated_at = now() where model_id = $1 and version = $2',
      [id, version, JSON.stringify(checked)],
    );
    await ctx.audit.recordIn(tx, adminEntry(ctx, id, { change: 'draft_updated', version }));
  });
  return getModel(ctx.db, id);
}

/**
 * Publishes a draft: it becomes the model's version in effect, the previous one is superseded, and a scoring job
 * re-scores every household in chunks (a running job of an older version is superseded).
 */
export async function publishVersion(ctx: Ctx, id: string, version: number): Promise<AssessmentModel> {
  await ctx.db.transaction(async (tx) => {
    await tx.query('select id from assessment_model where id = $1 for update', [id]);
    const [row] = await tx.query<{ status: string }>(
      'select status from assessment_model_version where model_id = $1 and version = $2 for update',
      [id, version],
    );
    if (!row) throw notFound('assessment_model_version');
    if (row.status !== 'draft') throw conflict('assessment_model.version_published', `Version ${version} is already published.`);
    await tx.query(`update assessment_model_version set status = 'superseded' where model_id = $1 and status = 'published'`, [id]);
    await tx.query(
      `update assessment_model_version set status = 'published', published_by = $3, published_at = now(), updated_at = now()
       where model_id = $1 and version = $2`,
      [id, version, ctx.principal.id],
    );
    await tx.query('update assessment_model set published_version = $2, updated_at = now() where id = $1', [id, version]);
    await tx.query(`update scoring_job set status = 'superseded', updated_at = now() where model_id = $1 and status = 'running'`, [id]);
    await tx.query(`insert into scoring_job (id, model_id, model_version) values ($1, $2, $3)`, [newId(), id, version]);
    await ctx.audit.recordIn(tx, adminEntry(ctx, id, { change: 'published', version }));
  });
  return getModel(ctx.db, id);
}
