// New people, whichever way they arrive (a person, a household, a bulk batch): prepared, checked against the
// registry's identifiers, and written in the caller's transaction.
import { REGISTRY_ID_TYPE } from '../../config.js';
import type { Db } from '../../db/index.js';
import { newRegistryId, uuidv7 } from '../../ids.js';
import type { FieldError } from '../../server/errors.js';
import type { Principal } from '../../server/principal.js';
import { creation, historyStore, type HistoryEntry } from '../history.js';
import type { Channel, PersonInput } from '../types.js';
import { historyFields, personFields } from './rules.js';
import { personStore, type IdentifierRow, type NewPerson } from './store.js';

export interface PreparedPerson {
  row: NewPerson;
  identifiers: IdentifierRow[];
  /** Where the person's identifiers sit in the request, for error messages ('body.members[1].person'). */
  at: string;
  /** The batch item the person belongs to, for per-record errors. */
  index?: number;
}

export function preparePerson(input: PersonInput, principal: Principal, channel: Channel, at: string, index?: number): PreparedPerson {
  const id = uuidv7();
  return {
    row: { id, ...personFields(input), channel, created_by: principal.id },
    identifiers: (input.identifiers ?? []).map((i) => ({ person_id: id, id_type: i.type, id_value: i.value, issued_by_hub: false })),
    at,
    index,
  };
}

/** Identifiers given twice in the batch, or already registered to someone: one error each. */
export async function identifierConflicts(db: Db, people: PreparedPerson[]): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  const firstUse = new Map<string, string>();
  const supplied = people.flatMap((p) => p.identifiers.map((id, i) => ({ person: p, id, field: `${p.at}.identifiers[${i}].value` })));
  for (const { person, id, field } of supplied) {
    const key = `${id.id_type}\u0000${id.id_value}`;
    const earlier = firstUse.get(key);
    if (earlier) errors.push({ field, message: `${id.id_type} ${id.id_value} is also given at ${earlier}`, index: person.index });
    else firstUse.set(key, field);
  }
  const registered = await personStore.registeredIdentifiers(
    db,
    supplied.map(({ id }) => ({ type: id.id_type, value: id.id_value })),
  );
  const taken = new Set(registered.map((r) => `${r.id_type}\u0000${r.id_value}`));
  for (const { person, id, field } of supplied) {
    if (taken.has(`${id.id_type}\u0000${id.id_value}`)) {
      errors.push({ field, message: `${id.id_type} ${id.id_value} is already registered to another person`, index: person.index });
    }
  }
  return errors;
}

/** People registered without any identifier get a registry ID from the hub (inclusive registration). */
export async function issueRegistryIds(db: Db, people: PreparedPerson[]): Promise<void> {
  let pending = people.filter((p) => p.identifiers.length === 0);
  const issued = new Set<string>();
  while (pending.length) {
    for (const p of pending) {
      p.identifiers = [{ person_id: p.row.id, id_type: REGISTRY_ID_TYPE, id_value: newRegistryId(), issued_by_hub: true }];
    }
    const drawn = pending.map((p) => p.identifiers[0].id_value);
    const taken = new Set(
      (await personStore.registeredIdentifiers(db, drawn.map((value) => ({ type: REGISTRY_ID_TYPE, value })))).map((r) => r.id_value),
    );
    // collisions (with the registry, or within this batch) are rare in 10^10; those few draw again
    pending = pending.filter((p) => {
      const value = p.identifiers[0].id_value;
      const collides = taken.has(value) || issued.has(value);
      if (!collides) issued.add(value);
      return collides;
    });
  }
}

export async function writePeople(db: Db, people: PreparedPerson[]): Promise<void> {
  await personStore.insert(db, people.map((p) => p.row));
  await personStore.insertIdentifiers(db, people.flatMap((p) => p.identifiers));
  await historyStore.insert(db, people.map(creationHistory));
}

function creationHistory(p: PreparedPerson): HistoryEntry {
  const { id: _id, channel, created_by, ...fields } = p.row;
  const identifiers = p.identifiers.map((i) => ({ type: i.id_type, value: i.id_value }));
  return {
    entity: 'person',
    entityId: p.row.id,
    version: 1,
    changedBy: created_by,
    channel,
    changes: creation({ ...historyFields(fields), identifiers }),
  };
}
