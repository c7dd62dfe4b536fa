// New people, whichever way they arrive (a person, a household, a bulk batch): prepared, checked against the
// registry's identifiers, and written in the caller's transaction.
import { REGISTRY_ID_TYPE } from '../../config.js';
import type { Db } from '../../db/index.js';
import { writeMatchKeys } from '../../dedup/keys.js';
import { newRegistryId, uuidv7 } from '../../ids.js';
import type { Secrets } from '../../keys/secrets.js';
import type { FieldError } from '../../server/errors.js';
import type { Principal } from '../../server/principal.js';
import { creation, historyStore, type HistoryEntry } from '../history.js';
import type { Channel, PersonInput } from '../types.js';
import { historyFields, personFields } from './rules.js';
import { identifierIndex, identifiersForHistory, phoneColumns, phoneForHistory, sealIdentifier } from './sealing.js';
import { personStore, type IdentifierRow, type NewPerson } from './store.js';

/** An identifier ready to store (sealed, indexed), with the value as given: in memory only, for messages. */
export interface NewIdentifier extends IdentifierRow {
  value: string;
}

export interface PreparedPerson {
  row: NewPerson;
  identifiers: NewIdentifier[];
  /** Where the person's identifiers sit in the request, for error messages ('body.members[1].person'). */
  at: string;
  /** The batch item the person belongs to, for per-record errors. */
  index?: number;
}

export function preparePerson(
  secrets: Secrets,
  input: PersonInput,
  principal: Principal,
  channel: Channel,
  at: string,
  index?: number,
): PreparedPerson {
  const id = uuidv7();
  return {
    row: { id, ...personFields(input, phoneColumns(secrets, id, input.phone)), channel, created_by: principal.id },
    identifiers: (input.identifiers ?? []).map((i) => newIdentifier(secrets, id, i.type, i.value, false)),
    at,
    index,
  };
}

export function newIdentifier(secrets: Secrets, personId: string, type: string, value: string, issuedByHub: boolean): NewIdentifier {
  return {
    person_id: personId,
    id_type: type,
    value_index: identifierIndex(secrets, type, value),
    value_sealed: sealIdentifier(secrets, type, value),
    issued_by_hub: issuedByHub,
    value,
  };
}

/**
 * Identifiers given twice in the batch, or already registered to someone: one error each, compared by blind index
 * (so `ab 12` and `AB 12` are the same UIN). Messages name the value as the caller sent it: never log them.
 */
export async function identifierConflicts(db: Db, people: PreparedPerson[]): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  const firstUse = new Map<string, string>();
  const supplied = people.flatMap((p) => p.identifiers.map((id, i) => ({ person: p, id, field: `${p.at}.identifiers[${i}].value` })));
  for (const { person, id, field } of supplied) {
    const key = `${id.id_type}\u0000${id.value_index}`;
    const earlier = firstUse.get(key);
    if (earlier) errors.push({ field, message: `${id.id_type} ${id.value} is also given at ${earlier}`, index: person.index });
    else firstUse.set(key, field);
  }
  const registered = await personStore.registeredIdentifiers(
    db,
    supplied.map(({ id }) => ({ type: id.id_type, index: id.value_index })),
  );
  const taken = new Set(registered.map((r) => `${r.id_type}\u0000${r.value_index}`));
  for (const { person, id, field } of supplied) {
    if (taken.has(`${id.id_type}\u0000${id.value_index}`)) {
      errors.push({ field, message: `${id.id_type} ${id.value} is already registered to another person`, index: person.index });
    }
  }
  return errors;
}

/** People registered without any identifier get a registry ID from the hub (inclusive registration); it is sealed too. */
export async function issueRegistryIds(db: Db, secrets: Secrets, people: PreparedPerson[]): Promise<void> {
  let pending = people.filter((p) => p.identifiers.length === 0);
  const issued = new Set<string>();
  while (pending.length) {
    for (const p of pending) p.identifiers = [newIdentifier(secrets, p.row.id, REGISTRY_ID_TYPE, newRegistryId(), true)];
    const drawn = pending.map((p) => ({ type: REGISTRY_ID_TYPE, index: p.identifiers[0].value_index }));
    const taken = new Set((await personStore.registeredIdentifiers(db, drawn)).map((r) => r.value_index));
    // collisions (with the registry, or within this batch) are rare in 10^10; those few draw again
    pending = pending.filter((p) => {
      const index = p.identifiers[0].value_index;
      const collides = taken.has(index) || issued.has(index);
      if (!collides) issued.add(index);
      return collides;
    });
  }
}

export async function writePeople(db: Db, people: PreparedPerson[]): Promise<void> {
  await personStore.insert(db, people.map((p) => p.row));
  await personStore.insertIdentifiers(db, people.flatMap((p) => p.identifiers));
  await historyStore.insert(db, people.map(creationHistory));
  // deduplication's blocking keys, in the same transaction (core/dedup/keys.ts)
  await writeMatchKeys(db, people.map((p) => p.row));
}

function creationHistory(p: PreparedPerson): HistoryEntry {
  const { id, channel, created_by, ...fields } = p.row;
  const sealed = { phone: phoneForHistory(fields.phone_sealed), identifiers: identifiersForHistory(p.identifiers) };
  return {
    entity: 'person',
    entityId: id,
    version: 1,
    changedBy: created_by,
    channel,
    changes: creation({ ...historyFields(fields), ...sealed }),
  };
}
