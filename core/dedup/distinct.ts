// Review decisions by pair: mark a pair distinct (never proposed again: recordDuplicatePairs leaves decided pairs
// alone), or merge it (merge.ts) keeping the person the reviewer names. Both audited; retries answer the same.
import { auditEntries } from '../audit/entry.js';
import { emitEvents } from '../outbox/events.js';
import type { Ctx } from '../server/context.js';
import { conflict, HubError } from '../server/errors.js';
import type { DuplicatePair, MergeResult } from './index.js';
import { forgetStatusLists, mergePersons } from './merge.js';
import { lockPair, pairById } from './pairs.js';

type DecidedPair = DuplicatePair & { decision_reason: string | null };

/** Marks the pair distinct; a retry answers the pair as it is; a merged pair cannot become distinct (409). */
export async function markDistinct(ctx: Ctx, pairId: string, reason?: string): Promise<DecidedPair> {
  return ctx.db.transaction(async (tx) => {
    const pair = await lockPair(tx, ctx, pairId);
    if (pair.status === 'distinct') return pairById(tx, pairId);
    if (pair.status === 'merged') throw conflict('dedup.pair_merged', 'This pair was merged; it cannot be marked distinct.', { survivor_id: pair.survivor_id });
    await tx.query(
      `update duplicate_pair set status = 'distinct', decided_by = $2, decided_at = now(), decision_reason = $3, updated_at = now() where id = $1`,
      [pairId, ctx.principal.id, reason ?? null],
    );
    await emitEvents(tx, [{ topic: 'duplicate.distinct', aggregateType: 'duplicate_pair', aggregateId: pairId, payload: { person_ids: [pair.person_a, pair.person_b] } }]);
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'update', entity: 'duplicate_pair', entityId: pairId, fields: ['status'], details: { status: 'distinct' } }]));
    return pairById(tx, pairId);
  });
}

/** Merges the pair into `survivorId` (one of its two people); a retry with the same survivor answers changed=false. */
export async function mergePair(ctx: Ctx, pairId: string, survivorId: string, reason?: string): Promise<{ pair: DecidedPair; merge: MergeResult }> {
  const decided = await ctx.db.transaction(async (tx): Promise<{ pair: DecidedPair; merge: MergeResult & { statusLists?: number[] } }> => {
    const pair = await lockPair(tx, ctx, pairId);
    if (survivorId !== pair.person_a && survivorId !== pair.person_b) {
      throw new HubError(422, 'dedup.survivor_not_in_pair', 'The survivor must be one of the pair\'s two people.', {
        errors: [{ field: 'body.survivor_id', message: 'must be person_a or person_b of the pair' }],
      });
    }
    if (pair.status === 'merged') {
      if (pair.survivor_id === survivorId) return { pair: await pairById(tx, pairId), merge: { survivorId, mergedId: other(pair, survivorId), changed: false } };
      throw conflict('dedup.pair_merged', 'This pair was already merged, keeping the other person.', { survivor_id: pair.survivor_id });
    }
    const merge = await mergePersons(ctx, survivorId, other(pair, survivorId), reason, tx);
    return { pair: await pairById(tx, pairId), merge };
  });
  const { statusLists, ...merge } = decided.merge;
  await forgetStatusLists(ctx, statusLists);
  return { pair: decided.pair, merge };
}

const other = (pair: { person_a: string; person_b: string }, id: string) => (pair.person_a === id ? pair.person_b : pair.person_a);
