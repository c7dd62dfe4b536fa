// A household's program participation through the API: area-scoped like the household, audited as a read of each
// member's data, and for API clients only where every current member's consent covers household data.
import { decideDisclosure } from '../../consent/policy.js';
import { denyRead, householdEntries } from '../registry/audit.js';
import { isExternalClient, refused } from '../registry/disclosure.js';
import { householdStore } from '../registry/households/store.js';
import { scopeParam } from '../registry/scope.js';
import type { Ctx } from '../server/context.js';
import { householdPrograms, type Participation } from './index.js';

export const PROGRAMS_SHOWN = ['programs'] as const;

export async function getHouseholdPrograms(ctx: Ctx, householdId: string): Promise<{ items: Participation[] }> {
  const row = await householdStore.byId(ctx.db, householdId, scopeParam(ctx.principal));
  if (!row) return denyRead(ctx, 'household', householdId);
  const memberIds = (await householdStore.currentMemberIds(ctx.db, [householdId])).get(householdId) ?? [];
  if (isExternalClient(ctx)) {
    const decisions = await decideDisclosure(ctx, { purpose: ctx.purpose, recipient: ctx.principal.id, personIds: memberIds });
    const blocking = memberIds.map((id) => decisions.get(id)).find((d) => !d?.allowed || !d.categories.has('household'));
    if (memberIds.length === 0 || blocking) throw refused(blocking?.allowed ? { ...blocking, reason: 'category.household' } : blocking);
  }
  const items = await householdPrograms(ctx.db, householdId);
  await ctx.audit.recordReads(householdEntries(ctx, 'read', [{ id: householdId, memberIds, fields: PROGRAMS_SHOWN }]));
  return { items };
}
