// What else follows a person through a merge (merge.ts moves identifiers and memberships): their consents, their
// identity verifications, and the program participation someone must look at. The rule (docs/dedup.md "What a merge
// moves"): after a merge the survivor's record may disclose less than before, never more.
//  - consents: every consent of the merged record moves to the survivor (one history per person), with a revision
//    saying so. A given one ends (withdrawn, its token revoked): consent given on one record does not grant anything
//    for another, whose data differs and which a reviewer may have merged wrongly. A refusal or withdrawal made on the
//    merged record after the survivor's own consent to the same agreement was given is the person's latest word:
//    the survivor's consent is withdrawn too.
//  - verifications move (the identifiers they checked moved too), marked merged_from;
//  - program participation belongs to households and is the program's to decide: a household the merge deregistered
//    keeps its participation (history), and the merge reports it for the program to exit or transfer.
import { addRevision } from '../../consent/records.js';
import { emitConsentEvents } from '../../consent/events.js';
import { consentStore } from '../../consent/store.js';
import type { ConsentState } from '../../consent/types.js';
import { auditEntries, type AuditEvent } from '../audit/entry.js';
import type { Db } from '../db/index.js';
import type { Ctx } from '../server/context.js';

export interface FollowResult {
  /** The merged record's consents, now the survivor's. */
  consentsMoved: string[];
  /** Of those, the given ones the merge ended. */
  consentsEnded: string[];
  /** The survivor's own consents withdrawn because the person refused or withdrew the agreement later on the merged record. */
  survivorConsentsWithdrawn: string[];
  verificationsMoved: string[];
  /** Participation of households the merge deregistered: not moved, for the program to exit or transfer. */
  participationToReview: { household_id: string; program_code: string; status: string }[];
  /** Status lists with a newly revoked token (their cached copies are stale once the transaction commits). */
  statusLists: number[];
}

interface LockedConsent {
  id: string;
  person_id: string;
  agreement_id: string;
  agreement_hash: string;
  agreement_code: string;
  state: ConsentState;
  valid_from: Date;
  valid_until: Date;
  revision: number;
  status_list_id: number | null;
  status_idx: number | null;
  updated_at: Date;
}

/** In the merge's transaction, after the person rows are locked. */
export async function followMerge(tx: Db, ctx: Ctx, survivorId: string, mergedId: string, deregistered: string[]): Promise<FollowResult> {
  const consents = await tx.query<LockedConsent>(
    `select c.id, c.person_id, c.agreement_id, c.agreement_hash, a.code as agreement_code, c.state, c.valid_from, c.valid_until,
            c.revision, c.status_list_id, c.status_idx, c.updated_at
     from consent c join data_agreement a on a.id = c.agreement_id
     where c.person_id = any($1::uuid[]) order by c.id for update of c`,
    [[survivorId, mergedId]],
  );
  const merged = consents.filter((c) => c.person_id === mergedId);
  const result: FollowResult = { consentsMoved: [], consentsEnded: [], survivorConsentsWithdrawn: [], verificationsMoved: [], participationToReview: [], statusLists: [] };
  const audit: AuditEvent[] = [];
  const withdrawn: LockedConsent[] = [];
  const now = new Date();

  for (const own of consents.filter((c) => c.person_id === survivorId && c.state === 'given')) {
    const later = merged.find(
      (m) => m.agreement_code === own.agreement_code && (m.state === 'refused' || m.state === 'withdrawn') && m.updated_at > own.updated_at,
    );
    if (!later) continue;
    await setConsent(tx, ctx, own, 'withdrawn', `merge: ${later.state} on record ${mergedId} after it was given here`);
    withdrawn.push(own);
    result.survivorConsentsWithdrawn.push(own.id);
    audit.push({ action: 'update', entity: 'consent', entityId: own.id, subjectPersonId: survivorId, fields: ['state'], details: { state: 'withdrawn', merged_from: mergedId } });
  }

  for (const c of merged) {
    let state = c.state;
    let note = `merge: moved from record ${mergedId} to ${survivorId}`;
    if (c.state === 'given') {
      // past its end it only awaits the expiry job; otherwise it is taken back, its token revoked
      state = c.valid_until <= now ? 'expired' : 'withdrawn';
      note = `merge: given on record ${mergedId}, merged into ${survivorId}; a consent does not carry over to another record`;
      result.consentsEnded.push(c.id);
      if (state === 'withdrawn') withdrawn.push({ ...c, person_id: survivorId });
    }
    await setConsent(tx, ctx, c, state, note);
    await tx.query('update consent set person_id = $2, merged_from = $3 where id = $1', [c.id, survivorId, mergedId]);
    result.consentsMoved.push(c.id);
    audit.push({
      action: 'update', entity: 'consent', entityId: c.id, subjectPersonId: survivorId,
      fields: state === c.state ? ['person_id'] : ['person_id', 'state'], details: { state, merged_from: mergedId },
    });
  }
  for (const c of withdrawn) {
    if (c.status_list_id === null) continue;
    await consentStore.setStatusBit(tx, c.status_list_id, c.status_idx!);
    if (!result.statusLists.includes(c.status_list_id)) result.statusLists.push(c.status_list_id);
  }
  await emitConsentEvents(tx, 'consent.withdrawn', withdrawn);

  const verifications = await tx.query<{ id: string }>(
    'update person_verification set person_id = $1, merged_from = $2 where person_id = $2 returning id',
    [survivorId, mergedId],
  );
  result.verificationsMoved = verifications.map((v) => v.id).sort();
  for (const v of result.verificationsMoved) {
    audit.push({ action: 'update', entity: 'person_verification', entityId: v, subjectPersonId: survivorId, fields: ['person_id'], details: { merged_from: mergedId } });
  }

  if (deregistered.length) {
    result.participationToReview = await tx.query<{ household_id: string; program_code: string; status: string }>(
      'select household_id, program_code, status from household_program where household_id = any($1::uuid[]) order by household_id, program_code',
      [deregistered],
    );
  }
  if (audit.length) await ctx.audit.recordIn(tx, auditEntries(ctx, audit));
  return result;
}

/** A new revision (state kept or changed) on the consent's hash chain, and the row's state. */
async function setConsent(tx: Db, ctx: Ctx, c: LockedConsent, state: ConsentState, note: string): Promise<void> {
  const revision = c.revision + 1;
  await consentStore.setState(tx, c.id, state, c.valid_until, revision);
  await addRevision(tx, ctx, c, revision, state, c.valid_until, note);
}
