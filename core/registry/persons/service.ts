// The rules for people: register, read, change, find, and their history. No HTTP, no SQL strings.
import { REGISTRY_ID_TYPE } from '../../config.js';
import type { Db } from '../../db/index.js';
import { writeMatchKeys } from '../../dedup/keys.js';
import { mergedInto, personMoved } from '../../dedup/merge.js';
import type { Secrets } from '../../keys/secrets.js';
import { emitEvents } from '../../outbox/events.js';
import type { Ctx } from '../../server/context.js';
import { conflict, HubError, invalid, notFound, staleVersion, unprocessable, type FieldError } from '../../server/errors.js';
import { createdPersonFields, denyRead, HISTORY_SHOWN, personEntries, PERSON_SHOWN } from '../audit.js';
import { disclosePeople, historyRefused, isExternalClient, refused, shownFields } from '../disclosure.js';
import { personEvent } from '../events.js';
import { diff, historyStore, type Changes, type HistoryItem } from '../history.js';
import { mergePatch } from '../merge-patch.js';
import { normaliseName } from '../names.js';
import { scopeParam } from '../scope.js';
import type { Page, Person, PersonInput, PersonPatch } from '../types.js';
import { identifierConflicts, issueRegistryIds, newIdentifier, preparePerson, writePeople } from './new-people.js';
import { checkIdentifiers, checkNewPerson, checkPerson, historyFields } from './rules.js';
import {
  identifierIndex,
  identifiersForHistory,
  openIdentifier,
  openPersonHistory,
  openPhone,
  phoneColumns,
  phoneForHistory,
} from './sealing.js';
import { personStore, type PersonFields, type PersonFilter, type PersonRow } from './store.js';
import { viewPeople } from './view.js';

export async function createPerson(tx: Db, ctx: Ctx, input: PersonInput): Promise<Person> {
  const errors = [...checkNewPerson(input, 'body'), ...checkIdentifiers(input.identifiers ?? [], 'body.identifiers', ctx.config.idTypes)];
  if (errors.length) throw unprocessable('person.invalid', errors, 'The person cannot be registered as given.');
  const person = preparePerson(ctx.secrets, input, ctx.principal, input.channel ?? 'online', 'body');
  const conflicts = await identifierConflicts(tx, [person]);
  if (conflicts.length) throw conflict('identifier.duplicate', 'An identifier is already registered.', { errors: conflicts });
  await issueRegistryIds(tx, ctx.secrets, [person]);
  await writePeople(tx, [person]);
  const created = await readPerson(tx, ctx, person.row.id);
  await emitEvents(tx, [personEvent('person.registered', person.row.id, {})]);
  await ctx.audit.recordIn(tx, personEntries(ctx, 'create', [{ id: person.row.id, fields: createdPersonFields(input) }]));
  return created;
}

export async function readPerson(db: Db, ctx: Ctx, id: string): Promise<Person> {
  const row = await personStore.byId(db, id, scopeParam(ctx.principal));
  if (!row) throw notFound('person'); // outside the caller's areas looks the same as absent
  return (await viewPeople(db, ctx.secrets, [row]))[0];
}

/** A person read through the API, recorded in the audit log (a miss as a denied read). */
export async function getPerson(ctx: Ctx, id: string): Promise<Person> {
  const row = await personStore.byId(ctx.db, id, scopeParam(ctx.principal));
  // a record merged into another (core/dedup) answers with where the person is now, if the caller may see it there
  const survivor = !row || (row as { merged_into?: string | null }).merged_into ? await mergedInto(ctx.db, id) : undefined;
  if (survivor && (await personStore.byId(ctx.db, survivor, scopeParam(ctx.principal)))) throw personMoved(id, survivor);
  if (!row) return denyRead(ctx, 'person', id);
  const [person] = await viewPeople(ctx.db, ctx.secrets, [row]);
  if (isExternalClient(ctx)) {
    // a client receives what the person's consent covers, or a 403 naming the reason
    // the read's entry goes with the decision's, in one audit write
    const { shown, decisions } = await disclosePeople(ctx, [person], (seen) => personEntries(ctx, 'read', seen.map((p) => ({ id, fields: shownFields(p) }))));
    if (shown.length === 0) throw refused(decisions.get(id));
    return shown[0] as Person;
  }
  await ctx.audit.recordReads(personEntries(ctx, 'read', [{ id, fields: PERSON_SHOWN }]));
  return person;
}

