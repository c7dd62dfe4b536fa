// Registry records as DCI records: households as the spdci Group, people as the spdci Member with an SRPerson as
// demographic_info (shared/spdci/schemas extensions/social/v1 and core/v1/data). Each person's data is shown only in
// the categories allowed for that person (consent/categories.ts); a Group's own fields follow its head's categories.
// Loads are batched: one query per table for all ids, whatever their number.
import { type DataCategory } from '../../consent/categories.js';
import type { Db } from '../db/index.js';
import type { Secrets } from '../keys/secrets.js';
import { openIdentifier, openPhone } from '../registry/persons/sealing.js';
import { personStore, type IdentifierRow, type PersonRow } from '../registry/persons/store.js';
import type { Ctx } from '../server/context.js';
import type { ResponseEntity } from './query/search.js';

type Allowed = (personId: string) => ReadonlySet<DataCategory> | undefined;
type Json = Record<string, unknown>;

/** The JSON-LD id of a registry record: its UUID as a URN (record ids are metadata, not personal data). */
export const recordUri = (id: string) => `urn:uuid:${id}`;

/** The identifier type under which a Group carries the hub's household id (group_identifier). */
export const HOUSEHOLD_ID_TYPE = 'HOUSEHOLD_ID';

interface HouseholdRow {
  id: string;
  household_type: string | null;
  address: string | null;
  area_code: string;
  latitude: number | null;
  longitude: number | null;
  head_person_id: string | null;
  attributes: Json;
  created_at: Date;
  updated_at: Date;
}

interface MemberRow {
  household_id: string;
  person_id: string;
  relationship: string;
}

/** A person's current household, as much as their Member record shows. */
interface Placement {
  relationship: string;
  head_person_id: string | null;
  address: string | null;
  area_code: string;
  latitude: number | null;
  longitude: number | null;
}

/**
 * DCI records for these ids (in the given order; ids not found are left out), shaped as the spdci Group / Member
 * (SRPerson) schemas, with only the allowed categories per person (undefined = leave this person out).
 */
export async function loadRecords(ctx: Ctx, entity: ResponseEntity, ids: string[], allowed: Allowed): Promise<object[]> {
  if (ids.length === 0) return [];
  return entity === 'Group' ? groups(ctx.db, ctx.secrets, ids, allowed) : members(ctx.db, ctx.secrets, ids, allowed);
}

/** The person ids whose data the records of these ids would disclose (group: head + members; member: itself). */
export async function personIdsOf(db: Db, entity: ResponseEntity, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  if (entity === 'Member') return [...new Set(ids)];
  const rows = await db.query<{ person_id: string }>(
    `select person_id from membership where household_id = any($1::uuid[]) and end_date is null
     union
     select head_person_id from household where id = any($1::uuid[]) and head_person_id is not null`,
    [ids],
  );
  return rows.map((r) => r.person_id);
}

