// The stored household features (table household_features, migration 032): featuresSql's row per active household,
// kept so that a simulation, the scoring job and the coverage report read one narrow row per household instead of
// aggregating every member. Writes never compute anything: triggers on household, membership and person mark the
// households they touch in household_features_stale. A reader calls refreshFeatures first, which recomputes the
// marked households and those whose age-derived features change by today (valid_until), so what it then reads
// equals featuresSql computed now.
import type { Db } from '../db/db.js';
import { useBulkSettings } from '../db/bulk-settings.js';
import { featuresSql, STORED_FEATURE_COLUMNS } from './features.js';

// one refresh at a time: two refreshing the same household from different snapshots could store the older one last
const FEATURES_LOCK_KEY = 7316432;

/** Above this many households to recompute, everyone is recomputed in one pass (one read of the member tables). */
export const FULL_REFRESH_FROM = 20_000;

const COLUMNS = STORED_FEATURE_COLUMNS.join(', ');
const UPDATES = STORED_FEATURE_COLUMNS.filter((c) => c !== 'household_id').map((c) => `${c} = excluded.${c}`).join(', ');

/**
 * Brings household_features up to date in `tx` (its own transaction or the caller's: the lock is held to its end);
 * answers how many households were recomputed (`full` when everyone was).
 */
export async function refreshFeatures(tx: Db): Promise<{ recomputed: number; full: boolean }> {
  await tx.query('select pg_advisory_xact_lock($1)', [FEATURES_LOCK_KEY]);
  const [counts] = await tx.query<{ marked: number; expired: number }>(
    `select (select count(*) from household_features_stale)::int as marked,
            (select count(*) from household_features where valid_until <= current_date)::int as expired`,
  );
  if (counts.marked + counts.expired === 0) return { recomputed: 0, full: false };
  if (counts.marked + counts.expired >= FULL_REFRESH_FROM) return { recomputed: await rebuildFeatures(tx, true), full: true };
  // the marks first: every write they stand for was committed before this statement, so the next one sees it
  const [due] = await tx.query<{ ids: string[] | null }>(
    `with marked as (delete from household_features_stale returning household_id)
     select array_agg(household_id) as ids from (
       select household_id from marked union select household_id from household_features where valid_until <= current_date) d`,
  );
  const ids = due.ids ?? [];
  if (ids.length === 0) return { recomputed: 0, full: false };
  // the ids as an array parameter: the planner sees how few they are and reads their members through the indexes
  await tx.query(
    `insert into household_features (${COLUMNS})
     select ${COLUMNS} from (${featuresSql('h.id = any($1::uuid[])', 'm.household_id = any($1::uuid[])', { stored: true })}) f
     on conflict (household_id) do update set ${UPDATES}`,
    [ids],
  );
  await tx.query(
    `delete from household_features f where f.household_id = any($1::uuid[])
       and not exists (select 1 from household h where h.id = f.household_id and h.deregistered_at is null)`,
    [ids],
  );
  return { recomputed: ids.length, full: false };
}

/**
 * Recomputes every household's stored features (after a bulk load that bypassed the triggers, or when most are due);
 * answers how many active households there are. `locked`: the caller holds the refresh lock already.
 */
export async function rebuildFeatures(tx: Db, locked = false): Promise<number> {
  if (!locked) await tx.query('select pg_advisory_xact_lock($1)', [FEATURES_LOCK_KEY]);
  // the marks go first: every write they stand for is visible to the statements after
  await tx.query('delete from household_features_stale');
  await tx.query('delete from household_features');
  await useBulkSettings(tx);
  const [inserted] = await tx.query<{ count: number }>(
    `with inserted as (insert into household_features (${COLUMNS}) select ${COLUMNS} from (${featuresSql('true', undefined, { stored: true })}) f returning 1)
     select count(*)::int as count from inserted`,
  );
  return inserted.count;
}
