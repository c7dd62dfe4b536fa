// Reading the audit log: search it, verify its chain, and show a person who read or changed their data. Each of
// these reads is recorded too (who looked at the log, and about whom).
import { denyRead } from '../registry/audit.js';
import { personStore } from '../registry/persons/store.js';
import { scopeParam } from '../registry/scope.js';
import type { Page } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { HubError } from '../server/errors.js';
import { verifyChain, type AuditRecord, type Verification } from './chain.js';
import { auditEntries } from './entry.js';
import { auditStore, type AccessLogRow, type AuditFilter } from './store.js';

export interface AuditQuery {
  subject_person_id?: string;
  actor?: string;
  entity?: string;
  entity_id?: string;
  action?: string;
  outcome?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export async function listAuditEntries(ctx: Ctx, query: AuditQuery): Promise<Page<AuditRecord>> {
  const filter: AuditFilter = {
    subjectPersonId: query.subject_person_id,
    actor: query.actor,
    entity: query.entity,
    entityId: query.entity_id,
    action: query.action,
    outcome: query.outcome,
    from: query.from,
    to: query.to,
  };
  const rows = await auditStore.list(ctx.db, filter, query.limit + 1, decodeCursor(query.cursor));
  const items = rows.slice(0, query.limit);
  const filters = Object.entries(filter).filter(([, v]) => v !== undefined).map(([k]) => k);
  await ctx.audit.recordReads(
    auditEntries(ctx, [
      { action: 'read', entity: 'audit_log', subjectPersonId: query.subject_person_id, details: { filters, entries: items.length } },
    ]),
  );
  return { items, next_cursor: rows.length > query.limit ? encodeCursor(items[items.length - 1].id) : null };
}

export async function verifyAuditLog(ctx: Ctx): Promise<Verification> {
  const result = await verifyChain(ctx.db);
  const details = result.valid ? { valid: true, entries: result.entries } : { valid: false, first_broken: result.first_broken.id };
  await ctx.audit.recordReads(auditEntries(ctx, [{ action: 'verify', entity: 'audit_log', details }]));
  return result;
}

/** Who read or changed a person's data (the GovStack "personal data usage"), for callers who may read the person. */
export async function personAccessLog(ctx: Ctx, personId: string, query: { limit: number; cursor?: string }): Promise<Page<AccessLogRow>> {
  if (!(await personStore.byId(ctx.db, personId, scopeParam(ctx.principal)))) return denyRead(ctx, 'access_log', personId, 'person');
  const rows = await auditStore.accessLog(ctx.db, personId, query.limit + 1, decodeCursor(query.cursor));
  const page = rows.slice(0, query.limit);
  await ctx.audit.recordReads(
    auditEntries(ctx, [{ action: 'read', entity: 'access_log', entityId: personId, subjectPersonId: personId, fields: ['access_log'] }]),
  );
  return {
    items: page.map(({ id: _id, ...item }) => item),
    next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}

function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[1-9]\d{0,14}$/.test(id)) {
    throw new HubError(400, 'request.invalid', 'The cursor is not one this API gave out.', { errors: [{ field: 'query.cursor', message: 'is not a valid cursor' }] });
  }
  return Number(id);
}
