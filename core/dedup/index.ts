// Deduplication: finding people registered twice (blocking + Fellegi–Sunter scoring), the review queue of
// candidate pairs, and merging or marking pairs distinct. Other parts import from here only.
import type { Db } from '../db/index.js';
import type { Secrets } from '../keys/secrets.js';
import type { Ctx } from '../server/context.js';

/** A person to look for in the registry (not necessarily registered yet): `ref` is the caller's own handle. */
export interface CandidatePerson {
  ref: string;
  given_name?: string | null;
  family_name?: string | null;
  other_names?: string | null;
  birth_date?: string | null;
  /** An estimated birth date (agreeing on it counts as agreeing on the year only). */
  birth_date_estimated?: boolean | null;
  sex?: string | null;
  area_code?: string | null;
  phone?: string | null;
  identifiers?: { type: string; value: string }[];
}

export type MatchDecision = 'match' | 'possible_match';

/** A registered person who may be `ref`: the score (log2 likelihood ratio), the decision and why. */
export interface CandidateMatch {
  ref: string;
  personId: string;
  score: number;
  decision: MatchDecision;
  reasons: string[];
}

export interface FindCandidatesOptions {
  /** People never to propose (the person being changed, say). */
  excludePersonIds?: string[];
  /** The most candidates per person (best first); default 10. */
  limit?: number;
}

export type PairStatus = 'open' | 'merged' | 'distinct';

/** A candidate pair in the review queue; person_a < person_b, so a pair is one row whatever the order found. */
export interface DuplicatePair {
  id: string;
  person_a: string;
  person_b: string;
  score: number;
  decision: MatchDecision;
  reasons: string[];
  status: PairStatus;
  source: 'registration' | 'batch' | 'manual';
  survivor_id: string | null;
  decided_by: string | null;
  decided_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A pair to queue for review: two registered persons with their score. */
export interface PairToRecord {
  personA: string;
  personB: string;
  score: number;
  decision: MatchDecision;
  reasons: string[];
}

export interface MergeResult {
  survivorId: string;
  mergedId: string;
  /** False when the merge had already been done (a retry): nothing changed. */
  changed: boolean;
  /** What followed the person (follow.ts); absent on a retry. */
  moved?: {
    consentsMoved: string[];
    consentsEnded: string[];
    survivorConsentsWithdrawn: string[];
    verificationsMoved: string[];
    participationToReview: { household_id: string; program_code: string; status: string }[];
  };
}

export { findCandidates } from './find.js';
export { recordDuplicatePairs, listPairs, getPair } from './pairs.js';
export { mergePersons, mergedInto } from './merge.js';
export { markDistinct } from './distinct.js';
export { runBatchDedup, type BatchOptions, type BatchReport } from './batch.js';
export { refreshMatchKeys, matchKeysFor } from './keys.js';
export { loadSettings, saveSettings, DEFAULT_SETTINGS, type DedupSettings } from './settings.js';
export { normaliseForMatch, transliterate } from './normalise.js';
export { phoneticKey } from './phonetic.js';
export { jaroWinkler } from './similarity.js';

// signatures, for the parts coding against this module (the implementations live in the files above):
//   findCandidates(db: Db, secrets: Secrets, people: CandidatePerson[], options?: FindCandidatesOptions): Promise<CandidateMatch[]>
//   recordDuplicatePairs(tx: Db, pairs: PairToRecord[], source: DuplicatePair['source']): Promise<number>  (new open pairs)
//   mergePersons(ctx: Ctx, survivorId: string, mergedId: string, reason?: string): Promise<MergeResult>
//   markDistinct(ctx: Ctx, personA: string, personB: string, reason?: string): Promise<DuplicatePair>
//   mergedInto(db: Db, personId: string): Promise<string | undefined>   (the survivor a merged id redirects to)
export type { Db, Secrets, Ctx };
