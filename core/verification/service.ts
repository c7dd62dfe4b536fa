// A person's verification records through the API: area-scoped like the person, audited as a read, and for API
// clients only where the person's consent covers their identifiers (the records say how the identity checked out).
import { decideDisclosure } from '../../consent/policy.js';
import { denyRead, personEntries } from '../registry/audit.js';
import { isExternalClient, refused } from '../registry/disclosure.js';
import { personStore } from '../registry/persons/store.js';
import { scopeParam } from '../registry/scope.js';
import type { Ctx } from '../server/context.js';
import { HubError } from '../server/errors.js';
import { listVerifications, type Verification } from './index.js';

export const VERIFICATIONS_SHOWN = ['verifications'] as const;

export async function getPersonVerifications(
  ctx: Ctx,
  personId: string,
  query: { limit: number; cursor?: string },
): Promise<{ items: Verification[]; next_cursor: string | null }> {
  const row = await personStore.byId(ctx.db, personId, scopeParam(ctx.principal));
  if (!row) return denyRead(ctx, 'person', personId);
  if (isExternalClient(ctx)) {
    const decision = (await decideDisclosure(ctx, { purpose: ctx.purpose, recipient: ctx.principal.id, personIds: [personId] })).get(personId);
    if (!decision?.allowed || !decision.categories.has('identifiers')) throw refused(decision?.allowed ? { ...decision, reason: 'category.identifiers' } : decision);
  }
  const rows = await listVerifications(ctx.db, personId, { limit: query.limit + 1, before: decodeCursor(query.cursor) });
  const items = rows.slice(0, query.limit);
  await ctx.audit.recordReads(personEntries(ctx, 'read', [{ id: personId, fields: VERIFICATIONS_SHOWN }]));
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > query.limit ? encodeCursor(last.verified_at, last.id) : null };
}

const encodeCursor = (at: string, id: string) => Buffer.from(`${at}|${id}`).toString('base64url');

function decodeCursor(cursor: string | undefined): { at: Date; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const when = new Date(at ?? '');
  if (!id || Number.isNaN(when.getTime()) || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new HubError(400, 'request.invalid', 'The cursor is not one this API gave out.', { errors: [{ field: 'query.cursor', message: 'is not a valid cursor' }] });
  }
  return { at: when, id };
}
