// The attributes a DCI query may name, and how one comparison on one of them becomes a SQL condition.
// Attribute names map through this allow-list to SQL written here; every value the caller sends is a parameter.
// Every condition is two-valued (true or false, never NULL), so `not (...)` means "does not match".
import { REGISTRY_ID_TYPE } from '../../config.js';
import type { Secrets } from '../../keys/secrets.js';
import { identifierIndex } from '../../registry/persons/sealing.js';
import { badFilter, shown } from './rejection.js';
import type { SqlParams } from './sql.js';

export type Entity = 'Group' | 'Member';
export type Operator = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'in' | 'nin' | 'exists';

export interface Limits {
  /** Nesting of $and / $or / $not in an expression query. */
  maxDepth: number;
  /** Nodes (logical operators, attributes and comparisons) in one expression query. */
  maxNodes: number;
  /** Items of one predicate list. */
  maxPredicates: number;
  /** Values of one `in` / `$in` / `$nin` list. */
  maxList: number;
  maxPageSize: number;
  defaultPageSize: number;
  /** Entries of `sort`. */
  maxSort: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 8,
  maxNodes: 100,
  maxPredicates: 100,
  maxList: 1000,
  maxPageSize: 1000,
  defaultPageSize: 100,
  maxSort: 10,
};

/** What a search needs besides the database: the keys of the blind index and the configured names. */
export interface DciSearchConfig {
  /** For the blind index of identifier values (idtype-value and identifier attributes). */
  secrets: Secrets;
  /** The identifier types that can be searched: config.idTypes (UIN, BRN, MRN, DRN and SRHUB_ID_TYPES); SRID is added. */
  idTypes: readonly string[];
  /** Keys of the `attributes` object searchable by name (SRHUB_DCI_ATTRIBUTES). */
  attributes?: readonly string[];
  limits?: Partial<Limits>;
}

/** Where a condition is evaluated: the household's alias, and for Member the person's alias too. */
export interface Frame {
  entity: Entity;
  household: string;
  person?: string;
}

export interface Compiler {
  params: SqlParams;
  config: DciSearchConfig;
  limits: Limits;
  /** Set when a condition or sort key reads a Member's current household (CURRENT_HOUSEHOLD): only then is it joined. */
  readsCurrentHousehold?: boolean;
}

/** The alias of a Member's current household in the search statement. */
export const CURRENT_HOUSEHOLD = 'ch';

/** The alias of a household, noting when it is a Member's current household (so the statement joins it). */
export function householdAlias(c: Compiler, alias: string): string {
  if (alias === CURRENT_HOUSEHOLD) c.readsCurrentHousehold = true;
  return alias;
}

type Kind = 'date' | 'year' | 'age' | 'sex' | 'id' | 'area' | 'integer' | 'number' | 'json';
/** person: a person's own field; household: the household's; own: the `attributes` of the entity searched. */
type Level = 'person' | 'household' | 'own';

export interface Attribute {
  /** The canonical name, for messages. */
  name: string;
  level: Level;
  kind: Kind;
  /** The SQL value over the alias of its level (not for `id`). */
  column?: (alias: string) => string;
  idType?: string;
  /** The `attributes` key of a configured attribute. */
  key?: string;
}

export const SEX_CODES = ['male', 'female', 'other', 'unknown'] as const;

const numberIn = (attributes: string, key: string) =>
  `(case when jsonb_typeof(${attributes} -> '${key}') = 'number' then (${attributes} ->> '${key}')::numeric end)`;

// the built-in attributes by lower-case name (aliases point at the same definition)
const YOB: Attribute = { name: 'YOB', level: 'person', kind: 'year', column: (p) => `${p}.birth_date` };
const DOB: Attribute = { name: 'DOB', level: 'person', kind: 'date', column: (p) => `${p}.birth_date` };
const AGE: Attribute = { name: 'age', level: 'person', kind: 'age', column: (p) => `${p}.birth_date` };
const SEX: Attribute = { name: 'sex', level: 'person', kind: 'sex', column: (p) => `${p}.sex` };
const AREA: Attribute = { name: 'area-code', level: 'household', kind: 'area', column: (h) => `${h}.area_code` };
// there is no assessment yet: the score is read from the household's attributes until the score table lands
// (migration 008 indexes this very expression: keep them identical)
export const povertyScore = (household: string) => numberIn(`${household}.attributes`, 'poverty_score');
const POVERTY: Attribute = { name: 'poverty_score', level: 'household', kind: 'number', column: povertyScore };
const SIZE: Attribute = {
  name: 'group_size',
  level: 'household',
  kind: 'integer',
  column: (h) =>
    `(case when ${h}.id is not null then (select count(*)::int from membership sm where sm.household_id = ${h}.id and sm.end_date is null) end)`,
};

