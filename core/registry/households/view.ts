// Households as the API shows them.
import type { Db } from '../../db/index.js';
import type { Secrets } from '../../keys/secrets.js';
import { viewPeople } from '../persons/view.js';
import { personStore } from '../persons/store.js';
import type { Household, HouseholdSummary } from '../types.js';
import { householdStore, type HouseholdRow } from './store.js';

export function toHouseholdSummary(row: HouseholdRow): HouseholdSummary {
  return {
    id: row.id,
    version: row.version,
    household_type: row.household_type,
    address: row.address,
    area_code: row.area_code,
    location: row.latitude === null || row.longitude === null ? null : { latitude: row.latitude, longitude: row.longitude },
    head_person_id: row.head_person_id,
    size: row.size,
    deregistered_at: row.deregistered_at ? row.deregistered_at.toISOString() : null,
    deregistration_reason: row.deregistration_reason,
    attributes: row.attributes,
    channel: row.channel,
    created_by: row.created_by,
    updated_by: row.updated_by,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The household with its current members, each with their person record. */
export async function viewHousehold(db: Db, secrets: Secrets, row: HouseholdRow): Promise<Household> {
  const members = await householdStore.members(db, row.id);
  const people = members.length
    ? await viewPeople(db, secrets, await personStore.byIds(db, members.map((m) => m.person_id)))
    : [];
  const byId = new Map(people.map((p) => [p.id, p]));
  return {
    ...toHouseholdSummary({ ...row, size: members.length }),
    members: members.map((m) => ({ person_id: m.person_id, relationship: m.relationship, start_date: m.start_date, person: byId.get(m.person_id)! })),
  };
}