export async function updatePerson(ctx: Ctx, id: string, ifMatch: number, patch: PersonPatch): Promise<Person> {
  return ctx.db.transaction(async (tx) => {
    const row = await personStore.byId(tx, id, scopeParam(ctx.principal), true);
    if (!row) throw notFound('person');
    if (row.version !== ifMatch) throw staleVersion('person', row.version);

    const phone = phoneChange(ctx.secrets, row, patch.phone);
    const fields = { ...patchedFields(row, patch), ...phone.fields };
    const errors = checkPerson({ ...row, ...fields }, 'body');
    if (patch.identifiers) errors.push(...checkIdentifiers(patch.identifiers, 'body.identifiers', ctx.config.idTypes));
    if (errors.length) throw unprocessable('person.invalid', errors, 'The change breaks the registry rules.');

    const before = historyFields(row);
    const changes = { ...diff(before, historyFields({ ...row, ...fields })), ...phone.changes };
    if (patch.identifiers) Object.assign(changes, await replaceIdentifiers(tx, ctx.secrets, row.id, patch.identifiers));
    if (Object.keys(changes).length === 0) {
      // nothing changed: no new version, but the record goes out
      const unchanged = await readPerson(tx, ctx, id);
      await ctx.audit.recordIn(tx, personEntries(ctx, 'read', [{ id, fields: PERSON_SHOWN }]));
      return unchanged;
    }

    const updated = await personStore.update(tx, id, fields, ctx.principal.id);
    await writeMatchKeys(tx, [updated]);
    await historyStore.insert(tx, [
      { entity: 'person', entityId: id, version: updated.version, changedBy: ctx.principal.id, channel: patch.channel ?? row.channel, changes },
    ]);
    const changed = await readPerson(tx, ctx, id);
    const payload = { fields: Object.keys(changes), household_id: changed.household?.household_id ?? null };
    // a death recorded (no date before, one now) is news of its own; correcting or clearing the date is an update
    const died = row.death_date === null && updated.death_date !== null;
    await emitEvents(tx, [personEvent('person.updated', id, payload), ...(died ? [personEvent('person.deceased', id, payload)] : [])]);
    await ctx.audit.recordIn(tx, personEntries(ctx, 'update', [{ id, fields: Object.keys(changes) }]));
    return changed;
  });
}

/** The stored fields after a merge patch: null clears, attributes merge, name search keys follow the names. */
function patchedFields(row: PersonRow, patch: PersonPatch): Partial<PersonFields> {
  const { identifiers: _ids, channel: _channel, phone: _phone, attributes, ...plain } = patch;
  const fields: Partial<PersonFields> = {};
  for (const [key, value] of Object.entries(plain)) {
    (fields as Record<string, unknown>)[key] = value ?? (key === 'disabilities' || key === 'vulnerabilities' ? [] : null);
  }
  if (plain.birth_date_estimated === null) fields.birth_date_estimated = false;
  if (attributes !== undefined) fields.attributes = (mergePatch(row.attributes, attributes ?? {}) ?? {}) as Record<string, unknown>;
  if ('given_name' in plain) fields.given_name_norm = normaliseName(plain.given_name);
  if ('family_name' in plain) fields.family_name_norm = normaliseName(plain.family_name);
  return fields;
}

/** A changed phone number: its columns sealed anew, and the change for the history (sealed as stored). */
function phoneChange(secrets: Secrets, row: PersonRow, phone: string | null | undefined): { fields: Partial<PersonFields>; changes: Changes } {
  if (phone === undefined || phone === openPhone(secrets, row.id, row.phone_sealed)) return { fields: {}, changes: {} };
  const fields = phoneColumns(secrets, row.id, phone);
  return { fields, changes: { phone: { from: phoneForHistory(row.phone_sealed), to: phoneForHistory(fields.phone_sealed) } } };
}

