// Moving a case from one status to another: the row, the case's own event list, the outbox event and the audit
// entry, all in the caller's transaction, so a transition happens whole or not at all.
import { auditEntries } from '../audit/entry.js';
import type { Db } from '../db/index.js';
import { emitEvents } from '../outbox/events.js';
import type { Ctx } from '../server/context.js';
import { caseStore, type CaseRow } from './store.js';

export type CaseAction = 'submit' | 'checks' | 'approve' | 'reject' | 'assign' | 'comment' | 'register' | 'apply' | 'reopen';

/** The outbox event of a case: ids, the area and reason codes; never personal data. */
export function caseEvent(row: Pick<CaseRow, 'id' | 'kind' | 'status' | 'household_id' | 'area_code' | 'channel' | 'reasons' | 'change_kind'>) {
  return {
    topic: `${row.kind === 'registration' ? 'registration' : 'change'}.${row.status}`,
    aggregateType: 'registration_case',
    aggregateId: row.id,
    payload: {
      case_id: row.id,
      household_id: row.household_id,
      area_code: row.area_code,
      channel: row.channel,
      reasons: row.reasons,
      ...(row.change_kind ? { change_kind: row.change_kind } : {}),
    },
  };
}

export interface TransitionInput {
  action: CaseAction;
  /** The new status; absent for an action that keeps it (assign, comment). */
  to?: CaseRow['status'];
  reasons?: string[];
  comment?: string;
  fields?: Parameters<typeof caseStore.update>[2];
  /** More outbox events emitted with this one (an assignment emits none of its own). */
  emit?: boolean;
}

export async function transition(tx: Db, ctx: Ctx, row: CaseRow, t: TransitionInput): Promise<CaseRow> {
  const changesStatus = t.to !== undefined && t.to !== row.status;
  const decided = t.action === 'approve' || t.action === 'reject';
  const updated = await caseStore.update(tx, row.id, {
    ...t.fields,
    ...(changesStatus ? { status: t.to } : {}),
    ...(t.reasons ? { reasons: t.reasons } : {}),
    ...(decided ? { decided_by: ctx.principal.id, decided_at: 'now' as const } : {}),
  });
  await caseStore.addEvent(tx, ctx.secrets, {
    caseId: row.id,
    action: t.action,
    from: row.status,
    to: updated.status,
    actor: ctx.principal.id,
    reasons: t.reasons ?? [],
    comment: t.comment,
  });
  if (changesStatus && t.emit !== false) await emitEvents(tx, [caseEvent(updated)]);
  await ctx.audit.recordIn(
    tx,
    auditEntries(ctx, [
      {
        action: t.action === 'submit' ? 'create' : 'update',
        entity: 'registration_case',
        entityId: row.id,
        subjectPersonId: row.person_id,
        fields: t.comment !== undefined ? ['status', 'comment'] : ['status'],
        details: { case_action: t.action, from: row.status, to: updated.status, reasons: t.reasons ?? [] },
      },
    ]),
  );
  return updated;
}
