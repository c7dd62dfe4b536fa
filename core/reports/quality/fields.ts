// The fields whose completeness data quality measures: a name ('person.birth_date') and the SQL that says the field
// is filled, over `p` (person) or `h` (household). A fixed list: threshold fields are checked against it.

export interface QualityField {
  name: string;
  on: 'person' | 'household';
  filled: string;
}

const attr = (alias: 'p' | 'h', key: string) => `coalesce(${alias}.attributes->>'${key}', '') <> ''`;

export const QUALITY_FIELDS: readonly QualityField[] = [
  { name: 'person.given_name', on: 'person', filled: `coalesce(p.given_name, '') <> ''` },
  { name: 'person.family_name', on: 'person', filled: `coalesce(p.family_name, '') <> ''` },
  { name: 'person.sex', on: 'person', filled: `p.sex is not null and p.sex <> 'unknown'` },
  { name: 'person.birth_date', on: 'person', filled: 'p.birth_date is not null' },
  { name: 'person.birth_date_exact', on: 'person', filled: 'p.birth_date is not null and not p.birth_date_estimated' },
  { name: 'person.phone', on: 'person', filled: 'p.phone_sealed is not null' },
  // an identifier other than the registry ID the hub issues to people registered without one
  { name: 'person.identifier', on: 'person', filled: 'own_id.person_id is not null' },
  { name: 'person.education_level', on: 'person', filled: attr('p', 'education_level') },
  { name: 'person.wg_seeing', on: 'person', filled: attr('p', 'wg_seeing') },
  { name: 'household.address', on: 'household', filled: `coalesce(h.address, '') <> ''` },
  { name: 'household.location', on: 'household', filled: 'h.latitude is not null and h.longitude is not null' },
  { name: 'household.household_type', on: 'household', filled: `coalesce(h.household_type, '') <> ''` },
  { name: 'household.dwelling_wall', on: 'household', filled: attr('h', 'dwelling_wall') },
  { name: 'household.water_source', on: 'household', filled: attr('h', 'water_source') },
  { name: 'household.toilet', on: 'household', filled: attr('h', 'toilet') },
  { name: 'household.monthly_income', on: 'household', filled: attr('h', 'monthly_income') },
];

/** Joined into the persons query for person.identifier: one row per person with an identifier of their own. */
export const OWN_IDENTIFIER_JOIN = `left join (select distinct person_id from person_identifier where not issued_by_hub) own_id on own_id.person_id = p.id`;

export const QUALITY_FIELD_NAMES = QUALITY_FIELDS.map((f) => f.name);

/** The column alias of a field's count in the metrics query ('f_person_birth_date'). */
export const fieldColumn = (name: string) => `f_${name.replace(/\./g, '_')}`;
