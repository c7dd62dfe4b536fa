// People as the API shows them: the row with its identifiers and current household, sealed values opened.
import type { Db } from '../../db/index.js';
import type { Secrets } from '../../keys/secrets.js';
import type { Identifier, Membership, Person } from '../types.js';
import { openIdentifier, openPhone } from './sealing.js';
import { personStore, type IdentifierRow, type PersonRow } from './store.js';

export function toPerson(secrets: Secrets, row: PersonRow, identifiers: IdentifierRow[], membership: Membership | undefined): Person {
  return {
    id: row.id,
    version: row.version,
    given_name: row.given_name,
    family_name: row.family_name,
    other_names: row.other_names,
    sex: row.sex,
    birth_date: row.birth_date,
    birth_date_estimated: row.birth_date_estimated,
    death_date: row.death_date,
    phone: openPhone(secrets, row.id, row.phone_sealed),
    email: row.email,
    preferred_language: row.preferred_language,
    disabilities: row.disabilities,
    vulnerabilities: row.vulnerabilities,
    attributes: row.attributes,
    identifiers: identifiers.map((i): Identifier => ({
      type: i.id_type,
      value: openIdentifier(secrets, i.id_type, i.value_sealed),
      issued_by_hub: i.issued_by_hub,
    })),
    household: membership ?? null,
    channel: row.channel,
    created_by: row.created_by,
    updated_by: row.updated_by,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** Loads identifiers and memberships for a page of people in two queries. */
export async function viewPeople(db: Db, secrets: Secrets, rows: PersonRow[]): Promise<Person[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [identifiers, memberships] = await Promise.all([personStore.identifiersOf(db, ids), personStore.membershipsOf(db, ids)]);
  return rows.map((r) => toPerson(secrets, r, identifiers.get(r.id) ?? [], memberships.get(r.id)));
}
