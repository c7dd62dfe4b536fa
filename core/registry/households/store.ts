// SQL for households and memberships, with parameters, over the Db interface.
import type { Db } from '../../db/index.js';
import { insertRows } from '../../db/insert-rows.js';
import { areaVisible } from '../scope.js';
import type { Channel, DeregistrationReason } from '../types.js';

export interface HouseholdRow {
  id: string;
  version: number;
  household_type: string | null;
  address: string | null;
  area_code: string;
  latitude: number | null;
  longitude: number | null;
  head_person_id: string | null;
  attributes: Record<string, unknown>;
  channel: Channel;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
  deregistered_at: Date | null;
  deregistration_reason: DeregistrationReason | null;
  size: number;
}

export type HouseholdFields = Pick<HouseholdRow, 'household_type' | 'address' | 'area_code' | 'latitude' | 'longitude' | 'attributes'>;

export interface NewHousehold extends HouseholdFields {
  id: string;
  head_person_id: string | null;
  channel: Channel;
  created_by: string;
}

export interface NewMembership {
  id: string;
  household_id: string;
  person_id: string;
  relationship: string;
  start_date: string;
}

export interface MemberRow {
  person_id: string;
  relationship: string;
  start_date: string;
}

const SIZE = `(select count(*) from membership sm where sm.household_id = h.id and sm.end_date is null)::int as size`;
const UPDATABLE = new Set(['household_type', 'address', 'area_code', 'latitude', 'longitude', 'attributes', 'head_person_id']);
const FIELD_TYPES: Record<string, string> = { latitude: 'float8', longitude: 'float8', attributes: 'jsonb', head_person_id: 'uuid' };

const HOUSEHOLD_COLUMNS = [
  { name: 'id', type: 'uuid' },
  { name: 'household_type', type: 'text' },
  { name: 'address', type: 'text' },
  { name: 'area_code', type: 'text' },
  { name: 'latitude', type: 'float8' },
  { name: 'longitude', type: 'float8' },
  { name: 'head_person_id', type: 'uuid' },
  { name: 'attributes', type: 'jsonb' },
  { name: 'channel', type: 'text' },
  { name: 'created_by', type: 'text' },
  { name: 'updated_by', type: 'text' },
];

const MEMBERSHIP_COLUMNS = [
  { name: 'id', type: 'uuid' },
  { name: 'household_id', type: 'uuid' },
  { name: 'person_id', type: 'uuid' },
  { name: 'relationship', type: 'text' },
  { name: 'start_date', type: 'date' },
];

export const householdStore = {
  async insert(db: Db, households: NewHousehold[]): Promise<void> {
    await insertRows(db, 'household', HOUSEHOLD_COLUMNS, households.map((h) => ({ ...h, updated_by: h.created_by })));
  },

  async insertMemberships(db: Db, memberships: NewMembership[]): Promise<void> {
    await insertRows(db, 'membership', MEMBERSHIP_COLUMNS, memberships);
  },

  async byId(db: Db, id: string, scope: string[] | null, forUpdate = false): Promise<HouseholdRow | undefined> {
    const [row] = await db.query<HouseholdRow>(
      forUpdate
        ? `select h.*, 0 as size from household h where h.id = $1 and ${areaVisible('h.area_code', 2)} for update`
        : `select h.*, ${SIZE} from household h where h.id = $1 and ${areaVisible('h.area_code', 2)}`,
      [id, scope],
    );
    return row;
  },

  async list(db: Db, scope: string[] | null, areaCode: string | undefined, limit: number, afterId?: string): Promise<HouseholdRow[]> {
    return db.query<HouseholdRow>(
      `select h.*, ${SIZE} from household h
       where ${areaVisible('h.area_code', 1)} and ($2::text is null or ${areaVisible('h.area_code', 3)})
         and ($4::uuid is null or h.id > $4::uuid)
       order by h.id limit $5`,
      [scope, areaCode ?? null, areaCode ? [areaCode] : null, afterId ?? null, limit],
    );
  },

  async members(db: Db, householdId: string): Promise<MemberRow[]> {
    return db.query<MemberRow>(
      `select person_id, relationship, start_date from membership
       where household_id = $1 and end_date is null order by id`,
      [householdId],
    );
  },

  /** The current members' person ids of each household. */
  async currentMemberIds(db: Db, householdIds: string[]): Promise<Map<string, string[]>> {
    const members = new Map<string, string[]>();
    if (householdIds.length === 0) return members;
    const rows = await db.query<{ household_id: string; person_id: string }>(
      'select household_id, person_id from membership where household_id = any($1::uuid[]) and end_date is null order by id',
      [householdIds],
    );
    for (const r of rows) members.set(r.household_id, [...(members.get(r.household_id) ?? []), r.person_id]);
    return members;
  },

  async update(db: Db, id: string, fields: Record<string, unknown>, updatedBy: string): Promise<number> {
    const names = Object.keys(fields).filter((f) => UPDATABLE.has(f));
    const sets = names.map((f, i) => `${f} = $${i + 3}::${FIELD_TYPES[f] ?? 'text'}`);
    const [row] = await db.query<{ version: number }>(
      `update household set ${[...sets, 'version = version + 1', 'updated_by = $2', 'updated_at = now()'].join(', ')}
       where id = $1 returning version`,
      [id, updatedBy, ...names.map((f) => (f === 'attributes' ? JSON.stringify(fields[f]) : fields[f]))],
    );
    return row.version;
  },

  /** Marks the household deregistered (the caller holds its row lock and checked it was active); its new version. */
  async deregister(db: Db, id: string, reason: DeregistrationReason, updatedBy: string): Promise<{ version: number; deregistered_at: Date }> {
    const [row] = await db.query<{ version: number; deregistered_at: Date }>(
      `update household set deregistered_at = now(), deregistration_reason = $2, version = version + 1, updated_by = $3, updated_at = now()
       where id = $1 and deregistered_at is null returning version, deregistered_at`,
      [id, reason, updatedBy],
    );
    return row;
  },

  async endMembership(db: Db, householdId: string, personId: string, endDate: string): Promise<boolean> {
    const rows = await db.query(
      `update membership set end_date = $3 where household_id = $1 and person_id = $2 and end_date is null returning id`,
      [householdId, personId, endDate],
    );
    return rows.length > 0;
  },

  /** Of these areas, the ones that exist and that the scope lets the caller use. */
  async usableAreas(db: Db, codes: string[], scope: string[] | null): Promise<Set<string>> {
    const rows = await db.query<{ code: string }>(
      `select a.code from admin_area a where a.code = any($1::text[]) and ${areaVisible('a.code', 2)}`,
      [codes, scope],
    );
    return new Set(rows.map((r) => r.code));
  },
};