const BUILT_IN = new Map<string, Attribute>([
  ['yob', YOB],
  ['dob', DOB],
  ['birth_date', DOB],
  ['age', AGE],
  ['sex', SEX],
  ['gender', SEX],
  ['area-code', AREA],
  ['area_code', AREA],
  ['location', AREA],
  ['poverty_score', POVERTY],
  ['group_size', SIZE],
]);

/** The names the documentation lists, for messages. */
export const BUILT_IN_NAMES = ['UIN (and every configured identifier type)', 'YOB', 'DOB', 'age', 'sex', 'area-code', 'poverty_score', 'group_size'];

/** The identifier types a query may name, canonical (upper case). */
export function searchableIdTypes(config: DciSearchConfig): string[] {
  return [...new Set([...config.idTypes, REGISTRY_ID_TYPE])];
}

/**
 * The hub's identifier type for a DCI type name: the same names (UIN, BRN, MRN, DRN, configured national types,
 * SRID), compared case-insensitively, with a namespace prefix such as `spdci:IdentifierType:UIN` or `identifier:UIN`
 * dropped.
 */
export function idTypeOf(config: DciSearchConfig, name: string): string | undefined {
  const bare = name.slice(name.lastIndexOf(':') + 1).trim().toUpperCase();
  return searchableIdTypes(config).find((t) => t === bare);
}

export function resolveAttribute(c: Compiler, name: unknown, at: string): Attribute {
  if (typeof name !== 'string' || name.length === 0 || name.length > 100) throw badFilter(`${at}: an attribute name must be a non-empty string`);
  const builtIn = BUILT_IN.get(name.toLowerCase());
  if (builtIn) return builtIn;
  const idType = idTypeOf(c.config, name);
  if (idType) return { name: idType, level: 'person', kind: 'id', idType };
  if (c.config.attributes?.includes(name)) {
    return { name, level: 'own', kind: 'json', key: name };
  }
  const configured = c.config.attributes?.length ? `, ${c.config.attributes.join(', ')}` : '';
  throw badFilter(`${at}: unknown attribute ${shown(name)} (known: ${BUILT_IN_NAMES.join(', ')}${configured})`);
}

/**
 * True when the area code in `column` is one of the areas in the text[] parameter or under one of them. The same
 * test as core/registry/scope.ts areaVisible, written as an uncorrelated subquery: the set of codes is computed once
 * per statement and the household area index serves it, instead of a lookup per row.
 */
export function areaIn(column: string, codesParam: string): string {
  return `${column} in (select va.code from admin_area va join admin_area ga on starts_with(va.path, ga.path) where ga.code = any(${codesParam}))`;
}

const ORDERED: Kind[] = ['date', 'year', 'age', 'integer', 'number', 'json'];
const SQL_OPERATOR: Record<string, string> = { eq: '=', lt: '<', le: '<=', gt: '>', ge: '>=' };

/** The condition `attribute op value` in this frame (Group: over a household; Member: over a person). */
export function comparison(c: Compiler, frame: Frame, attribute: Attribute, op: Operator, value: unknown, at: string): string {
  if (!ORDERED.includes(attribute.kind) && ['lt', 'le', 'gt', 'ge'].includes(op)) {
    throw badFilter(`${at}: ${attribute.name} can only be compared for equality (eq, ne, in, nin, exists)`);
  }
  // { $eq: null } means "has none", as in MongoDB
  if (value === null && (op === 'eq' || op === 'ne')) return comparison(c, frame, attribute, 'exists', op === 'ne', at);
  if (op === 'ne') return `not ${comparison(c, frame, attribute, 'eq', value, at)}`;
  if (op === 'nin') return `not ${comparison(c, frame, attribute, 'in', value, at)}`;
  const over = (alias: string) => condition(c, attribute, op, value, alias, at);
  switch (attribute.level) {
    case 'person':
      if (frame.person) return over(frame.person);
      // a Group matches a person attribute when one of its current members does
      return `(${householdAlias(c, frame.household)}.id is not null and ${frame.household}.id in (select gm.household_id from membership gm
        join person gp on gp.id = gm.person_id where gm.end_date is null and ${over('gp')}))`;
    case 'household':
      return over(householdAlias(c, frame.household));
    case 'own':
      return over(frame.person ?? householdAlias(c, frame.household));
  }
}

