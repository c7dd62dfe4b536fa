// Who in the registry a civil registration record is about: by identifier first (UIN, BRN ... through the blind
// index: exact and certain), else by demographics through the dedup matcher (core/dedup findCandidates). Only an
// identifier hit or a single 'match' decision counts as the person; anything less is for a person to review.
import type { Db } from '../../core/db/index.js';
import { findCandidates } from '../../core/dedup/index.js';
import type { Secrets } from '../../core/keys/secrets.js';
import { identifierIndex } from '../../core/registry/persons/sealing.js';
import { personStore } from '../../core/registry/persons/store.js';
import type { PersonDetails } from './records.js';

export type PersonMatch =
  | { kind: 'match'; personId: string; via: 'identifier' | 'demographics'; score?: number }
  | { kind: 'possible'; personId: string; score: number; reasons: string[] }
  | { kind: 'none'; why: 'no_candidate' | 'identifiers_disagree' | 'nothing_to_match_on' };

export async function matchPerson(db: Db, secrets: Secrets, details: PersonDetails, ref: string): Promise<PersonMatch> {
  if (details.identifiers.length) {
    const keys = details.identifiers.map((i) => ({ type: i.type, index: identifierIndex(secrets, i.type, i.value) }));
    const owners = new Set((await personStore.registeredIdentifiers(db, keys)).map((r) => r.person_id));
    // two identifiers of one record registered to two people: the registry has a problem a person must look at
    if (owners.size > 1) return { kind: 'none', why: 'identifiers_disagree' };
    if (owners.size === 1) return { kind: 'match', personId: [...owners][0], via: 'identifier' };
  }
  if (!details.given_name && !details.family_name) return { kind: 'none', why: 'nothing_to_match_on' };
  const [best, second] = await findCandidates(db, secrets, [{ ref, ...details }], { limit: 2 });
  if (!best) return { kind: 'none', why: 'no_candidate' };
  if (best.decision === 'match' && second?.decision !== 'match') return { kind: 'match', personId: best.personId, via: 'demographics', score: best.score };
  return { kind: 'possible', personId: best.personId, score: best.score, reasons: best.reasons };
}
