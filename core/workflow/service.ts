// Cases through the API: submitting, reading (area-scoped), and the review queue's decisions. Every decision is a
// transition (transitions.ts): audited and announced on the outbox in the same transaction.
import { auditEntries } from '../audit/entry.js';
import type { Channel } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { conflict, ifMatchRequired, notFound } from '../server/errors.js';
import { scopeParam } from '../registry/scope.js';
import { decodeCursor, encodeCursor } from '../registry/persons/service.js';
import { applyChange, type ChangeData } from './apply.js';
import { registerCase } from './register-case.js';
import { caseStore, openCaseData, type CaseFilter, type CaseKind, type CaseRow } from './store.js';
import { transition } from './transitions.js';
import { toCaseView, type CaseView } from './view.js';

export interface CaseQuery {
  status?: string;
  reason?: string;
  area_code?: string;
  assigned_to?: string;
  household_id?: string;
  mine?: boolean;
  limit: number;
  cursor?: string;
}

export async function listCases(ctx: Ctx, kind: CaseKind | undefined, q: CaseQuery, statuses?: string[]): Promise<{ items: CaseView[]; next_cursor: string | null }> {
  const filter: CaseFilter = {
    kind,
    status: q.status ? [q.status] : statuses,
    reason: q.reason,
    area_code: q.area_code,
    assigned_to: q.assigned_to,
    household_id: q.household_id,
    submitted_by: q.mine ? ctx.principal.id : undefined,
    after: decodeCursor(q.cursor),
    limit: q.limit + 1,
  };
  const rows = await caseStore.list(ctx.db, scopeParam(ctx.principal), filter);
  const page = rows.slice(0, q.limit);
  return { items: page.map(toCaseView), next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1].id) : null };
}

/** Whoever may see what was submitted: staff who collect or review data (a case's people are not registered yet). */
const seesData = (ctx: Ctx) => ctx.principal.scopes.has('registry.write') || ctx.principal.scopes.has('registry.review');

export async function getCase(ctx: Ctx, id: string, kind?: CaseKind) {
  const row = await caseStore.byId(ctx.db, id, scopeParam(ctx.principal));
  if (!row || (kind && row.kind !== kind)) throw notFound(kind === 'change' ? 'change_request' : 'registration');
  const view = toCaseView(row);
  if (!seesData(ctx)) return view;
  const history = await caseStore.events(ctx.db, ctx.secrets, id);
  await ctx.audit.recordReads(
    auditEntries(ctx, [{ action: 'read', entity: 'registration_case', entityId: id, subjectPersonId: row.person_id, fields: ['data', 'history'] }]),
  );
  return {
    ...view,
    data: openCaseData<Record<string, unknown>>(ctx.secrets, row),
    history: history.map((e) => ({ action: e.action, from_status: e.from_status, to_status: e.to_status, actor: e.actor, reasons: e.reasons, comment: e.comment, at: new Date(e.at).toISOString() })),
  };
}

/** The queue: cases waiting for an officer (and, when verified cases do not register themselves, those). */
export function reviewStatuses(ctx: Ctx): string[] {
  return ctx.config.workflow.autoRegister ? ['needs_review'] : ['needs_review', 'verified'];
}

const APPROVABLE: Record<CaseKind, string[]> = { registration: ['needs_review', 'verified'], change: ['needs_review'] };
const REJECTABLE: Record<CaseKind, string[]> = { registration: ['submitted', 'needs_review', 'verified'], change: ['submitted', 'needs_review', 'approved'] };

async function lockForDecision(ctx: Ctx, id: string, allowed: Record<CaseKind, string[]>, what: string): Promise<CaseRow> {
  const row = await caseStore.byId(ctx.db, id, scopeParam(ctx.principal), true);
  if (!row) throw notFound('case');
  if (!allowed[row.kind].includes(row.status)) {
    throw conflict('case.not_open', `The case is ${row.status}; it cannot be ${what} now.`, { status: row.status });
  }
  return row;
}

/**
 * Approves a case. A registration registers at once (the registry's refusal answers the officer, changing
 * nothing); a change applies at once. A change held for a conflict applies only with If-Match: the version of the
 * record the officer looked at (anything newer is a 409 again).
 */
export async function approveCase(ctx: Ctx, id: string, input: { comment?: string }, ifMatch: number | undefined): Promise<CaseView> {
  return ctx.db.transaction(async (tx) => {
    const txCtx = { ...ctx, db: tx };
    const row = await lockForDecision(txCtx, id, APPROVABLE, 'approved');
    if (row.kind === 'registration') {
      const approved = await transition(tx, txCtx, row, { action: 'approve', to: 'verified', reasons: row.reasons, comment: input.comment });
      return toCaseView(await registerCase(tx, txCtx, approved, 'throw'));
    }
    if (row.reasons.includes('conflict') && ifMatch === undefined) throw ifMatchRequired();
    const approved = await transition(tx, txCtx, row, { action: 'approve', to: 'approved', reasons: row.reasons, comment: input.comment });
    await applyChange(tx, txCtx, approved, openCaseData<ChangeData>(ctx.secrets, approved), ifMatch);
    return toCaseView(await transition(tx, txCtx, approved, { action: 'apply', to: 'applied' }));
  });
}

export async function rejectCase(ctx: Ctx, id: string, input: { reasons: string[]; comment?: string }): Promise<CaseView> {
  return ctx.db.transaction(async (tx) => {
    const txCtx = { ...ctx, db: tx };
    const row = await lockForDecision(txCtx, id, REJECTABLE, 'rejected');
    return toCaseView(await transition(tx, txCtx, row, { action: 'reject', to: 'rejected', reasons: input.reasons, comment: input.comment, fields: { release: true } }));
  });
}

const OPEN: Record<CaseKind, string[]> = { registration: ['submitted', 'needs_review', 'verified'], change: ['submitted', 'needs_review', 'approved'] };

export async function assignCase(ctx: Ctx, id: string, input: { assignee: string | null }): Promise<CaseView> {
  return ctx.db.transaction(async (tx) => {
    const txCtx = { ...ctx, db: tx };
    const row = await lockForDecision(txCtx, id, OPEN, 'assigned');
    return toCaseView(await transition(tx, txCtx, row, { action: 'assign', fields: { assigned_to: input.assignee } }));
  });
}

export async function commentCase(ctx: Ctx, id: string, input: { comment: string }): Promise<CaseView> {
  return ctx.db.transaction(async (tx) => {
    const row = await caseStore.byId(tx, id, scopeParam(ctx.principal), true);
    if (!row) throw notFound('case');
    return toCaseView(await transition(tx, { ...ctx, db: tx }, row, { action: 'comment', comment: input.comment }));
  });
}

/** The channel of a submission through the API when the caller names none: staff at an office, or a system. */
export function defaultChannel(ctx: Ctx): Channel {
  return ctx.principal.kind === 'client' ? 'connector' : 'in_person';
}

