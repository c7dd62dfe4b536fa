// The data categories a consent (a data agreement) can cover, and the record fields each one discloses.
// Every path that discloses personal data keeps only the fields of the categories a decision allows.

export const DATA_CATEGORIES = [
  'name', // given, family and other names
  'identifiers', // national and registry identifiers
  'demographics', // sex, birth and death dates, preferred language
  'contact', // phone, email
  'address', // street address and coordinates
  'area', // the admin area code
  'household', // membership, relationship, household composition and size
  'vulnerability', // disabilities and vulnerabilities
  'socioeconomic', // attributes (questionnaire answers), assessment scores
] as const;

export type DataCategory = (typeof DATA_CATEGORIES)[number];

/** Person fields (core/registry/types.ts Person) by category; fields not listed are never personal. */
export const PERSON_FIELDS: Record<DataCategory, readonly string[]> = {
  name: ['given_name', 'family_name', 'other_names'],
  identifiers: ['identifiers'],
  demographics: ['sex', 'birth_date', 'birth_date_estimated', 'death_date', 'preferred_language'],
  contact: ['phone', 'email'],
  address: [],
  area: [],
  household: ['household'],
  vulnerability: ['disabilities', 'vulnerabilities'],
  socioeconomic: ['attributes'],
};

/** Household fields (HouseholdSummary / Household) by category. */
export const HOUSEHOLD_FIELDS: Record<DataCategory, readonly string[]> = {
  name: [],
  identifiers: [],
  demographics: [],
  contact: [],
  address: ['address', 'location'],
  area: ['area_code'],
  household: ['household_type', 'head_person_id', 'size', 'members', 'deregistered_at', 'deregistration_reason'],
  vulnerability: [],
  socioeconomic: ['attributes'],
};

// what every disclosed record keeps: its id and record metadata, which say nothing about the person
const RECORD_FIELDS = new Set(['id', 'version', 'channel', 'created_by', 'updated_by', 'created_at', 'updated_at']);

export function isDataCategory(value: string): value is DataCategory {
  return (DATA_CATEGORIES as readonly string[]).includes(value);
}

/** A copy of the record with only the record metadata and the fields of the allowed categories. */
export function keepCategories<T extends object>(
  record: T,
  allowed: ReadonlySet<DataCategory>,
  fieldsByCategory: Record<DataCategory, readonly string[]>,
): Partial<T> {
  const keep = new Set(RECORD_FIELDS);
  for (const category of allowed) for (const field of fieldsByCategory[category]) keep.add(field);
  return Object.fromEntries(Object.entries(record).filter(([field]) => keep.has(field))) as Partial<T>;
}
