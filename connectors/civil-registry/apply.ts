// Applying one civil registration record, in the transaction that also records it and moves the pull's cursor: the
// change, the record of it and the cursor commit together or not at all, so a killed or retried run applies nothing
// twice. A death of a matched person is applied (death date -> person.deceased; the membership ends); a possible
// match, a head of household's membership and every birth become change requests for review (core/workflow).
import type { Db } from '../../core/db/index.js';
import { householdStore } from '../../core/registry/households/store.js';
import { endMembership } from '../../core/registry/households/service.js';
import { updatePerson } from '../../core/registry/persons/service.js';
import { personStore } from '../../core/registry/persons/store.js';
import type { Ctx } from '../../core/server/context.js';
import { HubError } from '../../core/server/errors.js';
import { submitChange } from '../../core/workflow/index.js';
import { matchPerson, type PersonMatch } from './match.js';
import type { BirthRecord, CivilRecord, DeathRecord, PersonDetails } from './records.js';

export interface Outcome {
  /** applied, applied_head_review, already_deceased, review, unmatched, already_registered, invalid, duplicate */
  outcome: string;
  personId?: string;
  caseId?: string;
  /** Why, for the run log: codes only, never personal data. */
  why?: string;
}

export const SOURCE = 'civil_registry';
const PARTNERS = new Set(['SELF', 'SPS', 'WIFE', 'HUSB']);

/** The record's stable handle (for the workflow's clientRef and the matcher's ref): system, type, id and version. */
export const recordRef = (system: string, r: CivilRecord) => `civil-registry:${system}:${r.resourceType}/${r.id}/_history/${r.versionId}`;

/**
 * Claims the record version in civil_registry_record (a version seen before answers 'duplicate' and changes nothing)
 * and applies it. Runs inside the caller's transaction; ctx.db must be that transaction.
 */
export async function applyRecord(ctx: Ctx, tx: Db, system: string, record: CivilRecord): Promise<Outcome> {
  const claimed = await tx.query(
    `insert into civil_registry_record (system, resource_type, resource_id, version_id, event, outcome)
     values ($1, $2, $3, $4, $5, 'pending') on conflict do nothing returning resource_id`,
    [system, record.resourceType, record.id, record.versionId, record.event],
  );
  if (claimed.length === 0) return { outcome: 'duplicate' };
  const outcome = record.event === 'death' ? await applyDeath(ctx, tx, system, record) : await applyBirth(ctx, tx, system, record);
  await tx.query(
    `update civil_registry_record set outcome = $5, person_id = $6, case_id = $7
     where system = $1 and resource_type = $2 and resource_id = $3 and version_id = $4`,
    [system, record.resourceType, record.id, record.versionId, outcome.outcome, outcome.personId ?? null, outcome.caseId ?? null],
  );
  return outcome;
}

async function applyDeath(ctx: Ctx, tx: Db, system: string, record: DeathRecord): Promise<Outcome> {
  const ref = recordRef(system, record);
  const match = await matchPerson(tx, ctx.secrets, record.deceased, ref);
  if (match.kind === 'none') return { outcome: 'unmatched', why: match.why };
  const householdId = await currentHousehold(tx, match.personId);
  if (match.kind === 'possible') {
    if (!householdId) return { outcome: 'unmatched', personId: match.personId, why: 'possible_match_without_household' };
    const { caseId } = await submitChange(ctx, tx, {
      householdId,
      kind: 'update_person',
      personId: match.personId,
      changes: { death_date: record.deathDate },
      channel: 'connector',
      source: SOURCE,
      reason: `civil registry death: possible match (score ${match.score.toFixed(1)})`,
      clientRef: ref,
    });
    return { outcome: 'review', personId: match.personId, caseId, why: 'possible_match' };
  }

  const person = await personStore.byId(tx, match.personId, null, true);
  if (!person) return { outcome: 'unmatched', why: 'no_candidate' };
  if (person.death_date) return { outcome: 'already_deceased', personId: person.id };
  try {
    await updatePerson(ctx, person.id, person.version, { death_date: record.deathDate, channel: 'connector' });
  } catch (err) {
    // a date the registry's rules refuse (before the birth, in the future): recorded, for a person to look at
    if (err instanceof HubError && err.status === 422) return { outcome: 'invalid', personId: person.id, why: err.code };
    throw err;
  }
  if (!householdId) return { outcome: 'applied', personId: person.id, why: match.via };
  return endMembershipOf(ctx, tx, householdId, person.id, record.deathDate, ref, match);
}

