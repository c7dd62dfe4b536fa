// A policy simulation computed in SQL, never touching live data: one statement (one snapshot) reads the stored
// features of the households in scope (household_features: the caller refreshes them first, see worker.ts), scores
// them by the baseline model and the scenario's in the same pass, applies each policy by the same SELECT as live
// eligibility (core/programs/eligibility.ts) and keeps one row per household in a temporary table; the aggregates
// (totals, deltas, by area, by group, the fairness shares) are read from it. The temporary tables go at commit.
import { scoreExpression, type ModelDefinition } from '../assessment/model.js';
import { SqlParams } from '../assessment/sql-params.js';
import type { Db } from '../db/db.js';
import { useBulkSettings } from '../db/bulk-settings.js';
import { policySelect, type Policy } from '../programs/eligibility.js';

export interface SimulationInput {
  baseline: { policy: Policy; model: ModelDefinition | null };
  scenario: { policy: Policy; model: ModelDefinition | null };
  /** Area codes (each with everything under it); null = every area. */
  areas: string[] | null;
  /** The admin level the by-area views group by (0 = the top of the tree). */
  groupLevel: number;
}

export interface Totals {
  households: number;
  persons: number;
  cost: number;
}

export interface Shares {
  female_headed: number | null;
  with_elderly: number | null;
  with_disabled: number | null;
  with_children: number | null;
}

export interface SimulationResult {
  population: { households: number; persons: number };
  baseline: Totals;
  scenario: Totals;
  delta: {
    households: number;
    persons: number;
    cost: number;
    newly_included: { households: number; persons: number };
    newly_excluded: { households: number; persons: number };
  };
  by_area: {
    area_code: string;
    population_households: number;
    baseline_households: number;
    scenario_households: number;
    newly_included: number;
    newly_excluded: number;
    baseline_cost: number;
    scenario_cost: number;
  }[];
  by_group: {
    group: string;
    population_households: number;
    baseline_households: number;
    scenario_households: number;
    newly_included: number;
    newly_excluded: number;
  }[];
  fairness: {
    population: Shares;
    baseline: Shares;
    scenario: Shares;
    by_area: { area_code: string; population: Shares; baseline: Shares; scenario: Shares }[];
  };
}

/** The demographic groups of by_group: name -> SQL over the per-household result row r. */
const GROUPS: [string, string][] = [
  ['female_headed', 'r.female_head'],
  ['with_children', 'r.children > 0'],
  ['with_elderly', 'r.elderly > 0'],
  ['with_disabled', 'r.disabled > 0'],
  ['size_1_2', 'r.size between 1 and 2'],
  ['size_3_4', 'r.size between 3 and 4'],
  ['size_5_6', 'r.size between 5 and 6'],
  ['size_7_plus', 'r.size >= 7'],
];

const shareColumns = (prefix: string, filter: string) => `
  (count(*) filter (where ${filter} and r.female_head))::float8 / nullif(count(*) filter (where ${filter}), 0) as ${prefix}_female_headed,
  (count(*) filter (where ${filter} and r.elderly > 0))::float8 / nullif(count(*) filter (where ${filter}), 0) as ${prefix}_with_elderly,
  (count(*) filter (where ${filter} and r.disabled > 0))::float8 / nullif(count(*) filter (where ${filter}), 0) as ${prefix}_with_disabled,
  (count(*) filter (where ${filter} and r.children > 0))::float8 / nullif(count(*) filter (where ${filter}), 0) as ${prefix}_with_children`;

const sharesOf = (row: Record<string, unknown>, prefix: string): Shares => ({
  female_headed: (row[`${prefix}_female_headed`] as number | null) ?? null,
  with_elderly: (row[`${prefix}_with_elderly`] as number | null) ?? null,
  with_disabled: (row[`${prefix}_with_disabled`] as number | null) ?? null,
  with_children: (row[`${prefix}_with_children`] as number | null) ?? null,
});

