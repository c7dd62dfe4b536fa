// The rules for households: register, read, change, members joining and leaving, history.
import type { Db } from '../../db/index.js';
import { uuidv7 } from '../../ids.js';
import { emitEvents, type OutboxEventInput } from '../../outbox/events.js';
import type { Ctx } from '../../server/context.js';
import { conflict, HubError, notFound, staleVersion, unprocessable } from '../../server/errors.js';
import type { AuditEntry } from '../../audit/entry.js';
import {
  createdPersonFields,
  denyRead,
  HISTORY_SHOWN,
  householdEntries,
  HOUSEHOLD_SHOWN,
  HOUSEHOLD_SUMMARY_SHOWN,
  memberIdsOf,
  personEntries,
} from '../audit.js';
import { householdEvent, personEvent } from '../events.js';
import { diff, historyStore, type Changes, type HistoryItem } from '../history.js';
import { mergePatch } from '../merge-patch.js';
import { identifierConflicts, issueRegistryIds, preparePerson, writePeople } from '../persons/new-people.js';
import { checkIdentifiers, checkNewPerson, today } from '../persons/rules.js';
import { personStore } from '../persons/store.js';
import { decodeCursor, encodeCursor } from '../persons/service.js';
import { discloseHousehold, discloseHouseholdSummaries, historyRefused, isExternalClient, shownFields as disclosedFields } from '../disclosure.js';
import { scopeParam } from '../scope.js';
import type { DeregistrationInput, Household, HouseholdInput, HouseholdPatch, HouseholdSummary, MemberInput, Page } from '../types.js';
import { HEAD, registerHouseholds, type Registration } from './register.js';
import { householdStore, type HouseholdRow } from './store.js';
import { toHouseholdSummary, viewHousehold } from './view.js';

export async function createHousehold(tx: Db, ctx: Ctx, input: HouseholdInput): Promise<Household> {
  const registration = await registerHouseholds(tx, ctx, [input], { defaultChannel: 'online', at: () => 'body', skipInvalid: false });
  if (registration.errors.length) throw registrationError(registration);
  const { created } = registration;
  return readHousehold(tx, ctx, created[0].id);
}

/** Identifier conflicts are 409 (the data exists already); anything else wrong with the input is 422. */
export function registrationError({ errors, identifierConflicts }: Registration): HubError {
  return identifierConflicts
    ? conflict('identifier.duplicate', 'An identifier is already registered or given twice.', { errors })
    : unprocessable('household.invalid', errors, 'The household cannot be registered as given.');
}

export async function readHousehold(db: Db, ctx: Ctx, id: string): Promise<Household> {
  const row = await householdStore.byId(db, id, scopeParam(ctx.principal));
  if (!row) throw notFound('household');
  return viewHousehold(db, ctx.secrets, row);
}

/** A household read through the API, recorded in the audit log for each member (a miss as a denied read). */
export async function getHousehold(ctx: Ctx, id: string): Promise<Household> {
  const row = await householdStore.byId(ctx.db, id, scopeParam(ctx.principal));
  if (!row) return denyRead(ctx, 'household', id);
  const household = await viewHousehold(ctx.db, ctx.secrets, row);
  if (isExternalClient(ctx)) {
    // a client receives the members whose consent covers it, each cut to the allowed categories (or a 403)
    const shown = await discloseHousehold(ctx, household);
    const memberIds = (shown.members ?? []).map((m) => m.person_id);
    await ctx.audit.recordReads(householdEntries(ctx, 'read', [{ id, memberIds, fields: disclosedFields(shown) }]));
    return shown as Household;
  }
  await ctx.audit.recordReads(householdEntries(ctx, 'read', [{ id, memberIds: memberIdsOf(household), fields: HOUSEHOLD_SHOWN }]));
  return household;
}

