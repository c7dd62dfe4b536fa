// SQL for people and their identifiers, with parameters, over the Db interface.
import type { Db } from '../../db/index.js';
import { insertRows } from '../../db/insert-rows.js';
import { likePrefix } from '../names.js';
import { personVisible, areaVisible } from '../scope.js';
import type { Channel, Membership } from '../types.js';

export interface PersonRow {
  id: string;
  version: number;
  given_name: string | null;
  family_name: string | null;
  other_names: string | null;
  given_name_norm: string | null;
  family_name_norm: string | null;
  sex: string | null;
  birth_date: string | null;
  birth_date_estimated: boolean;
  /** null while the person is alive. */
  death_date: string | null;
  /** The phone number sealed, and its blind index (see sealing.ts). */
  phone_sealed: string | null;
  phone_index: string | null;
  email: string | null;
  preferred_language: string | null;
  disabilities: string[];
  vulnerabilities: string[];
  attributes: Record<string, unknown>;
  channel: Channel;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

/** An identifier as stored: its value sealed, with the blind index that finds it (see sealing.ts). */
export interface IdentifierRow {
  person_id: string;
  id_type: string;
  value_index: string;
  value_sealed: string;
  issued_by_hub: boolean;
}

/** An identifier to look up or remove: its type and the blind index of its value. */
export interface IdentifierKey {
  type: string;
  index: string;
}

export interface MembershipRow {
  person_id: string;
  household_id: string;
  relationship: string;
  start_date: string;
}

/** The columns a caller may change, in the order the insert writes them. */
export const PERSON_FIELDS = [
  'given_name',
  'family_name',
  'other_names',
  'given_name_norm',
  'family_name_norm',
  'sex',
  'birth_date',
  'birth_date_estimated',
  'death_date',
  'phone_sealed',
  'phone_index',
  'email',
  'preferred_language',
  'disabilities',
  'vulnerabilities',
  'attributes',
] as const;

export type PersonFields = Pick<PersonRow, (typeof PERSON_FIELDS)[number]>;

const JSON_FIELDS = new Set(['disabilities', 'vulnerabilities', 'attributes']);
const FIELD_TYPES: Record<string, string> = {
  birth_date: 'date',
  birth_date_estimated: 'boolean',
  death_date: 'date',
  disabilities: 'jsonb',
  vulnerabilities: 'jsonb',
  attributes: 'jsonb',
};
const sqlType = (field: string) => FIELD_TYPES[field] ?? 'text';
const toParam = (field: string, value: unknown) => (JSON_FIELDS.has(field) ? JSON.stringify(value) : value);

export interface NewPerson extends PersonFields {
  id: string;
  channel: Channel;
  created_by: string;
}

export interface PersonFilter {
  identifier?: IdentifierKey;
  givenNamePrefix?: string;
  familyNamePrefix?: string;
  birthDate?: string;
  birthDateFrom?: string;
  birthDateTo?: string;
  areaCode?: string;
}

const IDENTIFIER_COLUMNS = [
  { name: 'person_id', type: 'uuid' },
  { name: 'id_type', type: 'text' },
  { name: 'value_index', type: 'text' },
  { name: 'value_sealed', type: 'text' },
  { name: 'issued_by_hub', type: 'boolean' },
];

export const personStore = {
  /** Inserts many people in one statement (the single create is a batch of one). */
  async insert(db: Db, people: NewPerson[]): Promise<void> {
    const columns = [
      { name: 'id', type: 'uuid' },
      ...PERSON_FIELDS.map((f) => ({ name: f, type: sqlType(f) })),
      { name: 'channel', type: 'text' },
      { name: 'created_by', type: 'text' },
      { name: 'updated_by', type: 'text' },
    ];
    await insertRows(db, 'person', columns, people.map((p) => ({ ...p, updated_by: p.created_by })));
  },

  async byId(db: Db, id: string, scope: string[] | null, forUpdate = false): Promise<PersonRow | undefined> {
    const [row] = await db.query<PersonRow>(
      `select * from person p where p.id = $1 and ${personVisible('p.id', 2)} ${forUpdate ? 'for update of p' : ''}`,
      [id, scope],
    );
    return row;
  },

  /** People by id, without scope: for members shown with a household the caller may see. */
  async byIds(db: Db, ids: string[]): Promise<PersonRow[]> {
    return db.query<PersonRow>('select * from person where id = any($1::uuid[])', [ids]);
  },

  /** For people named by id in a registration: whether each exists, is visible, and their current household. */
  async placement(db: Db, ids: string[], scope: string[] | null): Promise<Map<string, string | null>> {
    const rows = await db.query<{ id: string; household_id: string | null }>(
      `select p.id, m.household_id from person p
       left join membership m on m.person_id = p.id and m.end_date is null
       where p.id = any($1::uuid[]) and ${personVisible('p.id', 2)}`,
      [ids, scope],
    );
    return new Map(rows.map((r) => [r.id, r.household_id]));
  },

  async update(db: Db, id: string, fields: Partial<PersonFields>, updatedBy: string): Promise<PersonRow> {
    const names = Object.keys(fields).filter((f) => (PERSON_FIELDS as readonly string[]).includes(f));
    const sets = names.map((f, i) => `${f} = $${i + 3}::${sqlType(f)}`);
    const [row] = await db.query<PersonRow>(
      `update person set ${[...sets, 'version = version + 1', 'updated_by = $2', 'updated_at = now()'].join(', ')}
       where id = $1 returning *`,
      [id, updatedBy, ...names.map((f) => toParam(f, fields[f as keyof PersonFields]))],
    );
    return row;
  },

  async list(db: Db, filter: PersonFilter, scope: string[] | null, limit: number, afterId?: string): Promise<PersonRow[]> {
    // records merged into another (core/dedup) are found through their survivor only
    const where: string[] = [personVisible('p.id', 1), 'p.merged_into is null'];
    const params: unknown[] = [scope];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.identifier) {
      where.push(`exists (select 1 from person_identifier i where i.person_id = p.id
        and i.id_type = ${param(filter.identifier.type)} and i.value_index = ${param(filter.identifier.index)})`);
    }
    if (filter.givenNamePrefix) where.push(`p.given_name_norm like ${param(likePrefix(filter.givenNamePrefix))}`);
    if (filter.familyNamePrefix) where.push(`p.family_name_norm like ${param(likePrefix(filter.familyNamePrefix))}`);
    if (filter.birthDate) where.push(`p.birth_date = ${param(filter.birthDate)}::date`);
    if (filter.birthDateFrom) where.push(`p.birth_date >= ${param(filter.birthDateFrom)}::date`);
    if (filter.birthDateTo) where.push(`p.birth_date <= ${param(filter.birthDateTo)}::date`);
    if (filter.areaCode) {
      const n = params.push([filter.areaCode]);
      where.push(`exists (select 1 from membership am join household ah on ah.id = am.household_id
        where am.person_id = p.id and am.end_date is null and ${areaVisible('ah.area_code', n)})`);
    }
    if (afterId) where.push(`p.id > ${param(afterId)}::uuid`);
    return db.query<PersonRow>(
      `select * from person p where ${where.join(' and ')} order by p.id limit ${param(limit)}`,
      params,
    );
  },