function condition(c: Compiler, attribute: Attribute, op: Operator, value: unknown, alias: string, at: string): string {
  if (attribute.kind === 'id') return identifierCondition(c, attribute.idType!, op, value, alias, at);
  if (attribute.kind === 'json') return jsonCondition(c, attribute.key!, op, value, alias, at);
  const column = attribute.column!(alias);
  if (op === 'exists') {
    if (typeof value !== 'boolean') throw badFilter(`${at}: $exists takes true or false`);
    return value ? `(${column} is not null)` : `(${column} is null)`;
  }
  switch (attribute.kind) {
    case 'area': {
      const codes = op === 'in' ? list(c, value, at, (v, a) => areaCode(v, a)) : [areaCode(value, at)];
      return `(${column} is not null and ${areaIn(column, c.params.add(codes, 'text[]'))})`;
    }
    case 'sex': {
      const codes = op === 'in' ? list(c, value, at, sexCode) : [sexCode(value, at)];
      return `(${column} is not null and ${column} = any(${c.params.add(codes, 'text[]')}))`;
    }
    case 'date':
      if (op === 'in') return `(${column} is not null and ${column} = any(${c.params.add(list(c, value, at, isoDate), 'date[]')}))`;
      return `(${column} is not null and ${column} ${SQL_OPERATOR[op]} ${c.params.add(isoDate(value, at), 'date')})`;
    case 'integer':
    case 'number': {
      const integer = attribute.kind === 'integer';
      const read = (v: unknown, a: string) => toNumber(v, a, integer);
      if (op === 'in') return `(${column} is not null and ${column} = any(${c.params.add(list(c, value, at, read), 'numeric[]')}))`;
      return `(${column} is not null and ${column} ${SQL_OPERATOR[op]} ${c.params.add(read(value, at), 'numeric')})`;
    }
    case 'year':
      return yearCondition(c, column, op, value, at);
    case 'age':
      return ageCondition(c, column, op, value, at);
  }
  throw badFilter(`${at}: ${attribute.name} cannot be compared`);
}

function identifierCondition(c: Compiler, type: string, op: Operator, value: unknown, person: string, at: string): string {
  const base = `select 1 from person_identifier pi where pi.person_id = ${person}.id and pi.id_type = ${c.params.add(type, 'text')}`;
  if (op === 'exists') {
    if (typeof value !== 'boolean') throw badFilter(`${at}: $exists takes true or false`);
    return `(${value ? '' : 'not '}exists (${base}))`;
  }
  const index = (v: unknown, a: string) => identifierIndex(c.config.secrets, type, identifierValue(v, a));
  if (op === 'in') return `exists (${base} and pi.value_index = any(${c.params.add(list(c, value, at, index), 'text[]')}))`;
  return `exists (${base} and pi.value_index = ${c.params.add(index(value, at), 'text')})`;
}

// Year of birth and age become ranges of birth dates, so the birth-date index serves them.
function yearCondition(c: Compiler, column: string, op: Operator, value: unknown, at: string): string {
  const year = (v: unknown, a: string) => {
    const y = toNumber(v, a, true);
    if (y < 1 || y > 9998) throw badFilter(`${a}: ${y} is not a year`);
    return y;
  };
  if (op === 'in') return `(${column} is not null and extract(year from ${column})::int = any(${c.params.add(list(c, value, at, year), 'int[]')}))`;
  const y = year(value, at);
  const jan1 = (n: number) => c.params.add(`${String(n).padStart(4, '0')}-01-01`, 'date');
  // only the chosen range adds parameters: an unused parameter has no type and fails the statement
  const range: Record<string, () => string> = {
    eq: () => `${column} >= ${jan1(y)} and ${column} < ${jan1(y + 1)}`,
    gt: () => `${column} >= ${jan1(y + 1)}`,
    ge: () => `${column} >= ${jan1(y)}`,
    lt: () => `${column} < ${jan1(y)}`,
    le: () => `${column} < ${jan1(y + 1)}`,
  };
  return `(${column} is not null and ${range[op]()})`;
}

function ageCondition(c: Compiler, column: string, op: Operator, value: unknown, at: string): string {
  const age = (v: unknown, a: string) => {
    const n = toNumber(v, a, true);
    if (n < 0 || n > 200) throw badFilter(`${a}: an age is a whole number from 0 to 200`);
    return n;
  };
  if (op === 'in') {
    const ages = c.params.add(list(c, value, at, age), 'int[]');
    return `(${column} is not null and date_part('year', age(${c.params.add(today(), 'date')}, ${column}))::int = any(${ages}))`;
  }
  const n = age(value, at);
  // born on or before cut(n) <=> at least n years old today. The dates are computed here, so the planner sees
  // constants and can weigh the birth-date index against the others.
  const cut = (years: number) => c.params.add(yearsBefore(today(), years), 'date');
  const range: Record<string, () => string> = {
    eq: () => `${column} <= ${cut(n)} and ${column} > ${cut(n + 1)}`,
    gt: () => `${column} <= ${cut(n + 1)}`,
    ge: () => `${column} <= ${cut(n)}`,
    lt: () => `${column} > ${cut(n)}`,
    le: () => `${column} > ${cut(n + 1)}`,
  };
  return `(${column} is not null and ${range[op]()})`;
}

