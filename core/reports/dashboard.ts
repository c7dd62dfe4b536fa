// The executive dashboard: the handful of numbers asked for on every page view, for the caller's areas, from the same
// definitions as the reports (docs/reports.md). Cached per area scope; the cache key carries a generation that an
// outbox consumer bumps on every registry change (generation.ts), so a page view costs two cache reads.
import type { Ctx } from '../server/context.js';
import { inPlan, planAreas, REGISTERED_PERSONS, REGISTERED_PERSONS_WHERE, type AreaSelection } from './areas.js';
import { currentGeneration } from './generation.js';
import { existingTables } from './optional-tables.js';
import { populationFor } from './population.js';
import { suppressCount } from './suppression.js';
import { LATEST_VERIFICATION } from './verification.js';

export interface Dashboard {
  generated_at: string;
  min_cell: number;
  areas: string[] | null;
  households: number | null;
  persons: number | null;
  population: number | null;
  population_year: number | null;
  coverage: number | null;
  verified_persons: number | null;
  share_verified: number | null;
  new_this_month: { households: number | null; persons: number | null };
  eligible_per_program: { program_id: string; code: string; name: string; eligible_households: number | null }[];
  trend: { month: string; households: number | null; persons: number | null }[];
}

/** The dashboard for the caller's scope: from the cache when nothing changed since it was computed. */
export async function getDashboard(ctx: Ctx): Promise<Dashboard> {
  const areas = ctx.principal.areas ? [...ctx.principal.areas].sort() : null;
  const generation = await currentGeneration(ctx.cache);
  const key = `reports:dashboard:${generation}:${areas ? areas.join(',') : '*'}`;
  const cached = await ctx.cache.get(key);
  if (cached) return JSON.parse(cached) as Dashboard;
  const dashboard = await computeDashboard(ctx, areas);
  await ctx.cache.set(key, JSON.stringify(dashboard), ctx.config.reports.dashboardTtlSeconds);
  return dashboard;
}

const MONTH_START = `date_trunc('month', now() at time zone 'UTC')`;

export async function computeDashboard(ctx: Ctx, areas: string[] | null): Promise<Dashboard> {
  const minCell = ctx.config.reports.minCell;
  // level 0 rows: the roots for an unrestricted caller, the granted areas for a limited one (areas.ts)
  const selection: AreaSelection = { scope: areas, level: 0, under: null };
  const tables = await existingTables(ctx.db, ['person_verification', 'program', 'household_eligibility']);
  const latest = tables.has('person_verification') ? LATEST_VERIFICATION : 'select null::uuid as person_id, null::text as result where false';
  const plan = await planAreas(ctx.db, selection);
  const codes = [plan.codes];
  const [[householdCount], [personCount], population, trend] = await Promise.all([
    ctx.db.query<{ n: number }>(`select count(*)::int8 as n from household h where h.deregistered_at is null and ${inPlan('h.area_code', 1)}`, codes),
    ctx.db.query<{ n: number; verified: number }>(
      `with latest as (${latest})
       select count(*)::int8 as n, count(l.person_id) filter (where l.result = 'match')::int8 as verified
       from ${REGISTERED_PERSONS} left join latest l on l.person_id = p.id
       where ${REGISTERED_PERSONS_WHERE} and ${inPlan('h.area_code', 1)}`,
      codes,
    ),
    populationFor(ctx.db, selection, null),
    // months in UTC, as timestamps without time zone so month arithmetic ignores the session's time zone
    ctx.db.query<{ month: string; households: number; persons: number }>(
      `with months as (select generate_series(${MONTH_START} - interval '11 months', ${MONTH_START}, interval '1 month') as start),
       hh as (
         select date_trunc('month', h.created_at at time zone 'UTC') as start, count(*)::int8 as n
         from household h
         where h.created_at >= (${MONTH_START} - interval '11 months') at time zone 'UTC' and ${inPlan('h.area_code', 1)} group by 1),
       pp as (
         select date_trunc('month', p.created_at at time zone 'UTC') as start, count(*)::int8 as n
         from person p join membership ms on ms.person_id = p.id and ms.end_date is null
         join household h on h.id = ms.household_id
         where p.created_at >= (${MONTH_START} - interval '11 months') at time zone 'UTC' and ${inPlan('h.area_code', 1)} group by 1)
       select to_char(months.start, 'YYYY-MM') as month, coalesce(hh.n, 0)::int8 as households, coalesce(pp.n, 0)::int8 as persons
       from months left join hh on hh.start = months.start left join pp on pp.start = months.start order by months.start`,
      codes,
    ),
  ]);
  const populationTotal = population.byRow.size ? [...population.byRow.values()].reduce((n, p) => n + p.population, 0) : null;
  const head = { households: householdCount.n, persons: personCount.n, verified: personCount.verified, population: populationTotal, year: population.year };
  const programs = tables.has('program') && tables.has('household_eligibility')
    ? await ctx.db.query<{ program_id: string; code: string; name: string; eligible: number }>(
      `select pr.id::text as program_id, pr.code, pr.name,
              (select count(*) from household_eligibility he join household h on h.id = he.household_id
               where he.program_id = pr.id and he.eligible and h.deregistered_at is null and ${inPlan('h.area_code', 1)})::int8 as eligible
       from program pr where pr.status = 'active' order by pr.code`,
      codes,
    )
    : [];
  const show = (n: number) => suppressCount(n, minCell);
  const persons = show(head.persons);
  const verified = show(head.verified);
  return {
    generated_at: new Date().toISOString(),
    min_cell: minCell,
    areas,
    households: show(head.households),
    persons,
    population: head.population,
    population_year: head.population === null ? null : head.year,
    coverage: persons !== null && head.population ? round(head.persons / head.population) : null,
    verified_persons: verified,
    share_verified: persons !== null && verified !== null && head.persons > 0 ? round(head.verified / head.persons) : null,
    // the current month of the trend: the same definitions as the registrations report
    new_this_month: { households: show(trend[trend.length - 1].households), persons: show(trend[trend.length - 1].persons) },
    eligible_per_program: programs.map((p) => ({ program_id: p.program_id, code: p.code, name: p.name, eligible_households: show(p.eligible) })),
    trend: trend.map((t) => ({ month: t.month, households: show(t.households), persons: show(t.persons) })),
  };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
