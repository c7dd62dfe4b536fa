// Registering households with their members: one household or a bulk batch of up to 10,000 go through the same
// checks and the same set-based writes, in the caller's transaction.
import type { Db } from '../../db/index.js';
import { uuidv7 } from '../../ids.js';
import type { Ctx } from '../../server/context.js';
import type { FieldError } from '../../server/errors.js';
import { createdHouseholdFields, createdPersonFields, householdEntries, personEntries } from '../audit.js';
import { creation, historyStore } from '../history.js';
import { identifierConflicts, issueRegistryIds, preparePerson, writePeople, type PreparedPerson } from '../persons/new-people.js';
import { checkIdentifiers, checkNewPerson, today } from '../persons/rules.js';
import { personStore } from '../persons/store.js';
import { emitEvents } from '../../outbox/events.js';
import { householdEvent, personEvent } from '../events.js';
import { scopeParam } from '../scope.js';
import type { Channel, HouseholdInput } from '../types.js';
import { householdStore, type NewHousehold, type NewMembership } from './store.js';

export const HEAD = 'SELF';

export interface RegisterOptions {
  defaultChannel: Channel;
  /** Where household i sits in the request: 'body' for one, 'body.households[i]' for a batch. */
  at: (index: number) => string;
  /** true: report invalid households and write the others; false: the caller rejects the batch on any error. */
  skipInvalid: boolean;
}

export interface Registration {
  created: { index: number; id: string }[];
  errors: FieldError[];
  /** Whether some errors are identifiers already registered or given twice (a 409 rather than a 422). */
  identifierConflicts: boolean;
}

interface Prepared {
  index: number;
  household: NewHousehold;
  people: PreparedPerson[];
  /** What each new person was registered with, for the audit log. */
  personFields: { id: string; fields: string[] }[];
  memberships: NewMembership[];
}

export async function registerHouseholds(tx: Db, ctx: Ctx, inputs: HouseholdInput[], options: RegisterOptions): Promise<Registration> {
  const scope = scopeParam(ctx.principal);
  const date = today();
  const errors: FieldError[] = [];
  const prepared = inputs.map((input, index) => prepare(ctx, input, index, options, date, errors));

  const areas = await householdStore.usableAreas(tx, [...new Set(inputs.map((h) => h.area_code))], scope);
  inputs.forEach((h, index) => {
    if (!areas.has(h.area_code)) errors.push({ index, field: `${options.at(index)}.area_code`, message: `${h.area_code} is not a known admin area` });
  });
  errors.push(...(await existingMemberErrors(tx, inputs, options, scope)));
  // when invalid households are skipped, a household rejected for another reason claims none of its identifiers,
  // so the outcome of a row does not depend on which batch its neighbours fell into
  const alreadyInvalid = new Set(errors.map((e) => e.index));
  const checked = options.skipInvalid ? prepared.filter((p) => !alreadyInvalid.has(p.index)) : prepared;
  const conflicts = await identifierConflicts(tx, checked.flatMap((p) => p.people));
  errors.push(...conflicts);

  const invalid = new Set(errors.map((e) => e.index));
  const accepted = options.skipInvalid ? prepared.filter((p) => !invalid.has(p.index)) : invalid.size ? [] : prepared;
  const people = accepted.flatMap((p) => p.people);
  await issueRegistryIds(tx, ctx.secrets, people);
  await writePeople(tx, people);
  await householdStore.insert(tx, accepted.map((p) => p.household));
  await householdStore.insertMemberships(tx, accepted.flatMap((p) => p.memberships));
  await historyStore.insert(
    tx,
    accepted.map((p) => {
      const { id: _id, channel, created_by, latitude, longitude, head_person_id, ...fields } = p.household;
      const location = latitude === null ? null : { latitude, longitude };
      const members = p.memberships.map((m) => ({ person_id: m.person_id, relationship: m.relationship }));
      return {
        entity: 'household' as const,
        entityId: p.household.id,
        version: 1,
        changedBy: created_by,
        channel,
        changes: creation({ ...fields, location, head_person_id, members }),
      };
    }),
  );
  await emitEvents(
    tx,
    accepted.flatMap((p) => [
      householdEvent('household.registered', p.household.id, { area_code: p.household.area_code, member_ids: p.memberships.map((m) => m.person_id) }),
      ...p.people.map((person) => personEvent('person.registered', person.row.id, { household_id: p.household.id })),
    ]),
  );
  // one entry per person registered, and per household and member (a household's data is each member's)
  await ctx.audit.recordIn(tx, [
    ...personEntries(ctx, 'create', accepted.flatMap((p) => p.personFields)),
    ...householdEntries(
      ctx,
      'create',
      accepted.map((p) => ({ id: p.household.id, memberIds: p.memberships.map((m) => m.person_id), fields: createdHouseholdFields(inputs[p.index]) })),
    ),
  ]);
  return {
    created: accepted.map((p) => ({ index: p.index, id: p.household.id })),
    errors: errors.sort((a, b) => a.index! - b.index!),
    identifierConflicts: conflicts.length > 0,
  };
}

