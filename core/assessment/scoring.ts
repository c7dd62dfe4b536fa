// Scoring households with a published model, set-based: the model compiled into one INSERT ... SELECT over the
// households' stored features (a few after a change, a chunk of the batch job after a publish), never a loop over
// records in JS.
import type { Db } from '../db/index.js';
import { refreshFeatures } from './features-store.js';
import { scoreSelect, type ModelDefinition } from './model.js';
import { SqlParams } from './sql-params.js';

export interface PublishedModel {
  id: string;
  version: number;
  definition: ModelDefinition;
}

/** The published version of every model (the ones households are scored with). */
export async function publishedModels(db: Db): Promise<PublishedModel[]> {
  return db.query<PublishedModel>(
    `select m.id, v.version, v.definition from assessment_model m
     join assessment_model_version v on v.model_id = m.id and v.version = m.published_version order by m.id`,
  );
}

/** Scores the given households (active ones; a deregistered household's score is removed); answers how many. */
export async function scoreHouseholds(tx: Db, model: PublishedModel, householdIds: readonly string[]): Promise<number> {
  if (householdIds.length === 0) return 0;
  // the stored features, brought up to date first (features-store.ts): a row per household, no member aggregate
  await refreshFeatures(tx);
  const params = new SqlParams([model.id, model.version, householdIds]);
  const select = scoreSelect(model.definition, params, 'select * from household_features where household_id = any($3::uuid[])');
  const rows = await tx.query<{ household_id: string }>(
    `insert into household_score (model_id, household_id, model_version, score, breakdown, computed_at)
     select $1::uuid, s.household_id, $2::int, s.score, s.breakdown, now() from (${select}) s
     on conflict (model_id, household_id) do update set model_version = excluded.model_version, score = excluded.score,
       breakdown = excluded.breakdown, computed_at = excluded.computed_at
     returning household_id`,
    params.values,
  );
  await tx.query(
    `delete from household_score sc using household h
     where sc.model_id = $1 and sc.household_id = h.id and h.id = any($2::uuid[]) and h.deregistered_at is not null`,
    [model.id, householdIds],
  );
  return rows.length;
}

/**
 * One chunk of the batch job: the next `size` households by id after `after` (null = from the start), scored in
 * one statement. Answers the last household id of the chunk (null when there were none left) and how many.
 */
export async function scoreChunk(tx: Db, model: PublishedModel, after: string | null, size: number): Promise<{ last: string | null; count: number }> {
  const [chunk] = await tx.query<{ last: string | null; count: number; ids: string[] | null }>(
    `select max(id::text)::uuid as last, count(*)::int as count, array_agg(id) as ids
     from (select id from household where ($1::uuid is null or id > $1::uuid) order by id limit $2) c`,
    [after, size],
  );
  if (!chunk || chunk.count === 0) return { last: null, count: 0 };
  await scoreHouseholds(tx, model, chunk.ids ?? []);
  return { last: chunk.last, count: chunk.count };
}
