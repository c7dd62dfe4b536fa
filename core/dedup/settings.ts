// Scoring weights and thresholds (Fellegi–Sunter): per comparison level, m = P(level | same person) and
// u = P(level | different people); a pair's score is the sum of log2(m/u) over the fields both records have.
// Stored in dedup_settings (one row) and changed through PUT /api/v1/dedup/settings; absent = DEFAULT_SETTINGS.
import type { Db } from '../db/index.js';
import type { FieldError } from '../server/errors.js';

export interface Level {
  m: number;
  u: number;
}

export interface DedupSettings {
  /** Score at or above which a pair is a `match`, and at or above which it is a `possible_match`. */
  thresholds: { match: number; possible_match: number };
  levels: {
    /** Names compared token by token (order-free) with Jaro–Winkler: exact, close (>= 0.93), similar (>= 0.85), different. */
    name: { exact: Level; close: Level; similar: Level; different: Level };
    /** exact; close: one of year/month/day differs, or day and month swapped; same_year; within_one_year; different. */
    birth_date: { exact: Level; close: Level; same_year: Level; within_one_year: Level; different: Level };
    sex: { agree: Level; disagree: Level };
    /** The areas of the current households: the same area (or one under the other), or not. */
    area: { agree: Level; disagree: Level };
    phone: { agree: Level; disagree: Level };
    /** Per identifier type both people have: the same value, or another one. */
    identifier: { agree: Level; disagree: Level };
  };
  blocking: {
    /** pg_trgm similarity of the name keys at or above which two people of one birth year and area are compared. */
    trigram_threshold: number;
    /** Blocks larger than this are split (by birth year) or left out of the batch: too common to tell anything. */
    max_block_size: number;
  };
}

const level = (m: number, u: number): Level => ({ m, u });

/**
 * Defaults: m from the error rates of field registration (a name mistyped in ~1 record in 4, a birth date in ~1
 * in 10, phones changing often), u from the chance that two different people agree (one birth date in ~30,000
 * people, a full name shared in a district by ~1 in 2,000). See docs/dedup.md for the resulting scores.
 */
export const DEFAULT_SETTINGS: DedupSettings = {
  thresholds: { match: 20, possible_match: 10 },
  levels: {
    name: { exact: level(0.6, 0.0005), close: level(0.25, 0.003), similar: level(0.1, 0.02), different: level(0.01, 0.95) },
    birth_date: {
      exact: level(0.85, 0.0003),
      close: level(0.08, 0.002),
      same_year: level(0.03, 0.012),
      within_one_year: level(0.02, 0.025),
      different: level(0.02, 0.96),
    },
    sex: { agree: level(0.97, 0.5), disagree: level(0.03, 0.5) },
    area: { agree: level(0.85, 0.1), disagree: level(0.15, 0.9) },
    phone: { agree: level(0.5, 0.0005), disagree: level(0.5, 0.9995) },
    identifier: { agree: level(0.98, 0.00001), disagree: level(0.02, 0.99999) },
  },
  blocking: { trigram_threshold: 0.3, max_block_size: 500 },
};

export interface StoredSettings {
  settings: DedupSettings;
  version: number;
  updated_by: string | null;
  updated_at: string | null;
}

export async function loadSettings(db: Db): Promise<StoredSettings> {
  const [row] = await db.query<{ settings: DedupSettings; version: number; updated_by: string; updated_at: Date }>(
    'select settings, version, updated_by, updated_at from dedup_settings',
  );
  if (!row) return { settings: DEFAULT_SETTINGS, version: 0, updated_by: null, updated_at: null };
  return { settings: row.settings, version: row.version, updated_by: row.updated_by, updated_at: row.updated_at.toISOString() };
}

/** Stores new settings (checked first: checkSettings) in the caller's transaction; returns the new version. */
export async function saveSettings(tx: Db, settings: DedupSettings, updatedBy: string): Promise<StoredSettings> {
  const [row] = await tx.query<{ version: number; updated_at: Date }>(
    `insert into dedup_settings (id, settings, version, updated_by) values (true, $1::jsonb, 1, $2)
     on conflict (id) do update set settings = excluded.settings, version = dedup_settings.version + 1,
       updated_by = excluded.updated_by, updated_at = now()
     returning version, updated_at`,
    [JSON.stringify(settings), updatedBy],
  );
  return { settings, version: row.version, updated_by: updatedBy, updated_at: row.updated_at.toISOString() };
}

/** What the schema cannot check: probabilities strictly between 0 and 1, and the match threshold above the other. */
export function checkSettings(settings: DedupSettings, at = 'body'): FieldError[] {
  const errors: FieldError[] = [];
  for (const [field, levels] of Object.entries(settings.levels)) {
    for (const [name, l] of Object.entries(levels as Record<string, Level>)) {
      for (const p of ['m', 'u'] as const) {
        if (!(l[p] > 0 && l[p] < 1)) errors.push({ field: `${at}.levels.${field}.${name}.${p}`, message: 'must be a probability above 0 and below 1' });
      }
    }
  }
  if (settings.thresholds.match <= settings.thresholds.possible_match) {
    errors.push({ field: `${at}.thresholds.match`, message: 'must be above thresholds.possible_match' });
  }
  const t = settings.blocking.trigram_threshold;
  if (!(t > 0 && t <= 1)) errors.push({ field: `${at}.blocking.trigram_threshold`, message: 'must be above 0 and at most 1' });
  if (!(Number.isInteger(settings.blocking.max_block_size) && settings.blocking.max_block_size >= 2)) {
    errors.push({ field: `${at}.blocking.max_block_size`, message: 'must be a whole number of at least 2' });
  }
  return errors;
}