export async function listHouseholds(ctx: Ctx, query: { area_code?: string; limit: number; cursor?: string }): Promise<Page<HouseholdSummary>> {
  const rows = await householdStore.list(ctx.db, scopeParam(ctx.principal), query.area_code, query.limit + 1, decodeCursor(query.cursor));
  const page = rows.slice(0, query.limit);
  const members = await householdStore.currentMemberIds(ctx.db, page.map((h) => h.id));
  const summaries = page.map(toHouseholdSummary);
  // a client gets only households with a covered member, cut to the categories all members allow
  const items = isExternalClient(ctx) ? ((await discloseHouseholdSummaries(ctx, summaries, members)) as HouseholdSummary[]) : summaries;
  const fields = (h: HouseholdSummary) => (isExternalClient(ctx) ? disclosedFields(h) : HOUSEHOLD_SUMMARY_SHOWN);
  await ctx.audit.recordReads(
    householdEntries(ctx, 'read', items.map((h) => ({ id: h.id, memberIds: members.get(h.id) ?? [], fields: fields(h) }))),
  );
  return {
    items,
    next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}

export async function householdHistory(ctx: Ctx, id: string): Promise<HistoryItem[]> {
  if (!(await householdStore.byId(ctx.db, id, scopeParam(ctx.principal)))) return denyRead(ctx, 'household', id);
  if (isExternalClient(ctx)) throw historyRefused();
  const items = await historyStore.of(ctx.db, 'household', id);
  const members = await householdStore.currentMemberIds(ctx.db, [id]);
  await ctx.audit.recordReads(householdEntries(ctx, 'read', [{ id, memberIds: members.get(id) ?? [], fields: HISTORY_SHOWN }]));
  return items;
}

/**
 * Locks the household for a change and checks the version the caller edited. A deregistered household takes no
 * more changes (409 household.deregistered); its record, memberships and history stay readable.
 */
async function lockForChange(tx: Db, ctx: Ctx, id: string, ifMatch: number, { evenIfDeregistered = false } = {}): Promise<HouseholdRow> {
  const row = await householdStore.byId(tx, id, scopeParam(ctx.principal), true);
  if (!row) throw notFound('household');
  if (row.version !== ifMatch) throw staleVersion('household', row.version);
  if (row.deregistered_at && !evenIfDeregistered) throw deregisteredConflict();
  return row;
}

const deregisteredConflict = () => conflict('household.deregistered', 'The household is deregistered; it takes no more changes.');

const shownFields = (row: Pick<HouseholdRow, 'household_type' | 'address' | 'area_code' | 'latitude' | 'longitude' | 'attributes'>) => ({
  household_type: row.household_type,
  address: row.address,
  area_code: row.area_code,
  location: row.latitude === null ? null : { latitude: row.latitude, longitude: row.longitude },
  attributes: row.attributes,
});

export async function updateHousehold(ctx: Ctx, id: string, ifMatch: number, patch: HouseholdPatch): Promise<Household> {
  return ctx.db.transaction(async (tx) => {
    const row = await lockForChange(tx, ctx, id, ifMatch);
    const fields: Record<string, unknown> = {};
    if (patch.household_type !== undefined) fields.household_type = patch.household_type;
    if (patch.address !== undefined) fields.address = patch.address;
    if (patch.location !== undefined) {
      fields.latitude = patch.location?.latitude ?? null;
      fields.longitude = patch.location?.longitude ?? null;
    }
    if (patch.attributes !== undefined) fields.attributes = mergePatch(row.attributes, patch.attributes ?? {}) ?? {};
    if (patch.area_code !== undefined && patch.area_code !== row.area_code) {
      const usable = await householdStore.usableAreas(tx, [patch.area_code], scopeParam(ctx.principal));
      if (!usable.has(patch.area_code)) {
        throw unprocessable('household.invalid', [{ field: 'body.area_code', message: `${patch.area_code} is not a known admin area` }], 'The change breaks the registry rules.');
      }
      fields.area_code = patch.area_code;
    }
    const changes = diff(shownFields(row), shownFields({ ...row, ...fields }));
    if (Object.keys(changes).length === 0) {
      // nothing changed: no new version, but the record goes out
      const unchanged = await viewHousehold(tx, ctx.secrets, row);
      await ctx.audit.recordIn(tx, householdEntries(ctx, 'read', [{ id, memberIds: memberIdsOf(unchanged), fields: HOUSEHOLD_SHOWN }]));
      return unchanged;
    }
    await recordChange(tx, ctx, id, fields, changes, patch.channel ?? row.channel, householdEvent('household.updated', id, { fields: Object.keys(changes), area_code: fields.area_code ?? row.area_code }));
    return changedHousehold(tx, ctx, id, changes);
  });
}

/**
 * The household after a change, with the change recorded in the audit log for each member (and whoever left), last
 * in the transaction: the audit holds the chain lock until commit.
 */
async function changedHousehold(tx: Db, ctx: Ctx, id: string, changes: Changes, more: { left?: string; entries?: AuditEntry[] } = {}) {
  const household = await readHousehold(tx, ctx, id);
  const memberIds = [...memberIdsOf(household), ...(more.left ? [more.left] : [])];
  await ctx.audit.recordIn(tx, [...(more.entries ?? []), ...householdEntries(ctx, 'update', [{ id, memberIds, fields: Object.keys(changes) }])]);
  return household;
}

async function recordChange(tx: Db, ctx: Ctx, id: string, fields: Record<string, unknown>, changes: Changes, channel: string, event: OutboxEventInput) {
  const version = await householdStore.update(tx, id, fields, ctx.principal.id);
  await historyStore.insert(tx, [{ entity: 'household', entityId: id, version, changedBy: ctx.principal.id, channel, changes }]);
  await emitEvents(tx, [event]);
}

const memberList = (members: { person_id: string; relationship: string }[]) =>
  members.map((m) => ({ person_id: m.person_id, relationship: m.relationship }));

export async function addMember(ctx: Ctx, id: string, ifMatch: number, member: MemberInput): Promise<Household> {
  return ctx.db.transaction(async (tx) => {
    const row = await lockForChange(tx, ctx, id, ifMatch);
    const before = await householdStore.members(tx, id);
    const date = today();
    const fail = (field: string, message: string) => unprocessable('member.invalid', [{ field, message }], 'The member cannot be added as given.');
    if ((member.person === undefined) === (member.person_id === undefined)) {
      throw fail('body', 'give either person (someone new) or person_id (someone registered)');
    }
    if (member.relationship === HEAD && row.head_person_id) throw fail('body.relationship', 'the household already has a head');
    if (member.start_date && member.start_date > date) throw fail('body.start_date', `is in the future (today is ${date})`);

    let personId = member.person_id;
    if (member.person) {
      const errors = [...checkNewPerson(member.person, 'body.person'), ...checkIdentifiers(member.person.identifiers ?? [], 'body.person.identifiers', ctx.config.idTypes)];
      if (errors.length) throw unprocessable('member.invalid', errors, 'The member cannot be added as given.');
      const person = preparePerson(ctx.secrets, member.person, ctx.principal, member.person.channel ?? row.channel, 'body.person');
      const conflicts = await identifierConflicts(tx, [person]);
      if (conflicts.length) throw conflict('identifier.duplicate', 'An identifier is already registered.', { errors: conflicts });
      await issueRegistryIds(tx, ctx.secrets, [person]);
      await writePeople(tx, [person]);
      personId = person.row.id;
    } else {
      const placement = await personStore.placement(tx, [personId!], scopeParam(ctx.principal));
      if (!placement.has(personId!)) throw notFound('person');
      if (placement.get(personId!)) throw conflict('person.in_household', 'The person is already a member of a household; end that membership first.');
    }
    const newMember = { id: uuidv7(), household_id: id, person_id: personId!, relationship: member.relationship, start_date: member.start_date ?? date };
    await householdStore.insertMemberships(tx, [newMember]);
    const fields: Record<string, unknown> = member.relationship === HEAD ? { head_person_id: personId } : {};
    const changes: Changes = { members: { from: memberList(before), to: memberList([...before, newMember]) } };
    if (member.relationship === HEAD) changes.head_person_id = { from: null, to: personId };
    const added = householdEvent('household.member_added', id, { person_id: personId, new_person: Boolean(member.person), relationship: member.relationship });
    await recordChange(tx, ctx, id, fields, changes, member.person?.channel ?? row.channel, added);
    if (member.person) await emitEvents(tx, [personEvent('person.registered', personId!, { household_id: id })]);
    const created = member.person ? personEntries(ctx, 'create', [{ id: personId!, fields: createdPersonFields(member.person) }]) : [];
    return changedHousehold(tx, ctx, id, changes, { entries: created });
  });
}

export async function endMembership(ctx: Ctx, id: string, personId: string, ifMatch: number, endDate = today()): Promise<Household> {
  return ctx.db.transaction(async (tx) => {
    // people leave a deregistered household too, so they can be registered in another one
    const row = await lockForChange(tx, ctx, id, ifMatch, { evenIfDeregistered: true });
    const before = await householdStore.members(tx, id);
    const leaving = before.find((m) => m.person_id === personId);
    if (!leaving) throw new HubError(404, 'member.not_found', 'The person is not a current member of this household.');
    const isHead = row.head_person_id === personId;
    if (isHead && before.length > 1) {
      throw conflict('household.head_leaving', 'The head cannot leave while other members remain; register the change of head first.');
    }
    if (endDate < leaving.start_date || endDate > today()) {
      throw unprocessable('member.invalid', [{ field: 'query.end_date', message: `must be between the start of the membership (${leaving.start_date}) and today` }], 'The membership cannot end on that date.');
    }
    await householdStore.endMembership(tx, id, personId, endDate);
    const changes: Changes = { members: { from: memberList(before), to: memberList(before.filter((m) => m !== leaving)) } };
    if (isHead) changes.head_person_id = { from: personId, to: null };
    const removed = householdEvent('household.member_removed', id, { person_id: personId, end_date: endDate });
    await recordChange(tx, ctx, id, isHead ? { head_person_id: null } : {}, changes, row.channel, removed);
    return changedHousehold(tx, ctx, id, changes, { left: personId });
  });
}

/**
 * Deregisters a household: it leaves the registry (no more changes; DCI searches leave it out) with a reason code.
 * Its memberships stay as they are, so the record and its history still say who belonged to it. The note goes to
 * the history row only (free text may name people: never in the event or the logs).
 */
export async function deregisterHousehold(ctx: Ctx, id: string, ifMatch: number, input: DeregistrationInput): Promise<Household> {
  return ctx.db.transaction(async (tx) => {
    const row = await lockForChange(tx, ctx, id, ifMatch);
    const { version, deregistered_at } = await householdStore.deregister(tx, id, input.reason, ctx.principal.id);
    const changes: Changes = {
      deregistered_at: { from: null, to: deregistered_at.toISOString() },
      deregistration_reason: { from: null, to: input.reason },
    };
    if (input.note !== undefined) changes.deregistration_note = { from: null, to: input.note };
    await historyStore.insert(tx, [{ entity: 'household', entityId: id, version, changedBy: ctx.principal.id, channel: row.channel, changes }]);
    const memberIds = (await householdStore.members(tx, id)).map((m) => m.person_id);
    // ids and the reason code only; notify.ts reads member_ids as the event's Member records
    await emitEvents(tx, [householdEvent('household.deregistered', id, { member_ids: memberIds, reason: input.reason })]);
    return changedHousehold(tx, ctx, id, changes);
  });
}