/** A configured attribute: compared as JSON for (in)equality, as a number or a string for order. */
function jsonCondition(c: Compiler, name: string, op: Operator, value: unknown, alias: string, at: string): string {
  // the key is a parameter too, though it comes from the allow-list
  const key = c.params.add(name, 'text');
  const column = `${alias}.attributes -> ${key}`;
  if (op === 'exists') {
    if (typeof value !== 'boolean') throw badFilter(`${at}: $exists takes true or false`);
    return value ? `(${column} is not null)` : `(${column} is null)`;
  }
  if (op === 'in') {
    const values = list(c, value, at, jsonScalar);
    return `(${column} is not null and ${column} in (select jsonb_array_elements(${c.params.add(JSON.stringify(values), 'jsonb')})))`;
  }
  const v = jsonScalar(value, at);
  if (op === 'eq') return `(${column} is not null and ${column} = ${c.params.add(JSON.stringify(v), 'jsonb')})`;
  if (typeof v === 'boolean') throw badFilter(`${at}: true and false cannot be ordered`);
  // `case` guarantees the cast only sees values of the right type
  const typed =
    typeof v === 'number'
      ? `(case when jsonb_typeof(${column}) = 'number' then (${alias}.attributes ->> ${key})::numeric end)`
      : `(case when jsonb_typeof(${column}) = 'string' then ${alias}.attributes ->> ${key} end)`;
  return `(${typed} is not null and ${typed} ${SQL_OPERATOR[op]} ${c.params.add(v, typeof v === 'number' ? 'numeric' : 'text')})`;
}

/** Today's date in UTC, as the registry's own rules count it (core/registry/persons/rules.ts). */
export const today = () => new Date().toISOString().slice(0, 10);

/** The date `years` years before `date` (YYYY-MM-DD); 29 February becomes 28 February in other years, as in PostgreSQL. */
export function yearsBefore(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const year = y - years;
  return `${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(Math.min(d, daysInMonth(year, m))).padStart(2, '0')}`;
}

// (Date.UTC reads years 0-99 as 1900-1999, so the calendar is counted here)
function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// ---- values ----

/** The values of an `in` list: an array, or a comma-separated string (the spec's attribute_value has no array form). */
export function list<T>(c: Compiler, value: unknown, at: string, read: (v: unknown, at: string) => T): T[] {
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(items) || items.length === 0) throw badFilter(`${at}: expected a non-empty list of values`);
  if (items.length > c.limits.maxList) throw badFilter(`${at}: a list holds at most ${c.limits.maxList} values, got ${items.length}`);
  return items.map((v, i) => read(v, `${at}[${i}]`));
}

export function toNumber(value: unknown, at: string, integer: boolean): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,15}(\.\d{1,15})?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw badFilter(`${at}: expected a number, got ${shown(value)}`);
  if (integer && !Number.isInteger(n)) throw badFilter(`${at}: expected a whole number, got ${shown(value)}`);
  return n;
}

/** A calendar date (YYYY-MM-DD; the date part of a date-time is taken). */
export function isoDate(value: unknown, at: string): string {
  const match = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(value) : null;
  if (match) {
    const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m)) return `${match[1]}-${match[2]}-${match[3]}`;
  }
  throw badFilter(`${at}: expected a date (YYYY-MM-DD), got ${shown(value)}`);
}

function sexCode(value: unknown, at: string): string {
  // SexCategoryEnum codes, also as `category:female`
  const code = typeof value === 'string' ? value.slice(value.lastIndexOf(':') + 1).toLowerCase() : undefined;
  if (code && (SEX_CODES as readonly string[]).includes(code)) return code;
  throw badFilter(`${at}: sex is one of ${SEX_CODES.join(', ')} (SexCategoryEnum), got ${shown(value)}`);
}

function areaCode(value: unknown, at: string): string {
  if (typeof value === 'string' && value.length > 0 && value.length <= 100) return value;
  throw badFilter(`${at}: expected an admin area code, got ${shown(value)}`);
}

function identifierValue(value: unknown, at: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && value.trim().length > 0 && value.length <= 200) return value;
  throw badFilter(`${at}: expected an identifier value (a string)`);
}

function jsonScalar(value: unknown, at: string): string | number | boolean {
  if (typeof value === 'string' && value.length <= 1000) return value;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw badFilter(`${at}: expected a string, a number or true/false, got ${shown(value)}`);
}