/** The household row a registration writes (the fast seeder writes the same). */
export function householdRow(input: HouseholdInput, id: string, headId: string | null, channel: Channel, createdBy: string): NewHousehold {
  return {
    id,
    household_type: input.household_type ?? null,
    address: input.address ?? null,
    area_code: input.area_code,
    latitude: input.location?.latitude ?? null,
    longitude: input.location?.longitude ?? null,
    attributes: input.attributes ?? {},
    head_person_id: headId,
    channel,
    created_by: createdBy,
  };
}

function prepare(ctx: Ctx, input: HouseholdInput, index: number, options: RegisterOptions, date: string, errors: FieldError[]): Prepared {
  const at = options.at(index);
  const channel = input.channel ?? options.defaultChannel;
  const householdId = uuidv7();
  const heads = input.members.filter((m) => m.relationship === HEAD).length;
  if (heads !== 1) {
    errors.push({ index, field: `${at}.members`, message: `exactly one member must be the head (relationship ${HEAD}); found ${heads}` });
  }
  const people: PreparedPerson[] = [];
  const personFields: Prepared['personFields'] = [];
  const memberships: NewMembership[] = [];
  let headId: string | null = null;
  input.members.forEach((member, m) => {
    const memberAt = `${at}.members[${m}]`;
    if ((member.person === undefined) === (member.person_id === undefined)) {
      errors.push({ index, field: memberAt, message: 'give either person (someone new) or person_id (someone registered)' });
      return;
    }
    if (member.start_date && member.start_date > date) {
      errors.push({ index, field: `${memberAt}.start_date`, message: `is in the future (today is ${date})` });
    }
    let personId = member.person_id;
    if (member.person) {
      const personAt = `${memberAt}.person`;
      const errs = [...checkNewPerson(member.person, personAt), ...checkIdentifiers(member.person.identifiers ?? [], `${personAt}.identifiers`, ctx.config.idTypes)];
      errors.push(...errs.map((e) => ({ ...e, index })));
      const person = preparePerson(ctx.secrets, member.person, ctx.principal, member.person.channel ?? channel, personAt, index);
      people.push(person);
      personFields.push({ id: person.row.id, fields: createdPersonFields(member.person) });
      personId = person.row.id;
    }
    if (member.relationship === HEAD) headId = personId!;
    memberships.push({ id: uuidv7(), household_id: householdId, person_id: personId!, relationship: member.relationship, start_date: member.start_date ?? date });
  });
  return {
    index,
    household: householdRow(input, householdId, headId, channel, ctx.principal.id),
    people,
    personFields,
    memberships,
  };
}

/** Members named by person_id must be registered, visible to the caller, and not in a household already. */
async function existingMemberErrors(tx: Db, inputs: HouseholdInput[], options: RegisterOptions, scope: string[] | null): Promise<FieldError[]> {
  const named = inputs.flatMap((h, index) =>
    h.members.flatMap((m, i) => (m.person_id ? [{ index, id: m.person_id, field: `${options.at(index)}.members[${i}].person_id` }] : [])),
  );
  if (named.length === 0) return [];
  const placement = await personStore.placement(tx, [...new Set(named.map((n) => n.id))], scope);
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const { index, id, field } of named) {
    if (!placement.has(id)) errors.push({ index, field, message: 'is not a registered person' });
    else if (placement.get(id)) errors.push({ index, field, message: 'is already a member of another household' });
    else if (seen.has(id)) errors.push({ index, field, message: 'is named twice in this request' });
    seen.add(id);
  }
  return errors;
}
