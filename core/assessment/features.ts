// The household features that models and rules may use: each a SQL expression over one household row and the
// aggregate of its current, living members. This list is the allow-list: a model or a rule naming anything else is
// refused, and no name from input ever reaches SQL (the compilers look names up here).

/** The answers of the default questionnaire (tmp/spec.md, docs/assessment.md) for the categorical features. */
export const VOCABULARY = {
  dwelling_wall: ['brick', 'wood', 'mud', 'iron_sheet', 'other'],
  dwelling_roof: ['concrete', 'iron_sheet', 'tiles', 'thatch', 'other'],
  dwelling_floor: ['cement', 'tiles', 'earth', 'wood', 'other'],
  water_source: ['piped', 'borehole', 'protected_well', 'unprotected_well', 'surface', 'vendor'],
  toilet: ['flush', 'pit_latrine_slab', 'pit_latrine_open', 'none'],
  lighting: ['grid', 'solar', 'kerosene', 'none'],
  cooking_fuel: ['gas', 'electricity', 'charcoal', 'firewood', 'other'],
  meals_skipped: ['never', 'sometimes', 'often'],
  assets: ['radio', 'tv', 'phone', 'fridge', 'bicycle', 'motorcycle', 'car', 'livestock_large', 'livestock_small', 'land'],
  income_sources: ['salary', 'casual_labour', 'farming', 'business', 'remittances', 'pension', 'transfers', 'none'],
  head_sex: ['male', 'female', 'other', 'unknown'],
} as const;

export type FeatureType = 'number' | 'boolean' | 'text' | 'list';

export interface Feature {
  name: string;
  type: FeatureType;
  /** The allowed values of a text or list feature. */
  values?: readonly string[];
  description: string;
}

export const CHILD_UNDER = 18;
export const ELDERLY_FROM = 60;

// member aggregates over `m` (membership) and `p` (person); ages on the current date
const isChild = `p.birth_date > current_date - interval '${CHILD_UNDER} years'`;
const isElderly = `p.birth_date <= current_date - interval '${ELDERLY_FROM} years'`;
const isDisabled = `jsonb_typeof(p.disabilities) = 'array' and jsonb_array_length(p.disabilities) > 0`;
// `living`: the filter that keeps the living members, null when the members read are already only the living ones
const memberAggregates = (living: string | null) => {
  const count = (when: string | null) => {
    const filter = [living, when].filter(Boolean).join(' and ');
    return filter ? `(count(*) filter (where ${filter}))::int` : 'count(*)::int';
  };
  return `
  ${count(null)} as household_size,
  ${count(isChild)} as children,
  ${count(isElderly)} as elderly,
  ${count(isDisabled)} as disabled,
  ${count("p.sex = 'female'")} as females,
  ${count(`${isChild} and p.birth_date <= current_date - interval '6 years' and p.attributes->>'in_school' = 'false'`)} as children_not_in_school,
  ${count(`not (${isChild}) and p.attributes->>'education_level' = 'none'`)} as adults_no_education`;
};

// The first day after today on which `birth_date <= day - N years` turns true (the day itself, or the next one for
// a 29 February birth); null when that is past.
const crossing = (years: number) => {
  const at = `(p.birth_date + interval '${years} years')::date`;
  return `(case when ${at} > current_date then ${at} when ${at} = current_date then ${at} + 1 end)`;
};
// the extra aggregates of the stored rows (household_features): deceased members, and the first day an age-derived
// count may change (a member crossing 6, 18 or 60)
const STORED_AGGREGATES = `,
  (count(*) filter (where p.death_date is not null))::int as deceased_members,
  min(least(${[6, CHILD_UNDER, ELDERLY_FROM].map(crossing).join(', ')})) filter (where p.death_date is null) as next_change`;
// the head's age changes on an anniversary of their birth (give or take a day: 29 February); the next one after today
const headNextChange = `least(${[0, 1]
  .flatMap((k) => [-1, 0, 1].map((d) => {
    const day = `((head.birth_date + make_interval(years => (extract(year from current_date) - extract(year from head.birth_date))::int + ${k}))::date + ${d})`;
    return `(case when ${day} > current_date then ${day} end)`;
  }))
  .join(', ')})`;

// a number from a household attribute, null when absent or not a number (a bad answer never breaks the batch)
const numberAttribute = (key: string) =>
  `(case when jsonb_typeof(h.attributes->'${key}') = 'number' then (h.attributes->>'${key}')::float8 end)`;
const listAttribute = (key: string) =>
  `(case when jsonb_typeof(h.attributes->'${key}') = 'array' then h.attributes->'${key}' else '[]'::jsonb end)`;

interface FeatureDef extends Feature {
  /** SQL over h (household), a (member aggregates) and head (the head's person row, may be null). */
  sql: string;
}