/** Replaces the supplied identifiers (the hub-issued registry ID stays); returns the change for the history (sealed as stored). */
async function replaceIdentifiers(tx: Db, secrets: Secrets, personId: string, wanted: PersonPatch['identifiers'] & object): Promise<Changes> {
  const stored = (await personStore.identifiersOf(tx, [personId])).get(personId) ?? [];
  const supplied = stored
    .filter((i) => i.id_type !== REGISTRY_ID_TYPE)
    .map((i) => ({ ...i, type: i.id_type, value: openIdentifier(secrets, i.id_type, i.value_sealed) }));
  const key = (i: { type: string; value: string }) => `${i.type}\u0000${i.value}`;
  const wantedKeys = new Set(wanted.map(key));
  const currentKeys = new Set(supplied.map(key));
  const removed = supplied.filter((i) => !wantedKeys.has(key(i)));
  const added = wanted.filter((i) => !currentKeys.has(key(i))).map((i) => newIdentifier(secrets, personId, i.type, i.value, false));
  if (removed.length === 0 && added.length === 0) return {};

  // a value spelled anew ('ab 12' for 'AB 12') has the index of the one it replaces: not a conflict
  const registered = await personStore.registeredIdentifiers(tx, added.map((i) => ({ type: i.id_type, index: i.value_index })));
  const taken = registered.filter((t) => t.person_id !== personId);
  if (taken.length) {
    const errors: FieldError[] = taken.map((t) => ({
      field: `body.identifiers[${wanted.findIndex((w) => w.type === t.id_type)}].value`,
      message: `${t.id_type} ${added.find((a) => a.id_type === t.id_type)!.value} is already registered to another person`,
    }));
    throw conflict('identifier.duplicate', 'An identifier is already registered.', { errors });
  }
  await personStore.deleteIdentifiers(tx, personId, removed.map((i) => ({ type: i.id_type, index: i.value_index })));
  await personStore.insertIdentifiers(tx, added);
  const after = wanted.map((w) => supplied.find((i) => key(i) === key(w)) ?? added.find((a) => a.id_type === w.type && a.value === w.value)!);
  return { identifiers: { from: identifiersForHistory(supplied), to: identifiersForHistory(after) } };
}

export interface PersonQuery {
  identifier_type?: string;
  identifier_value?: string;
  given_name?: string;
  family_name?: string;
  birth_date?: string;
  birth_date_from?: string;
  birth_date_to?: string;
  area_code?: string;
  limit: number;
  cursor?: string;
}

export async function listPersons(ctx: Ctx, query: PersonQuery): Promise<Page<Person>> {
  if ((query.identifier_type === undefined) !== (query.identifier_value === undefined)) {
    throw invalid([{ field: query.identifier_type ? 'query.identifier_value' : 'query.identifier_type', message: 'is required with the other identifier parameter' }]);
  }
  for (const name of ['given_name', 'family_name'] as const) {
    if (query[name] !== undefined && normaliseName(query[name]) === null) {
      throw invalid([{ field: `query.${name}`, message: 'must contain a letter or a digit' }]);
    }
  }
  const filter: PersonFilter = {
    identifier: query.identifier_type
      ? { type: query.identifier_type, index: identifierIndex(ctx.secrets, query.identifier_type, query.identifier_value!) }
      : undefined,
    givenNamePrefix: normaliseName(query.given_name) ?? undefined,
    familyNamePrefix: normaliseName(query.family_name) ?? undefined,
    birthDate: query.birth_date,
    birthDateFrom: query.birth_date_from,
    birthDateTo: query.birth_date_to,
    areaCode: query.area_code,
  };
  const after = decodeCursor(query.cursor);
  const rows = await personStore.list(ctx.db, filter, scopeParam(ctx.principal), query.limit + 1, after);
  const page = rows.slice(0, query.limit);
  const people = await viewPeople(ctx.db, ctx.secrets, page);
  // a client gets only the people whose consent covers it, cut to the allowed categories
  let items: Person[] = people;
  if (isExternalClient(ctx)) {
    // the reads' entries go with the decisions', in one audit write
    const shownEntries = (seen: Partial<Person>[]) => personEntries(ctx, 'read', seen.map((p) => ({ id: p.id!, fields: shownFields(p) })));
    items = (await disclosePeople(ctx, people, shownEntries)).shown as Person[];
  } else {
    await ctx.audit.recordReads(personEntries(ctx, 'read', items.map((p) => ({ id: p.id, fields: PERSON_SHOWN }))));
  }
  return {
    items,
    next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}

export async function personHistory(ctx: Ctx, id: string): Promise<HistoryItem[]> {
  const row = await personStore.byId(ctx.db, id, scopeParam(ctx.principal));
  if (!row) return denyRead(ctx, 'person', id);
  // old values of every field cannot be cut to a consent's categories: history stays with staff
  if (isExternalClient(ctx)) throw historyRefused();
  const items = await historyStore.of(ctx.db, 'person', id);
  await ctx.audit.recordReads(personEntries(ctx, 'read', [{ id, fields: HISTORY_SHOWN }]));
  return items.map((item) => ({ ...item, changes: openPersonHistory(ctx.secrets, id, item.changes) }));
}

export function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new HubError(400, 'request.invalid', 'The cursor is not one this API gave out.', { errors: [{ field: 'query.cursor', message: 'is not a valid cursor' }] });
  }
  return id;
}
