// Area scoping in SQL: a principal limited to some areas sees only households in those areas or under them.
import type { Principal } from '../server/principal.js';

/** The parameter that the scope fragments below expect: the principal's area codes, or null for every area. */
export function scopeParam(principal: Principal): string[] | null {
  return principal.areas ? [...principal.areas] : null;
}

/** SQL true when the area code in `column` is visible through the scope parameter $n. */
export function areaVisible(column: string, n: number): string {
  return `($${n}::text[] is null or exists (
    select 1 from admin_area visible join admin_area granted on starts_with(visible.path, granted.path)
    where visible.code = ${column} and granted.code = any($${n}::text[])))`;
}

/** SQL true when the person `personColumn` is visible: unrestricted, or their current household is in scope. */
export function personVisible(personColumn: string, n: number): string {
  return `($${n}::text[] is null or exists (
    select 1 from membership scoped_m join household scoped_h on scoped_h.id = scoped_m.household_id
    where scoped_m.person_id = ${personColumn} and scoped_m.end_date is null and ${areaVisible('scoped_h.area_code', n)}))`;
}