async function groups(db: Db, secrets: Secrets, ids: string[], allowed: Allowed): Promise<object[]> {
  const [households, memberRows] = await Promise.all([
    db.query<HouseholdRow>(
      `select id, household_type, address, area_code, latitude, longitude, head_person_id, attributes, created_at, updated_at
       from household where id = any($1::uuid[])`,
      [ids],
    ),
    db.query<MemberRow>(
      `select household_id, person_id, relationship from membership
       where household_id = any($1::uuid[]) and end_date is null order by id`,
      [ids],
    ),
  ]);
  const personIds = [...new Set(memberRows.map((m) => m.person_id))];
  const { people, identifiers } = await loadPeople(db, personIds);
  const membersOf = new Map<string, MemberRow[]>();
  for (const m of memberRows) membersOf.set(m.household_id, [...(membersOf.get(m.household_id) ?? []), m]);
  const byId = new Map(households.map((h) => [h.id, h]));

  const records: object[] = [];
  for (const id of ids) {
    const h = byId.get(id);
    if (!h) continue;
    const members = membersOf.get(id) ?? [];
    const categories = groupCategories(h, members, allowed);
    if (!categories) continue;
    const member = (m: MemberRow) => {
      const person = people.get(m.person_id);
      const own = allowed(m.person_id);
      if (!person || !own) return undefined;
      const placement: Placement = { ...h, relationship: m.relationship };
      return memberRecord(secrets, person, identifiers.get(person.id) ?? [], placement, own);
    };
    const record: Json = {
      '@type': 'Group',
      '@id': recordUri(h.id),
      group_identifier: [identifier(HOUSEHOLD_ID_TYPE, h.id)],
    };
    if (categories.has('household')) {
      record.group_type = assistanceUnit(h.household_type);
      record.group_size = members.length;
      const head = members.find((m) => m.person_id === h.head_person_id);
      const headRecord = head && member(head);
      if (headRecord) record.group_head_info = headRecord;
      record.member_list = members.map(member).filter((m) => m !== undefined);
    }
    const place = placeOf(h, categories);
    if (place) record.geographical_location = place;
    const address = addressOf(h, categories);
    if (address) record.address = [address];
    const additional: { name: string; value: unknown }[] = [];
    // the hub's own household type (free codes such as "family"), beside the AssistanceUnit code in group_type
    if (categories.has('household') && h.household_type) additional.push({ name: 'household_type', value: h.household_type });
    if (categories.has('socioeconomic')) {
      // no assessment yet: the score is the household attribute poverty_score until the score table lands
      const { poverty_score, poverty_score_type } = h.attributes;
      if (typeof poverty_score === 'number') record.poverty_score = poverty_score;
      if (typeof poverty_score_type === 'string') record.poverty_score_type = poverty_score_type;
      additional.push(...additionalAttributes(h.attributes));
    }
    if (additional.length) record.additional_attributes = additional;
    record.registration_date = h.created_at.toISOString();
    record.last_updated = h.updated_at.toISOString();
    records.push(record);
  }
  return records;
}

/**
 * The categories a Group's own fields (address, area, size, members, scores) are shown in: the head's, who registers
 * for the household; without a head, those every member allows. undefined: the group is left out.
 */
function groupCategories(h: HouseholdRow, members: MemberRow[], allowed: Allowed): ReadonlySet<DataCategory> | undefined {
  if (h.head_person_id) return allowed(h.head_person_id);
  const sets = members.map((m) => allowed(m.person_id));
  if (sets.length === 0 || sets.some((s) => s === undefined)) return undefined;
  return new Set([...sets[0]!].filter((c) => sets.every((s) => s!.has(c))));
}

