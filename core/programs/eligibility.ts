// Eligibility, set-based: a policy (rules, quota, budget, benefit) compiled into one SELECT that ranks the households
// passing the rules (lowest score first, no score last, then by id) and takes them while within the quota and the
// budget. Live eligibility is materialised per program in household_eligibility; every change of a household's
// `eligible` emits household.eligibility_changed. Simulations use the same SELECT over their own temporary tables.
import { CHAIN_LOCK_KEY } from '../audit/store.js';
import { featuresSql } from '../assessment/features.js';
import { SqlParams } from '../assessment/sql-params.js';
import type { Db } from '../db/db.js';
import { useBulkSettings } from '../db/bulk-settings.js';
import { compileRule } from './compile-rule.js';
import type { ProgramRule } from './service.js';

export const ELIGIBILITY_CHANGED = 'household.eligibility_changed';

export interface Policy {
  rules: readonly ProgramRule[];
  /** The program has a model (rules may read `score`; ranking uses it). */
  hasScore: boolean;
  threshold: number | null;
  maxHouseholds: number | null;
  budget: number | null;
  benefitPerHousehold: number;
  benefitPerMember: number;
}

/** The columns of policySelect's rows, for the temporary tables that hold them. */
export const POLICY_COLUMNS =
  'household_id uuid, area_code text, household_size int, score float8, rank_key float8, cost float8, eligible boolean';

/**
 * The SELECT of (household_id, area_code, household_size, score, rank_key, cost, eligible) for the households that
 * pass the rules. `features` is a relation with the columns of featuresSql; `scores` one of (household_id, score)
 * or null when the policy has no model.
 */
export function policySelect(policy: Policy, params: SqlParams, sources: { features: string; scores: string | null }): string {
  const rules = policy.rules.map((r) => compileRule(r.expression, { hasScore: policy.hasScore, threshold: policy.threshold }, params).sql);
  const cost = `(${params.add(policy.benefitPerHousehold, 'float8')} + ${params.add(policy.benefitPerMember, 'float8')} * f.household_size)`;
  const scoreJoin = sources.scores ? `left join ${sources.scores} s on s.household_id = f.household_id` : 'left join (select null::uuid as household_id, null::float8 as score) s on false';
  const max = params.add(policy.maxHouseholds, 'int');
  const budget = params.add(policy.budget, 'float8');
  return `select r.household_id, r.area_code, r.household_size, r.score, r.rank_key, r.cost,
      (${max} is null or r.position <= ${max}) and (${budget} is null or r.running_cost <= ${budget}) as eligible
    from (
      select c.*, row_number() over w as position, sum(c.cost) over (w rows unbounded preceding) as running_cost
      from (
        select f.household_id, f.area_code, f.household_size, s.score, coalesce(s.score, 'Infinity'::float8) as rank_key, ${cost} as cost
        from ${sources.features} f ${scoreJoin}
        where ${rules.length ? rules.join(' and ') : 'true'}
      ) c
      window w as (order by c.rank_key, c.household_id)
    ) r`;
}

interface ProgramPolicyRow {
  id: string;
  status: string;
  model_id: string | null;
  rules: ProgramRule[];
  max_households: number | null;
  budget: number | null;
  benefit_per_household: number;
  benefit_per_member: number;
  threshold: number | null;
  model_published: boolean | null;
}

export async function programPolicy(db: Db, programId: string): Promise<{ status: string; modelId: string | null; policy: Policy } | undefined> {
  const [row] = await db.query<ProgramPolicyRow>(
    `select p.id, p.status, p.model_id, p.rules, p.max_households, p.budget, p.benefit_per_household, p.benefit_per_member,
       (v.definition->>'threshold')::float8 as threshold, m.published_version is not null as model_published
     from program p left join assessment_model m on m.id = p.model_id
     left join assessment_model_version v on v.model_id = m.id and v.version = m.published_version
     where p.id = $1`,
    [programId],
  );
  if (!row) return undefined;
  return {
    status: row.status,
    modelId: row.model_id,
    policy: {
      rules: row.rules,
      hasScore: row.model_id !== null,
      threshold: row.threshold,
      maxHouseholds: row.max_households,
      budget: row.budget,
      benefitPerHousehold: row.benefit_per_household,
      benefitPerMember: row.benefit_per_member,
    },
  };
}