const FEATURE_DEFS: FeatureDef[] = [
  { name: 'household_size', type: 'number', sql: 'a.household_size', description: 'current living members' },
  { name: 'children', type: 'number', sql: 'a.children', description: `members under ${CHILD_UNDER}` },
  { name: 'elderly', type: 'number', sql: 'a.elderly', description: `members aged ${ELDERLY_FROM} or more` },
  { name: 'working_age', type: 'number', sql: 'a.household_size - a.children - a.elderly', description: 'members neither children nor elderly (unknown age counts here)' },
  { name: 'disabled', type: 'number', sql: 'a.disabled', description: 'members with a disability recorded (person.disabilities not empty)' },
  { name: 'females', type: 'number', sql: 'a.females', description: 'female members' },
  { name: 'children_not_in_school', type: 'number', sql: 'a.children_not_in_school', description: `members aged 6 to ${CHILD_UNDER - 1} with in_school = false` },
  { name: 'adults_no_education', type: 'number', sql: 'a.adults_no_education', description: 'adult members with education_level = none' },
  {
    name: 'dependency_ratio',
    type: 'number',
    sql: '((a.children + a.elderly)::float8 / greatest(a.household_size - a.children - a.elderly, 1))',
    description: '(children + elderly) / working-age members (at least 1)',
  },
  { name: 'head_female', type: 'boolean', sql: "coalesce(head.sex = 'female', false)", description: 'the head of household is a woman' },
  { name: 'head_sex', type: 'text', values: VOCABULARY.head_sex, sql: 'head.sex', description: 'the sex of the head of household' },
  { name: 'head_age', type: 'number', sql: 'extract(year from age(current_date, head.birth_date))::int', description: 'the age of the head of household' },
  { name: 'head_elderly', type: 'boolean', sql: `coalesce(head.birth_date <= current_date - interval '${ELDERLY_FROM} years', false)`, description: `the head is ${ELDERLY_FROM} or older` },
  { name: 'head_disabled', type: 'boolean', sql: "coalesce(jsonb_typeof(head.disabilities) = 'array' and jsonb_array_length(head.disabilities) > 0, false)", description: 'the head has a disability recorded' },
  { name: 'rooms', type: 'number', sql: numberAttribute('rooms'), description: 'attributes.rooms' },
  { name: 'monthly_income', type: 'number', sql: numberAttribute('monthly_income'), description: 'attributes.monthly_income' },
  { name: 'persons_per_room', type: 'number', sql: `(a.household_size / nullif(${numberAttribute('rooms')}, 0))`, description: 'household_size / rooms' },
  { name: 'asset_count', type: 'number', sql: `jsonb_array_length(${listAttribute('assets')})`, description: 'how many assets are listed' },
  { name: 'income_source_count', type: 'number', sql: `jsonb_array_length(${listAttribute('income_sources')}) - (case when ${listAttribute('income_sources')} @> '["none"]' then 1 else 0 end)`, description: 'how many income sources are listed (none not counted)' },
  ...(['dwelling_wall', 'dwelling_roof', 'dwelling_floor', 'water_source', 'toilet', 'lighting', 'cooking_fuel', 'meals_skipped'] as const).map(
    (key): FeatureDef => ({ name: key, type: 'text', values: VOCABULARY[key], sql: `(h.attributes->>'${key}')`, description: `attributes.${key}` }),
  ),
  { name: 'assets', type: 'list', values: VOCABULARY.assets, sql: listAttribute('assets'), description: 'attributes.assets' },
  { name: 'income_sources', type: 'list', values: VOCABULARY.income_sources, sql: listAttribute('income_sources'), description: 'attributes.income_sources' },
];

export const FEATURES: ReadonlyMap<string, Feature> = new Map(FEATURE_DEFS.map(({ sql: _sql, ...f }) => [f.name, f]));

/** The column of a feature in the features relation (see featuresSql); undefined for a name not allowed. */
export function featureColumn(alias: string, name: string): string | undefined {
  return FEATURES.has(name) ? `${alias}.${name}` : undefined;
}

/**
 * A SELECT of one row per active household in scope: household_id, area_code, head_person_id, and every feature
 * as a column named after it. `where` filters households (alias h) and may use parameters the caller binds.
 * `memberWhere` is the same filter said of memberships (alias m: `m.household_id = any($1)` for `h.id = any($1)`),
 * so a chunk of ids reads only its members through the index; without it the members are filtered through their
 * household. Either way everyone is one hash aggregate (a per-household lateral subquery was 5 times slower).
 */
export function featuresSql(where = 'true', memberWhere?: string, options: { stored?: boolean } = {}): string {
  const counts = ['household_size', 'children', 'elderly', 'disabled', 'females', 'children_not_in_school', 'adults_no_education'];
  // everyone (no filter): the members need no join to their household, the outer query drops the deregistered ones
  // (at 1,000,000 persons that join was a sixth of the features' time)
  const everyone = !memberWhere && where === 'true';
  // the stored rows also count the deceased members: every current member is read, each count filtered to the living
  const stored = options.stored === true;
  return `select h.id as household_id, h.area_code, h.head_person_id,
    ${FEATURE_DEFS.map((f) => `${f.sql} as ${f.name}`).join(',\n    ')}${stored ? `,
    coalesce(agg.deceased_members, 0) as deceased_members, least(agg.next_change, ${headNextChange}) as valid_until` : ''}
  from household h
  left join (
    select m.household_id, ${memberAggregates(stored ? 'p.death_date is null' : null)}${stored ? STORED_AGGREGATES : ''}
    from membership m join person p on p.id = m.person_id
    ${memberWhere || everyone ? '' : 'join household h on h.id = m.household_id'}
    where m.end_date is null ${stored ? '' : 'and p.death_date is null '}and (${memberWhere ?? (everyone ? 'true' : `h.deregistered_at is null and (${where})`)})
    group by m.household_id
  ) agg on agg.household_id = h.id
  cross join lateral (select ${counts.map((c) => `coalesce(agg.${c}, 0) as ${c}`).join(', ')}) a
  left join person head on head.id = h.head_person_id
  where h.deregistered_at is null and (${where})`;
}

/** The columns of household_features, in the order of featuresSql(..., { stored: true }). */
export const STORED_FEATURE_COLUMNS: readonly string[] = [
  'household_id', 'area_code', 'head_person_id', ...FEATURE_DEFS.map((f) => f.name), 'deceased_members', 'valid_until',
];

/** The documented list (GET /api/v1/assessment-features and docs/assessment.md). */
export function describeFeatures(): Feature[] {
  return [...FEATURES.values()];
}
