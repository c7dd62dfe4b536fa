// The rows a registration writes for generated households, made in memory for the fast seeder (bulk-write.ts): the
// person rows sealed and indexed by the registration path's own functions (preparePerson, sealing.ts), identifiers,
// households, memberships, dedup match keys (keys.ts) and the first version of each record's history, shaped as
// register.ts and new-people.ts shape them. tests/core/seed/fast-seed.test.ts compares the two paths row for row.
import { REGISTRY_ID_TYPE } from '../config.js';
import { matchKeysFor, type MatchKeys } from '../dedup/keys.js';
import { uuidv7 } from '../ids.js';
import { householdRow } from '../registry/households/register.js';
import type { NewHousehold, NewMembership } from '../registry/households/store.js';
import { creation, type HistoryEntry } from '../registry/history.js';
import { newIdentifier, preparePerson, type PreparedPerson } from '../registry/persons/new-people.js';
import { historyFields } from '../registry/persons/rules.js';
import { identifiersForHistory, phoneForHistory } from '../registry/persons/sealing.js';
import type { IdentifierRow, NewPerson } from '../registry/persons/store.js';
import type { Channel, HouseholdInput } from '../registry/types.js';
import type { Ctx } from '../server/context.js';

export const SEED_CHANNEL: Channel = 'bulk_import';
const HEAD = 'SELF';

export interface SeedRows {
  persons: NewPerson[];
  identifiers: IdentifierRow[];
  households: NewHousehold[];
  memberships: NewMembership[];
  matchKeys: MatchKeys[];
  history: HistoryEntry[];
  /** The people as prepared, for messages about their identifiers; `at` names them in the seed run's households. */
  people: PreparedPerson[];
}

/**
 * The rows of these households. `registryId` hands out the registry IDs of people without an identifier (the seed's
 * own sequence, so the same seed gives the same IDs); `date` is the memberships' start (today, as at registration).
 */
export function seedRows(
  ctx: Pick<Ctx, 'secrets' | 'principal'>,
  inputs: readonly HouseholdInput[],
  registryId: () => string,
  date: string,
  offset: number,
): SeedRows {
  const rows: SeedRows = { persons: [], identifiers: [], households: [], memberships: [], matchKeys: [], history: [], people: [] };
  inputs.forEach((input, index) => {
    const householdId = uuidv7();
    const channel = input.channel ?? SEED_CHANNEL;
    const memberships: NewMembership[] = [];
    let headId: string | null = null;
    input.members.forEach((member, m) => {
      // generated households only hold new people
      const at = `households[${offset + index}].members[${m}].person`;
      const person = preparePerson(ctx.secrets, member.person!, ctx.principal, member.person!.channel ?? channel, at, offset + index);
      if (person.identifiers.length === 0) person.identifiers = [newIdentifier(ctx.secrets, person.row.id, REGISTRY_ID_TYPE, registryId(), true)];
      rows.people.push(person);
      rows.persons.push(person.row);
      rows.identifiers.push(...person.identifiers.map(({ value: _value, ...stored }) => stored));
      rows.matchKeys.push(matchKeysFor(person.row));
      rows.history.push(personCreation(person));
      if (member.relationship === HEAD) headId = person.row.id;
      memberships.push({ id: uuidv7(), household_id: householdId, person_id: person.row.id, relationship: member.relationship, start_date: member.start_date ?? date });
    });
    const household = householdRow(input, householdId, headId, channel, ctx.principal.id);
    rows.households.push(household);
    rows.memberships.push(...memberships);
    rows.history.push(householdCreation(household, memberships));
  });
  return rows;
}

/** As new-people.ts writes a new person's first version: the fields shown, phone and identifiers as their ciphertexts. */
function personCreation(p: PreparedPerson): HistoryEntry {
  const { id, channel, created_by, ...fields } = p.row;
  const sealed = { phone: phoneForHistory(fields.phone_sealed), identifiers: identifiersForHistory(p.identifiers) };
  return { entity: 'person', entityId: id, version: 1, changedBy: created_by, channel, changes: creation({ ...historyFields(fields), ...sealed }) };
}

/** As register.ts writes a new household's first version. */
function householdCreation(household: NewHousehold, memberships: NewMembership[]): HistoryEntry {
  const { id, channel, created_by, latitude, longitude, head_person_id, ...fields } = household;
  const location = latitude === null ? null : { latitude, longitude };
  const members = memberships.map((m) => ({ person_id: m.person_id, relationship: m.relationship }));
  return { entity: 'household', entityId: id, version: 1, changedBy: created_by, channel, changes: creation({ ...fields, location, head_person_id, members }) };
}
