// What the registry records in the audit log: every read and write of a person's data through the API, one entry
// per record and person concerned. A person's record concerns that person; a household's (address, location, its
// members with their person records) concerns each of its current members, so each gets an entry of their own.
import { auditEntries, type AuditAction, type AuditEntry, type AuditEvent } from '../audit/entry.js';
import type { Ctx } from '../server/context.js';
import { notFound } from '../server/errors.js';
import type { Household, HouseholdInput, PersonInput } from './types.js';

/** The personal fields a person read discloses (the Person of hub.yaml without its bookkeeping). */
export const PERSON_SHOWN = [
  'given_name', 'family_name', 'other_names', 'sex', 'birth_date', 'birth_date_estimated', 'death_date', 'phone', 'email',
  'preferred_language', 'disabilities', 'vulnerabilities', 'attributes', 'identifiers', 'household',
] as const;
export const HOUSEHOLD_SUMMARY_SHOWN = ['household_type', 'address', 'area_code', 'location', 'head_person_id', 'attributes', 'deregistered_at', 'deregistration_reason'] as const;
/** A household read also shows every member's person record. */
export const HOUSEHOLD_SHOWN = [...HOUSEHOLD_SUMMARY_SHOWN, 'members'] as const;
export const HISTORY_SHOWN = ['history'] as const;

type AuditCtx = Parameters<typeof auditEntries>[0];

export function personEntries(ctx: AuditCtx, action: AuditAction, people: { id: string; fields: readonly string[] }[]): AuditEntry[] {
  return auditEntries(ctx, people.map((p) => ({ action, entity: 'person', entityId: p.id, subjectPersonId: p.id, fields: p.fields })));
}

export function householdEntries(
  ctx: AuditCtx,
  action: AuditAction,
  households: { id: string; memberIds: readonly string[]; fields: readonly string[] }[],
): AuditEntry[] {
  const events: AuditEvent[] = households.flatMap((h) => {
    const event = { action, entity: 'household', entityId: h.id, fields: h.fields };
    // a household without members concerns no one in particular; it is still recorded
    return h.memberIds.length ? [...new Set(h.memberIds)].map((id) => ({ ...event, subjectPersonId: id })) : [event];
  });
  return auditEntries(ctx, events);
}

const isBlank = (v: unknown) =>
  v === undefined || v === null || v === false || (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && Object.keys(v as object).length === 0);

/** The fields a new person was registered with (blank ones left out); everyone has identifiers (at least an SRID). */
export function createdPersonFields(input: PersonInput): string[] {
  const given = Object.entries(input).filter(([key, value]) => key !== 'channel' && key !== 'identifiers' && !isBlank(value));
  return [...given.map(([key]) => key), 'identifiers'];
}

/** The fields a new household was registered with (blank ones left out); it always has members and a head. */
export function createdHouseholdFields(input: HouseholdInput): string[] {
  const given = Object.entries(input).filter(([key, value]) => key !== 'channel' && key !== 'members' && !isBlank(value));
  return [...given.map(([key]) => key), 'members', 'head_person_id'];
}

export const memberIdsOf = (household: Household) => household.members.map((m) => m.person_id);

/**
 * Answers 404 to a read that found nothing the caller may see (absent, or outside their areas: they cannot tell
 * which), after recording it as a denied read of the id asked for. It names no one, so probing shows in the log
 * without the log confirming that anyone exists.
 */
export async function denyRead(ctx: Ctx, entity: string, id: string, what = entity): Promise<never> {
  await ctx.audit.recordReads(auditEntries(ctx, [{ action: 'read', entity, entityId: id, outcome: 'denied' }]));
  throw notFound(what);
}
