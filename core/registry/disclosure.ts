// What an external client (principal.kind 'client') may receive from a registry read: only people whose consent (or
// an agreement's lawful basis) covers the client and the request's purpose (X-Purpose), and of them only the fields
// of the allowed data categories. Staff users keep their scope-based access. The decision is consent/policy.ts's.
import { HOUSEHOLD_FIELDS, keepCategories, PERSON_FIELDS, type DataCategory } from '../../consent/categories.js';
import { decideDisclosure, type DisclosureDecision, type DisclosureRequest } from '../../consent/policy.js';
import type { AuditEntry } from '../audit/entry.js';
import type { Ctx } from '../server/context.js';
import { HubError } from '../server/errors.js';
import type { Household, HouseholdSummary, Person } from './types.js';

export const isExternalClient = (ctx: Ctx) => ctx.principal.kind === 'client';

const RECORD_FIELDS = new Set(['id', 'version', 'channel', 'created_by', 'updated_by', 'created_at', 'updated_at']);
/** The personal fields a filtered record shows, for the audit entry. */
export const shownFields = (record: object) => Object.keys(record).filter((f) => !RECORD_FIELDS.has(f));

export function refused(decision: DisclosureDecision | undefined): HubError {
  const reason = decision?.reason ?? 'consent.none';
  return new HubError(403, 'disclosure.refused', `No consent or agreement lets you receive this record for this purpose (${reason}); send X-Purpose with a purpose the person agreed to.`, { reason });
}

/** Record history holds every field's old values, which no consent's categories can cut: clients get none. */
export function historyRefused(): HubError {
  return new HubError(403, 'disclosure.refused', 'Record history is not disclosed to API clients.', { reason: 'history.not_disclosed' });
}

async function decide(ctx: Ctx, personIds: string[], alsoAudit?: DisclosureRequest['alsoAudit']): Promise<Map<string, DisclosureDecision>> {
  return decideDisclosure(ctx, { purpose: ctx.purpose, recipient: ctx.principal.id, personIds, alsoAudit });
}

/**
 * The people the client may see, each cut to its allowed categories (the others left out). `audit` gives the entries
 * of what is shown (the read itself): they are written with the decisions, in one audit write.
 */
export async function disclosePeople(
  ctx: Ctx,
  people: Person[],
  audit?: (shown: Partial<Person>[]) => readonly AuditEntry[],
): Promise<{ shown: Partial<Person>[]; decisions: Map<string, DisclosureDecision> }> {
  const cut = (decisions: Map<string, DisclosureDecision>) =>
    people.filter((p) => decisions.get(p.id)?.allowed).map((p) => keepCategories(p, decisions.get(p.id)!.categories, PERSON_FIELDS));
  const decisions = await decide(ctx, people.map((p) => p.id), audit && ((d) => audit(cut(d))));
  // cut again from what the decision answered: when its audit write failed, everyone is refused
  return { shown: cut(decisions), decisions };
}

/** The categories every one of these people allows (a household's own fields concern all its members). */
function commonCategories(decisions: Map<string, DisclosureDecision>, memberIds: string[]): Set<DataCategory> {
  if (memberIds.length === 0) return new Set();
  const [first, ...rest] = memberIds.map((id) => decisions.get(id)?.categories ?? new Set<DataCategory>());
  return new Set([...first].filter((c) => rest.every((set) => set.has(c))));
}

/** A household for a client: its own fields in the categories all members allow, and only the allowed members. */
export async function discloseHousehold(ctx: Ctx, household: Household): Promise<Partial<Household>> {
  const memberIds = household.members.map((m) => m.person_id);
  const decisions = await decide(ctx, memberIds);
  const allowed = household.members.filter((m) => decisions.get(m.person_id)?.allowed);
  if (allowed.length === 0) throw refused(decisions.get(memberIds[0]));
  const own = keepCategories(household, commonCategories(decisions, memberIds), HOUSEHOLD_FIELDS);
  return {
    ...own,
    ...('members' in own
      ? { members: allowed.map((m) => ({ ...m, person: keepCategories(m.person, decisions.get(m.person_id)!.categories, PERSON_FIELDS) as Person })) }
      : {}),
  };
}

/** Household summaries for a client: those with at least one allowed member, cut to the categories all members allow. */
export async function discloseHouseholdSummaries(ctx: Ctx, households: HouseholdSummary[], members: Map<string, string[]>): Promise<Partial<HouseholdSummary>[]> {
  const decisions = await decide(ctx, households.flatMap((h) => members.get(h.id) ?? []));
  return households
    .filter((h) => (members.get(h.id) ?? []).some((id) => decisions.get(id)?.allowed))
    .map((h) => keepCategories(h, commonCategories(decisions, members.get(h.id) ?? []), HOUSEHOLD_FIELDS));
}
