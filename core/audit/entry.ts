// What an audit entry says: who (from the request's context), did what to which record, concerning whom, which
// fields, why, when, and how it ended. Services describe the event; the context fills in the caller.
import type { Ctx } from '../server/context.js';

/** read, create, update, delete, admin (a change to users, clients, roles, areas), verify, ... */
export type AuditAction = 'read' | 'create' | 'update' | 'delete' | 'admin' | 'verify';
export type AuditOutcome = 'success' | 'denied' | 'error';

export interface AuditEvent {
  action: AuditAction;
  /** The kind of record: person, household, audit_log, access_log, admin_area, user, client, role, ... */
  entity: string;
  entityId?: string | null;
  /** Whose personal data it is; null for records that are nobody's (or a miss, which must name no one). */
  subjectPersonId?: string | null;
  fields?: readonly string[] | null;
  outcome?: AuditOutcome;
  /** Never personal data: ids, counts, names of filters. */
  details?: Record<string, unknown> | null;
}

export interface AuditEntry {
  at: Date;
  actor: string;
  actorKind: string;
  ip: string | null;
  requestId: string;
  purpose: string | null;
  action: AuditAction;
  entity: string;
  entityId: string | null;
  subjectPersonId: string | null;
  fields: readonly string[] | null;
  outcome: AuditOutcome;
  details: Record<string, unknown> | null;
}

/** The entries for events of one request (or job): the caller, address, request id and purpose come from ctx. */
export function auditEntries(ctx: Pick<Ctx, 'principal' | 'ip' | 'requestId' | 'purpose'>, events: readonly AuditEvent[]): AuditEntry[] {
  const at = new Date();
  return events.map((e) => ({
    at,
    actor: ctx.principal.id,
    actorKind: ctx.principal.kind,
    ip: ctx.ip ?? null,
    requestId: ctx.requestId,
    purpose: ctx.purpose ?? null,
    action: e.action,
    entity: e.entity,
    entityId: e.entityId ?? null,
    subjectPersonId: e.subjectPersonId ?? null,
    fields: e.fields ?? null,
    outcome: e.outcome ?? 'success',
    details: e.details ?? null,
  }));
}
