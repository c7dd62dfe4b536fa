// total_count without counting every match on every page. A client pages through one query (the same condition,
// page after page) and each page used to count the whole result again: over a district of a 1,000,000-person
// registry that is ~50,000 person rows per page, far more than the page itself. A count is kept with the newest
// outbox event id of the same snapshot (the count and the id are read by one statement). Every write the hub makes
// to what a search reads (people, households, memberships, consents) emits an outbox event in its transaction, and
// event ids follow commit order (core/outbox/events.ts), so while the newest id is unchanged no such write has
// committed and the kept count is still the exact count. Each request reads the newest id (one index probe, in
// parallel with the page) and counts again when it moved. A kept count is also dropped after MAX_AGE_MS, for what
// moves without an event: consents passing their valid_until, and writes made outside the hub.
import type { Db } from '../../db/index.js';

const MAX_AGE_MS = 30_000;
const MAX_ENTRIES = 1000;
const NEWEST_EVENT = '(select coalesce(max(id), 0) from outbox_event)::text';

interface Kept {
  /** The count and the newest outbox event id, read by one statement (one snapshot). */
  counted: Promise<{ total: number; version: string }>;
  at: number;
}

// per Db object (a hub's pool): databases in one process never share counts; a transaction's own Db keeps none
const caches = new WeakMap<Db, Map<string, Kept>>();

/**
 * The count of `select count(*) from <fromWhere>` with these parameters, exact as of this request: a kept count (or
 * one still being taken by a concurrent request) is used only when no event has committed since its snapshot.
 */
export async function exactCount(db: Db, fromWhere: string, params: unknown[]): Promise<number> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const key = `${fromWhere}\u0000${JSON.stringify(params)}`;
  const kept = cache.get(key);
  if (kept && Date.now() - kept.at < MAX_AGE_MS) {
    const [[{ version }], earlier] = await Promise.all([
      db.query<{ version: string }>(`select ${NEWEST_EVENT} as version`),
      kept.counted.catch(() => undefined),
    ]);
    if (earlier && earlier.version === version) return earlier.total;
  }
  const entry: Kept = {
    counted: db.query<{ total: number; version: string }>(`select count(*)::int as total, ${NEWEST_EVENT} as version from ${fromWhere}`, params).then(([r]) => r),
    at: Date.now(),
  };
  // a failed count is not kept; the error itself goes to this caller below
  entry.counted.catch(() => cache.get(key) === entry && cache.delete(key));
  cache.delete(key); // set again, last: the map's first entries are the oldest
  cache.set(key, entry);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return (await entry.counted).total;
}
