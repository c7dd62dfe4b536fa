// What the outbox's consumers would have done for registration events, done once for a whole seed run (a seed emits
// no per-record events: docs/benchmarks.md): the households' stored features refreshed; every published model re-scores everyone through its scoring job, which
// also refreshes the programs ranking by it; this context's cached dashboards are made stale; the planner learns the
// new sizes.
import { refreshFeatures } from '../assessment/features-store.js';
import { uuidv7 } from '../ids.js';
import { bumpGeneration } from '../reports/generation.js';
import type { Ctx } from '../server/context.js';

export async function afterSeed(ctx: Ctx): Promise<void> {
  // the seeded households' stored features (marked stale by the triggers) computed now, not by the first reader
  await ctx.db.transaction((tx) => refreshFeatures(tx));
  await ctx.db.transaction(async (tx) => {
    const models = await tx.query<{ id: string; version: number }>(
      'select id, published_version as version from assessment_model where published_version is not null order by id for update',
    );
    for (const model of models) {
      // as a publish does (core/assessment/service.ts): a running job starts over, since its cursor passed new households
      await tx.query(`update scoring_job set status = 'superseded', updated_at = now() where model_id = $1 and status = 'running'`, [model.id]);
      await tx.query('insert into scoring_job (id, model_id, model_version) values ($1, $2, $3)', [uuidv7(), model.id, model.version]);
    }
  });
  // the context's own cache; a running hub's shared (Redis) cache is not the command line's, so dashboards it
  // cached refresh when they expire (minutes)
  await bumpGeneration(ctx.cache);
  // autovacuum would get there, minutes later; the hub's plans (DCI search, reports) need the sizes now
  if (ctx.db.engine === 'postgres') await ctx.db.query('analyze person, person_identifier, household, membership, dedup_match_key');
}