async function members(db: Db, secrets: Secrets, ids: string[], allowed: Allowed): Promise<object[]> {
  // one statement for the page: each person with their identifiers and their current household (a search answers
  // on a hot path, where every round trip to the database costs more than the rows)
  const rows = await db.query<PersonRow & { identifiers_json: IdentifierRow[]; placement_json: Placement | null }>(
    `select p.*,
       coalesce((select json_agg(json_build_object('person_id', i.person_id, 'id_type', i.id_type, 'value_index', i.value_index,
                   'value_sealed', i.value_sealed, 'issued_by_hub', i.issued_by_hub) order by i.issued_by_hub, i.id_type)
                 from person_identifier i where i.person_id = p.id), '[]') as identifiers_json,
       (select json_build_object('relationship', m.relationship, 'head_person_id', h.head_person_id, 'address', h.address,
                 'area_code', h.area_code, 'latitude', h.latitude, 'longitude', h.longitude)
          from membership m join household h on h.id = m.household_id
          where m.person_id = p.id and m.end_date is null limit 1) as placement_json
     from person p where p.id = any($1::uuid[])`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const records: object[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    const categories = allowed(id);
    if (!row || !categories) continue;
    const { identifiers_json, placement_json, ...person } = row;
    records.push(memberRecord(secrets, person, identifiers_json, placement_json ?? undefined, categories));
  }
  return records;
}

async function loadPeople(db: Db, ids: string[]): Promise<{ people: Map<string, PersonRow>; identifiers: Map<string, IdentifierRow[]> }> {
  if (ids.length === 0) return { people: new Map(), identifiers: new Map() };
  const [rows, identifiers] = await Promise.all([personStore.byIds(db, ids), personStore.identifiersOf(db, ids)]);
  return { people: new Map(rows.map((r) => [r.id, r])), identifiers };
}

/** A Member with its SRPerson, in the person's allowed categories. */
function memberRecord(
  secrets: Secrets,
  p: PersonRow,
  identifierRows: IdentifierRow[],
  placement: Placement | undefined,
  categories: ReadonlySet<DataCategory>,
): Json {
  const person: Json = { '@type': 'SRPerson' };
  const record: Json = { '@type': 'Member', '@id': recordUri(p.id) };
  if (categories.has('identifiers') && identifierRows.length) {
    const list = identifierRows.map((i) => identifier(i.id_type, openIdentifier(secrets, i.id_type, i.value_sealed)));
    record.member_identifier = list;
    person.identifier = list;
  }
  if (categories.has('name')) {
    const name: Json = { '@type': 'Name' };
    if (p.given_name) name.given_name = p.given_name;
    if (p.family_name) name.surname = p.family_name;
    if (p.other_names) name.second_name = p.other_names;
    person.name = name;
  }
  if (categories.has('demographics')) {
    // the hub's sex codes are the SexCategoryEnum codes (male, female, other, unknown)
    if (p.sex) person.sex = p.sex;
    if (p.birth_date) person.birth_date = p.birth_date;
    // spdci core Person (which SRPerson extends) has death_date
    if (p.death_date) person.death_date = p.death_date;
  }
  if (placement) {
    const address = addressOf(placement, categories);
    if (address) person.address = [address];
  }
  if (categories.has('contact')) {
    const phone = openPhone(secrets, p.id, p.phone_sealed);
    if (phone) person.phone_number = [phone];
    if (p.email) person.email = [p.email];
  }
  person.registration_date = p.created_at.toISOString();
  person.last_updated = p.updated_at.toISOString();
  record.demographic_info = person;
  if (categories.has('household') && placement && placement.head_person_id && placement.head_person_id !== p.id) {
    // the relationship to the head of household (RelationshipTypeEnum codes), the head named by record id only
    record.related_person = [
      {
        '@type': 'RelatedPerson',
        relationship_type: placement.relationship,
        related_member: { '@type': 'SRPerson', '@id': recordUri(placement.head_person_id) },
      },
    ];
  }
  if (categories.has('vulnerability')) {
    record.is_disabled = p.disabilities.length > 0;
    // the hub's disability codes are the spec's FunctionalLimitationType codes (Washington Group domains)
    if (p.disabilities.length) record.disability_info = p.disabilities.map((d) => ({ '@type': 'DisabilityInfo', disability_limitation_type: d }));
  }
  if (categories.has('demographics') && p.preferred_language) record.language_code = p.preferred_language;
  if (categories.has('socioeconomic')) {
    const additional = additionalAttributes(p.attributes);
    if (additional.length) record.additional_attributes = additional;
  }
  record.registration_date = p.created_at.toISOString();
  record.last_updated = p.updated_at.toISOString();
  return record;
}

/** The AssistanceUnit code of a household: 3 (Family) for household_type "family", otherwise 2 (Household). */
const assistanceUnit = (householdType: string | null) => (householdType === 'family' ? '3' : '2');

const identifier = (type: string, value: string) => ({ '@type': 'Identifier', identifier_type: type, identifier_value: value });

/** An Address: the street address (category address) and the admin area code (category area). */
function addressOf(h: Pick<HouseholdRow, 'address' | 'area_code'>, categories: ReadonlySet<DataCategory>): Json | undefined {
  const address: Json = { '@type': 'Address' };
  if (categories.has('address') && h.address) address.address_line_1 = h.address;
  if (categories.has('area')) address.sub_region_code = h.area_code;
  return Object.keys(address).length > 1 ? address : undefined;
}

/** A Place with the street address and coordinates (category address). */
function placeOf(h: HouseholdRow, categories: ReadonlySet<DataCategory>): Json | undefined {
  if (!categories.has('address') || (!h.address && h.latitude === null)) return undefined;
  const place: Json = { '@type': 'Place' };
  if (h.address) place.address_line = h.address;
  if (h.latitude !== null && h.longitude !== null) place.geo = { '@type': 'GeoCoordinates', latitude: h.latitude, longitude: h.longitude };
  return place;
}

/** `attributes` as AttributeNameValue items ({ name, value }), the scores shown separately left out. */
function additionalAttributes(attributes: Json): { name: string; value: unknown }[] {
  return Object.entries(attributes)
    .filter(([name]) => name !== 'poverty_score' && name !== 'poverty_score_type')
    .map(([name, value]) => ({ name, value }));
}
