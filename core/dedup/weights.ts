// What each comparison level adds to a pair's score (log2 m/u) under the settings in force, keyed as the pairs'
// reasons name them (name:close, identifier.UIN:agree): a reviewer sees a score's parts without the m/u settings,
// which stay an administrator's (users.manage).
import type { Db } from '../db/index.js';
import { loadSettings } from './settings.js';

export interface DedupWeights {
  thresholds: { match: number; possible_match: number };
  /** Field -> level -> points; `identifier` applies to every identifier type (identifier.<type>). */
  weights: Record<string, Record<string, number>>;
  settings_version: number;
}

export async function loadWeights(db: Db): Promise<DedupWeights> {
  const stored = await loadSettings(db);
  const weights: DedupWeights['weights'] = {};
  for (const [field, levels] of Object.entries(stored.settings.levels)) {
    weights[field] = Object.fromEntries(Object.entries(levels as Record<string, { m: number; u: number }>).map(([name, l]) => [name, Math.round(Math.log2(l.m / l.u) * 100) / 100]));
  }
  return { thresholds: stored.settings.thresholds, weights, settings_version: stored.version };
}