  /** Each person's identifiers, still sealed. */
  async identifiersOf(db: Db, personIds: string[]): Promise<Map<string, IdentifierRow[]>> {
    const rows = await db.query<IdentifierRow>(
      `select person_id, id_type, value_index, value_sealed, issued_by_hub from person_identifier
       where person_id = any($1::uuid[]) order by issued_by_hub, id_type`,
      [personIds],
    );
    const byPerson = new Map<string, IdentifierRow[]>();
    for (const r of rows) {
      if (!byPerson.has(r.person_id)) byPerson.set(r.person_id, []);
      byPerson.get(r.person_id)!.push(r);
    }
    return byPerson;
  },

  async membershipsOf(db: Db, personIds: string[]): Promise<Map<string, Membership>> {
    const rows = await db.query<MembershipRow>(
      `select person_id, household_id, relationship, start_date from membership
       where person_id = any($1::uuid[]) and end_date is null`,
      [personIds],
    );
    return new Map(rows.map((r) => [r.person_id, { household_id: r.household_id, relationship: r.relationship, start_date: r.start_date }]));
  },

  async insertIdentifiers(db: Db, rows: IdentifierRow[]): Promise<void> {
    await insertRows(db, 'person_identifier', IDENTIFIER_COLUMNS, rows);
  },

  async deleteIdentifiers(db: Db, personId: string, keys: IdentifierKey[]): Promise<void> {
    if (keys.length === 0) return;
    await db.query(
      `delete from person_identifier where person_id = $1
       and (id_type, value_index) in (select * from unnest($2::text[], $3::text[]))`,
      [personId, keys.map((k) => k.type), keys.map((k) => k.index)],
    );
  },

  /** Which of these identifiers are already registered, and to whom. */
  async registeredIdentifiers(db: Db, keys: IdentifierKey[]): Promise<Omit<IdentifierRow, 'value_sealed'>[]> {
    if (keys.length === 0) return [];
    return db.query<Omit<IdentifierRow, 'value_sealed'>>(
      `select i.person_id, i.id_type, i.value_index, i.issued_by_hub from person_identifier i
       join unnest($1::text[], $2::text[]) as k(id_type, value_index) on i.id_type = k.id_type and i.value_index = k.value_index`,
      [keys.map((k) => k.type), keys.map((k) => k.index)],
    );
  },
};
