// A fingerprint of the registry's data: per table, the row count and an order-independent hash of the rows.
// Two fingerprints equal = nothing was written. Tables that change by design on their own (background jobs'
// cursors and schedules) or on every request that is answered (the audit log records refusals too) are left out.
import type { Db } from '../../../core/db/index.js';

const CHANGES_BY_DESIGN = new Set([
  'audit_log', // records refused requests too (who tried what), by design
  'schema_migrations',
  // background consumers' cursors move over events that were there before (outbox_event itself is compared)
  'outbox_consumer',
]);

export type Fingerprint = Record<string, string>;

export async function fingerprint(db: Db): Promise<Fingerprint> {
  const tables = await db.query<{ name: string }>(
    `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`,
  );
  const result: Fingerprint = {};
  for (const { name } of tables) {
    if (CHANGES_BY_DESIGN.has(name)) continue;
    const [row] = await db.query<{ n: number; h: string | null }>(
      `select count(*)::int as n, md5(coalesce(string_agg(md5(t::text), '' order by md5(t::text)), '')) as h from "${name}" t`,
    );
    result[name] = `${row.n}:${row.h}`;
  }
  return result;
}

export function differences(before: Fingerprint, after: Fingerprint): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => before[n] !== after[n]).map((n) => `${n}: ${before[n]} -> ${after[n]}`);
}