/**
 * Recomputes a program's eligibility: for the given households only when the program has no quota and no budget
 * (a household's change cannot move another), otherwise (or with null) for everyone. A program that is not active
 * keeps none. Emits household.eligibility_changed for every household whose `eligible` changed. Runs in `tx`.
 */
export async function refreshEligibility(tx: Db, programId: string, householdIds: readonly string[] | null): Promise<number> {
  const found = await programPolicy(tx, programId);
  if (!found) return 0;
  const { status, modelId, policy } = found;
  const whole = householdIds === null || policy.maxHouseholds !== null || policy.budget !== null;
  const ids = whole ? null : [...householdIds!];
  if (ids && ids.length === 0) return 0;
  if (whole) await useBulkSettings(tx);
  await tx.query('drop table if exists pg_temp.eligibility_new');
  await tx.query(`create temp table eligibility_new (${POLICY_COLUMNS}) on commit drop`);
  if (status === 'active') {
    // everyone: the unfiltered features (cheaper than a filter that is always true: see featuresSql)
    const params = new SqlParams(ids ? [ids] : []);
    const features = `(${ids ? featuresSql('h.id = any($1::uuid[])', 'm.household_id = any($1::uuid[])') : featuresSql()})`;
    const scores = modelId ? `(select household_id, score from household_score where model_id = ${params.add(modelId, 'uuid')})` : null;
    await tx.query(`insert into eligibility_new ${policySelect(policy, params, { features, scores })}`, params.values);
  }
  const scope = '($2::uuid[] is null or o.household_id = any($2::uuid[]))';
  // what changed, before the rows change
  await tx.query('drop table if exists pg_temp.eligibility_changed');
  await tx.query(
    `create temp table eligibility_changed (household_id uuid, eligible boolean) on commit drop`,
  );
  await tx.query(
    `insert into eligibility_changed
     select coalesce(n.household_id, o.household_id) as household_id, coalesce(n.eligible, false) as eligible
     from eligibility_new n
     full join (select o.household_id, o.eligible from household_eligibility o where o.program_id = $1 and ${scope}) o
       on o.household_id = n.household_id
     where coalesce(n.eligible, false) <> coalesce(o.eligible, false)`,
    [programId, ids],
  );
  await tx.query(
    `delete from household_eligibility o where o.program_id = $1 and ${scope}
       and not exists (select 1 from eligibility_new n where n.household_id = o.household_id)`,
    [programId, ids],
  );
  await tx.query(
    `insert into household_eligibility (program_id, household_id, eligible, score, rank_key, cost, computed_at)
     select $1, n.household_id, n.eligible, n.score, n.rank_key, n.cost, now() from eligibility_new n
     on conflict (program_id, household_id) do update set eligible = excluded.eligible, score = excluded.score,
       rank_key = excluded.rank_key, cost = excluded.cost, computed_at = excluded.computed_at
     where (household_eligibility.eligible, household_eligibility.score, household_eligibility.cost)
       is distinct from (excluded.eligible, excluded.score, excluded.cost)`,
    [programId],
  );
  const [changed] = await tx.query<{ count: number }>('select count(*)::int as count from eligibility_changed');
  if (changed.count === 0) return 0;
  // the outbox writer lock after the row locks (core/outbox/events.ts), then the events in one statement
  await tx.query('select pg_advisory_xact_lock($1)', [CHAIN_LOCK_KEY]);
  const [events] = await tx.query<{ count: number }>(
    `with emitted as (
       insert into outbox_event (topic, aggregate_type, aggregate_id, payload)
       select $2, 'household', c.household_id::text,
         jsonb_build_object('household_id', c.household_id, 'program_id', $1::uuid, 'eligible', c.eligible)
       from eligibility_changed c order by c.household_id
       returning 1)
     select count(*)::int as count from emitted`,
    [programId, ELIGIBILITY_CHANGED],
  );
  return events.count;
}

/** Active programs (their eligibility follows household changes and score changes). */
export async function activePrograms(db: Db, modelId?: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `select id from program where status = 'active' and ($1::uuid is null or model_id = $1::uuid) order by id`,
    [modelId ?? null],
  );
  return rows.map((r) => r.id);
}