/**
 * Runs the simulation inside `tx` (the caller's transaction: its temporary tables go at commit) over the stored
 * features, which the caller has refreshed (refreshFeatures); `record` gets the household ids newly included and
 * excluded, to store them with the result.
 */
export async function simulate(
  tx: Db,
  input: SimulationInput,
  record: (changesSelect: string) => Promise<void>,
): Promise<SimulationResult> {
  await useBulkSettings(tx);
  // the planner has no statistics on the statement's CTEs and sorted all of them for merge joins; hashing the two
  // policies' rows instead took a quarter off the statement at 1,000,000 persons (docs/benchmarks.md)
  await tx.query(`select set_config('enable_mergejoin', 'off', true)`);
  for (const table of ['sim_scope', 'sim_rows']) await tx.query(`drop table if exists pg_temp.${table}`);
  // every area in scope (each scope area with its subtree), so each household is one hash lookup, not a subquery
  await tx.query('create temp table sim_scope (code text primary key) on commit drop');
  if (input.areas) {
    await tx.query(
      `insert into sim_scope select distinct x.code from admin_area x join admin_area g on starts_with(x.path, g.path) where g.code = any($1::text[])`,
      [input.areas],
    );
  }
  const inScope = input.areas ? 'hf.area_code in (select sc.code from sim_scope sc)' : 'true';
  const params = new SqlParams();
  const score = (model: ModelDefinition | null) => (model ? scoreExpression(model, params, 'hf') : 'null::float8');
  // a scenario that leaves the model as it is (rules, quota, budget, benefits only) reuses the baseline's scores
  const sameModel = JSON.stringify(input.scenario.model) === JSON.stringify(input.baseline.model);
  const scores = `${score(input.baseline.model)} as base_score, ${sameModel ? 'null::float8' : score(input.scenario.model)} as scen_score`;
  // policySelect joins its scores on the household id: a lateral row of the household's own score column is that
  // join without one (the planner flattens it), where a relation of scores cost two sorts and a merge per policy
  const scoreOf = (column: string) => `lateral (select f.household_id, f.${column} as score)`;
  const base = policySelect(input.baseline.policy, params, { features: 'sim_f', scores: input.baseline.policy.hasScore ? scoreOf('base_score') : null });
  const scen = policySelect(input.scenario.policy, params, {
    features: 'sim_f',
    scores: input.scenario.policy.hasScore ? scoreOf(sameModel ? 'base_score' : 'scen_score') : null,
  });

  // one row per household in scope: its group, demographics and both outcomes
  // (CREATE TABLE AS takes no parameters: the table first, then the rows)
  await tx.query(
    `create temp table sim_rows (household_id uuid, area_code text, area_group text, size int, female_head boolean,
       children int, elderly int, disabled int, base boolean, scen boolean, base_cost float8, scen_cost float8) on commit drop`,
  );
  await tx.query(
    `insert into sim_rows
     with sim_f as materialized (select hf.*, ${scores} from household_features hf where ${inScope}),
       sim_base as (${base}),
       sim_scen as (${scen})
     select f.household_id, f.area_code,
       coalesce(nullif(split_part(a.path, '/', ${Math.trunc(input.groupLevel)} + 2), ''), f.area_code) as area_group,
       f.household_size as size, f.head_female as female_head, f.children, f.elderly, f.disabled,
       coalesce(b.eligible, false) as base, coalesce(s.eligible, false) as scen,
       coalesce(b.cost, 0) as base_cost, coalesce(s.cost, 0) as scen_cost
     from sim_f f join admin_area a on a.code = f.area_code
     left join sim_base b on b.household_id = f.household_id
     left join sim_scen s on s.household_id = f.household_id`,
    params.values,
  );

  // totals, shares and groups in one scan of the rows
  const [totals] = await tx.query<Record<string, number>>(
    `select count(*)::int as households, coalesce(sum(r.size), 0)::int as persons,
       (count(*) filter (where r.base))::int as base_households, coalesce(sum(r.size) filter (where r.base), 0)::int as base_persons,
       coalesce(sum(r.base_cost) filter (where r.base), 0)::float8 as base_cost,
       (count(*) filter (where r.scen))::int as scen_households, coalesce(sum(r.size) filter (where r.scen), 0)::int as scen_persons,
       coalesce(sum(r.scen_cost) filter (where r.scen), 0)::float8 as scen_cost,
       (count(*) filter (where r.scen and not r.base))::int as included_households,
       coalesce(sum(r.size) filter (where r.scen and not r.base), 0)::int as included_persons,
       (count(*) filter (where r.base and not r.scen))::int as excluded_households,
       coalesce(sum(r.size) filter (where r.base and not r.scen), 0)::int as excluded_persons,
       ${shareColumns('pop', 'true')}, ${shareColumns('base', 'r.base')}, ${shareColumns('scen', 'r.scen')},
       ${GROUPS.map(([name, sql]) => `
       (count(*) filter (where ${sql}))::int as ${name}_pop,
       (count(*) filter (where ${sql} and r.base))::int as ${name}_base,
       (count(*) filter (where ${sql} and r.scen))::int as ${name}_scen,
       (count(*) filter (where ${sql} and r.scen and not r.base))::int as ${name}_in,
       (count(*) filter (where ${sql} and r.base and not r.scen))::int as ${name}_out`).join(',')}
     from sim_rows r`,
  );
  const areas = await tx.query<Record<string, unknown> & { area_group: string }>(
    `select r.area_group, count(*)::int as population_households,
       (count(*) filter (where r.base))::int as baseline_households, (count(*) filter (where r.scen))::int as scenario_households,
       (count(*) filter (where r.scen and not r.base))::int as newly_included, (count(*) filter (where r.base and not r.scen))::int as newly_excluded,
       coalesce(sum(r.base_cost) filter (where r.base), 0)::float8 as baseline_cost, coalesce(sum(r.scen_cost) filter (where r.scen), 0)::float8 as scenario_cost,
       ${shareColumns('pop', 'true')}, ${shareColumns('base', 'r.base')}, ${shareColumns('scen', 'r.scen')}
     from sim_rows r group by r.area_group order by r.area_group`,
  );
  await record(
    `select r.household_id, case when r.scen then 'included' else 'excluded' end as change, r.area_code
     from sim_rows r where r.scen <> r.base`,
  );

  return {
    population: { households: totals.households, persons: totals.persons },
    baseline: { households: totals.base_households, persons: totals.base_persons, cost: totals.base_cost },
    scenario: { households: totals.scen_households, persons: totals.scen_persons, cost: totals.scen_cost },
    delta: {
      households: totals.scen_households - totals.base_households,
      persons: totals.scen_persons - totals.base_persons,
      cost: totals.scen_cost - totals.base_cost,
      newly_included: { households: totals.included_households, persons: totals.included_persons },
      newly_excluded: { households: totals.excluded_households, persons: totals.excluded_persons },
    },
    by_area: areas.map((a) => ({
      area_code: a.area_group,
      population_households: a.population_households as number,
      baseline_households: a.baseline_households as number,
      scenario_households: a.scenario_households as number,
      newly_included: a.newly_included as number,
      newly_excluded: a.newly_excluded as number,
      baseline_cost: a.baseline_cost as number,
      scenario_cost: a.scenario_cost as number,
    })),
    by_group: GROUPS.map(([name]) => ({
      group: name,
      population_households: totals[`${name}_pop`],
      baseline_households: totals[`${name}_base`],
      scenario_households: totals[`${name}_scen`],
      newly_included: totals[`${name}_in`],
      newly_excluded: totals[`${name}_out`],
    })),
    fairness: {
      population: sharesOf(totals, 'pop'),
      baseline: sharesOf(totals, 'base'),
      scenario: sharesOf(totals, 'scen'),
      by_area: areas.map((a) => ({ area_code: a.area_group, population: sharesOf(a, 'pop'), baseline: sharesOf(a, 'base'), scenario: sharesOf(a, 'scen') })),
    },
  };
}
