// The rows of an area report: the admin areas at the chosen level the caller may see (each with its whole subtree
// rolled up), the caller's granted areas where they sit deeper than that level, and the areas above the level that
// hold households themselves (registered at a region, not in one of its districts), so the rows add up to the total.
import type { Db } from '../db/index.js';
import { unprocessable } from '../server/errors.js';
import type { Principal } from '../server/principal.js';
import { areaVisible, scopeParam } from '../registry/scope.js';

export interface AreaSelection {
  /** The caller's areas (null: every area): the scope parameter of core/registry/scope.ts. */
  scope: string[] | null;
  level: number;
  /** Only this area's subtree. */
  under: string | null;
}

/** Checks the level and area_code query parameters against the tree and the caller's areas. */
export async function selectAreas(db: Db, principal: Principal, query: { level?: unknown; area_code?: unknown }): Promise<AreaSelection> {
  const scope = scopeParam(principal);
  const under = typeof query.area_code === 'string' ? query.area_code : null;
  let level = typeof query.level === 'number' ? query.level : undefined;
  if (under) {
    const [area] = await db.query<{ level: number }>(
      `select level from admin_area a where a.code = $2 and ${areaVisible('a.code', 1)}`, [scope, under]);
    // an area outside the caller's scope answers as an unknown one
    if (!area) throw unprocessable('report.invalid', [{ field: 'query.area_code', message: `${under} is not an admin area you can see` }], 'Unknown area.');
    level ??= area.level + 1;
    if (level < area.level) {
      throw unprocessable('report.invalid', [{ field: 'query.level', message: `must be ${area.level} or more: ${under} is at level ${area.level}` }], 'The level is above the area.');
    }
  }
  return { scope, level: level ?? 0, under };
}

/** The parameters the CTEs below expect, as $1, $2, $3 (further parameters of a report start at $4). */
export function selectionParams(s: AreaSelection): unknown[] {
  return [s.scope, s.level, s.under];
}

/**
 * CTEs `target(row_key, code, name, level, parent_code, path, kind)` and `area_map(area_code, row_key)`: which
 * report row each area's households count in. kind 'subtree' rolls up everything under the area; kind 'direct'
 * counts only the households registered at the area itself (an area above the chosen level).
 */
export function targetCtes(): string {
  const underFilter = `($3::text is null or starts_with(a.path, (select u.path from admin_area u where u.code = $3)))`;
  return `
  target as (
    select a.code as row_key, a.code, a.name, a.level, a.parent_code, a.path, 'subtree'::text as kind
    from admin_area a
    where ${areaVisible('a.code', 1)} and ${underFilter}
      and (a.level = $2::int
        or ($1::text[] is not null and a.code = any($1::text[]) and a.level > $2::int
            and not exists (select 1 from admin_area g where g.code = any($1::text[]) and g.code <> a.code
                            and g.level >= $2::int and starts_with(a.path, g.path))))
    union all
    select a.code, a.code, a.name, a.level, a.parent_code, a.path, 'direct'
    from admin_area a
    where a.level < $2::int and ${areaVisible('a.code', 1)} and ${underFilter}
      and exists (select 1 from household dh where dh.area_code = a.code)
  ),
  area_map as (
    select a.code as area_code, t.row_key from target t join admin_area a on starts_with(a.path, t.path) where t.kind = 'subtree'
    union all
    select t.code, t.row_key from target t where t.kind = 'direct'
  )`;
}

export interface TargetRow {
  row_key: string;
  code: string;
  name: string;
  level: number;
  parent_code: string | null;
  kind: 'subtree' | 'direct';
}

/** Sibling groups for complementary suppression: rows whose sum a coarser report (the parent's row) publishes. */
export function siblingGroup(row: Pick<TargetRow, 'code' | 'parent_code' | 'kind'>): string {
  return row.kind === 'direct' ? row.code : (row.parent_code ?? '');
}

/** Where each admin area's records count: the report rows, which row each area code rolls up to, and the codes to
 * filter on (null when the rows cover every area, so no filter is needed). */
export interface AreaPlan {
  targets: TargetRow[];
  rowOf: Map<string, string>;
  codes: string[] | null;
}

/**
 * Resolves the rows first (a few small queries), so the big aggregations group by area code over plain hash joins
 * with `area_code = any($codes)`: joining the rows' tree in the same statement makes the planner guess a handful of
 * households and probe indexes a million times.
 */
export async function planAreas(db: Db, selection: AreaSelection): Promise<AreaPlan> {
  const params = selectionParams(selection);
  const [targets, map, [all]] = await Promise.all([
    db.query<TargetRow>(`with ${targetCtes()} select row_key, code, name, level, parent_code, kind from target order by path, kind desc`, params),
    db.query<{ area_code: string; row_key: string }>(`with ${targetCtes()} select area_code, row_key from area_map`, params),
    db.query<{ n: number }>('select count(*)::int8 as n from admin_area'),
  ]);
  const rowOf = new Map(map.map((m) => [m.area_code, m.row_key]));
  return { targets, rowOf, codes: rowOf.size === all.n ? null : [...rowOf.keys()] };
}

/** SQL true when the area code in `column` is one of the plan's codes ($n: AreaPlan.codes). */
export function inPlan(column: string, n: number): string {
  return `($${n}::text[] is null or ${column} = any($${n}::text[]))`;
}

/** The registered persons as coverage counts them: current members of active households, alive (aliases h, ms, p). */
export const REGISTERED_PERSONS = `household h
  join membership ms on ms.household_id = h.id and ms.end_date is null
  join person p on p.id = ms.person_id`;
export const REGISTERED_PERSONS_WHERE = 'h.deregistered_at is null and p.death_date is null';

/** Adds rows grouped by area code (and `dims`) into the report rows they roll up to: key `${row_key}|${dims...}`. */
export function rollUp<T extends { area_code: string }>(plan: AreaPlan, rows: T[], dims: (keyof T)[], counts: (keyof T)[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const rowKey = plan.rowOf.get(r.area_code);
    if (rowKey === undefined) continue;
    const key = [rowKey, ...dims.map((d) => String(r[d]))].join('|');
    const sums = out.get(key) ?? Object.fromEntries(counts.map((c) => [c, 0]));
    for (const c of counts) sums[c as string] += Number(r[c] ?? 0);
    out.set(key, sums);
  }
  return out;
}

/** The first columns of every area row. */
export function areaColumns(t: TargetRow): { area_code: string; area_name: string; area_level: number; rows_cover: string } {
  return { area_code: t.code, area_name: t.name, area_level: t.level, rows_cover: t.kind };
}