/** Ends the deceased's membership; a head with others still in the household needs a new head first: review. */
async function endMembershipOf(ctx: Ctx, tx: Db, householdId: string, personId: string, deathDate: string, ref: string, match: PersonMatch & { kind: 'match' }): Promise<Outcome> {
  const household = (await householdStore.byId(tx, householdId, null, true))!;
  const members = await householdStore.members(tx, householdId);
  const membership = members.find((m) => m.person_id === personId)!;
  // the membership cannot end before it began (a death registered late for someone who joined after, by the records)
  const endDate = deathDate < membership.start_date ? membership.start_date : deathDate;
  if (household.head_person_id === personId && members.length > 1) {
    const { caseId } = await submitChange(ctx, tx, {
      householdId,
      kind: 'end_membership',
      personId,
      changes: { end_date: endDate },
      channel: 'connector',
      source: SOURCE,
      reason: 'civil registry death of the head of household: a new head is needed',
      clientRef: `${ref}:membership`,
    });
    return { outcome: 'applied_head_review', personId, caseId, why: match.via };
  }
  await endMembership(ctx, householdId, personId, household.version, endDate);
  return { outcome: 'applied', personId, why: match.via };
}

async function applyBirth(ctx: Ctx, tx: Db, system: string, record: BirthRecord): Promise<Outcome> {
  const ref = recordRef(system, record);
  if (record.child.identifiers.length) {
    const known = await matchPerson(tx, ctx.secrets, { identifiers: record.child.identifiers }, `${ref}:child`);
    if (known.kind === 'match') return { outcome: 'already_registered', personId: known.personId };
  }
  const parent = await parentHousehold(ctx, tx, ref, [record.mother, record.father]);
  if (!parent) return { outcome: 'unmatched', why: 'no_parent_in_a_household' };
  const { child } = record;
  const relationship = childRelationship(parent.relationship, child.sex);
  const { caseId } = await submitChange(ctx, tx, {
    householdId: parent.householdId,
    kind: 'add_member',
    changes: {
      relationship,
      start_date: child.birth_date,
      person: {
        ...(child.given_name ? { given_name: child.given_name } : {}),
        ...(child.family_name ? { family_name: child.family_name } : {}),
        ...(child.sex ? { sex: child.sex } : {}),
        birth_date: child.birth_date,
        identifiers: child.identifiers,
        channel: 'connector',
      },
    },
    channel: 'connector',
    source: SOURCE,
    reason: parent.certain ? 'civil registry birth: a child of a household member' : 'civil registry birth: the parent is a possible match',
    clientRef: ref,
  });
  return { outcome: 'review', personId: parent.personId, caseId, why: parent.certain ? 'parent_matched' : 'parent_possible_match' };
}

/** The household of the first parent found in one (a certain match before a possible one). */
async function parentHousehold(ctx: Ctx, tx: Db, ref: string, parents: (PersonDetails | undefined)[]) {
  const found: { personId: string; householdId: string; relationship: string; certain: boolean }[] = [];
  for (const [i, details] of parents.entries()) {
    if (!details) continue;
    const match = await matchPerson(tx, ctx.secrets, details, `${ref}:parent${i}`);
    if (match.kind === 'none') continue;
    const householdId = await currentHousehold(tx, match.personId);
    if (!householdId) continue;
    const membership = (await householdStore.members(tx, householdId)).find((m) => m.person_id === match.personId)!;
    found.push({ personId: match.personId, householdId, relationship: membership.relationship, certain: match.kind === 'match' });
  }
  return found.find((f) => f.certain) ?? found[0];
}

function childRelationship(parentRelationship: string, sex: PersonDetails['sex']): string {
  const own = PARTNERS.has(parentRelationship);
  if (sex === 'male') return own ? 'SON' : 'GRNDSON';
  if (sex === 'female') return own ? 'DAU' : 'GRNDDAU';
  return own ? 'CHILD' : 'GRNDCHILD';
}

async function currentHousehold(tx: Db, personId: string): Promise<string | null> {
  return (await personStore.placement(tx, [personId], null)).get(personId) ?? null;
}
