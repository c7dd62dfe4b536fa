// A DCI search_criteria item -> one parameterised SQL statement for the page of ids and one for the total count,
// over the registry tables. Nothing is evaluated in JavaScript over rows; a bad criteria item is answered with the
// spec's rjct.* reason code (see docs/dci-queries.md), so one bad item does not fail the batch.
import type { Config } from '../../config.js';
import type { Db } from '../../db/index.js';
import type { Secrets } from '../../keys/secrets.js';
import { identifierIndex } from '../../registry/persons/sealing.js';
import {
  areaIn,
  CURRENT_HOUSEHOLD,
  DEFAULT_LIMITS,
  householdAlias,
  idTypeOf,
  searchableIdTypes,
  type Compiler,
  type DciSearchConfig,
  type Entity,
  type Frame,
  type Limits,
} from './attributes.js';
import { exactCount } from './count.js';
import { expressionCondition, readExpressionQuery } from './expression.js';
import { predicateCondition } from './predicate.js';
import { badCriteria, badFilter, isPlainObject, Rejection, shown } from './rejection.js';
import { orderBy } from './sort.js';
import { SqlParams } from './sql.js';

export type { DciSearchConfig } from './attributes.js';
export type ResponseEntity = Entity;

/** A search_request item's search_criteria, already decrypted and schema-checked. */
export interface SearchCriteria {
  version?: string;
  reg_type?: string;
  reg_sub_type?: string;
  /** 'idtype-value' | 'predicate' | 'expression' (anything else: rjct.search_criteria.invalid). */
  query_type: string;
  query: unknown;
  /** Group (the default) or Member. */
  response_entity?: string;
  sort?: { attribute_name: string; sort_order: string }[];
  pagination?: { page_size?: number; page_number?: number };
  locale?: string;
  consent?: unknown;
  authorize?: unknown;
}

export interface SearchScope {
  /** The principal's admin areas (core/registry/scope.ts), null = all. */
  areas: readonly string[] | null;
  /**
   * From the consent engineer's coveringConsentCondition: a SQL condition over the person id column; null = no
   * restriction; 'none' = nothing. For Group searches the column is the household head's id.
   */
  personCondition?: (param: (value: unknown) => string, personIdColumn: string) => Promise<string | null | 'none'>;
  /**
   * Deregistered households (and the people whose current household is one) are not current registry records and
   * are left out, unless this is set: only for matching a DEREGISTER event's records to a subscription (notify.ts).
   */
  includeDeregistered?: boolean;
}

export interface SearchPage {
  page_size: number;
  page_number: number;
  total_count: number;
}

export type SearchOutcome =
  | { ok: true; entity: ResponseEntity; ids: string[]; pagination: SearchPage }
  | { ok: false; code: string; message: string };

/** What runSearch reads of the hub's Config (the Config itself will do): identifier types, SRHUB_DCI_ATTRIBUTES. */
export type SearchSettings = Pick<Config, 'idTypes'> & { dciAttributes?: readonly string[]; dciLimits?: Partial<Limits> };

// the response entity's rows: a Group is a household; a Member is a person, with their current household (if any)
// joined when a condition, a sort key or the caller's areas read it
const FROM = (entity: Entity, c: Compiler) =>
  entity === 'Group'
    ? 'household h'
    : c.readsCurrentHousehold
      ? `person p
    left join membership cm on cm.person_id = p.id and cm.end_date is null
    left join household ${CURRENT_HOUSEHOLD} on ${CURRENT_HOUSEHOLD}.id = cm.household_id`
      : 'person p';
const FRAME: Record<Entity, Frame> = {
  Group: { entity: 'Group', household: 'h' },
  Member: { entity: 'Member', household: CURRENT_HOUSEHOLD, person: 'p' },
};
const ID: Record<Entity, string> = { Group: 'h.id', Member: 'p.id' };
// whose consent covers a record: a Member's own; a Group's head of household (who registers for it)
const CONSENTING_PERSON: Record<Entity, string> = { Group: 'h.head_person_id', Member: 'p.id' };
// current registry records only: not a deregistered household, nor a person whose current household is one. A
// Member search that joins the current household already (CURRENT_HOUSEHOLD, at most one: membership_one_current)
// tests it there; otherwise a self-contained condition (a person in no household stays), which the partial index
// household_deregistered (migration 031) answers without reading the households.
const ACTIVE: Record<Entity, (c: Compiler) => string> = {
  Group: () => 'h.deregistered_at is null',
  Member: (c) =>
    c.readsCurrentHousehold
      ? `${CURRENT_HOUSEHOLD}.deregistered_at is null`
      : `not exists (select 1 from membership dm join household dh on dh.id = dm.household_id
    where dm.person_id = p.id and dm.end_date is null and dh.deregistered_at is not null)`,
};

/** One criteria item's page of record ids (in order) and total count, or its rjct.* code. `secrets` keys the blind index. */
export async function runSearch(db: Db, criteria: SearchCriteria, scope: SearchScope, settings: SearchSettings, secrets: Secrets): Promise<SearchOutcome> {
  const config: DciSearchConfig = { secrets, idTypes: settings.idTypes, attributes: settings.dciAttributes, limits: settings.dciLimits };
  try {
    return await search(db, criteria, scope, config);
  } catch (err) {
    if (err instanceof Rejection) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

async function search(db: Db, criteria: SearchCriteria, scope: SearchScope, config: DciSearchConfig): Promise<SearchOutcome> {
  if (!isPlainObject(criteria)) throw badCriteria('search_criteria: expected an object');
  checkVersion(criteria.version);
  checkRegType(criteria.reg_type);
  const entity = responseEntity(criteria.response_entity);
  const limits = { ...DEFAULT_LIMITS, ...config.limits };
  const page = pagination(criteria.pagination, limits.maxPageSize, limits.defaultPageSize);
  const c: Compiler = { params: new SqlParams(), config, limits };

  // the caller's areas (core/registry/scope.ts semantics: null = all; a person is seen through their current household)
  const where: string[] = [];
  if (scope.areas) {
    const household = entity === 'Group' ? 'h' : householdAlias(c, CURRENT_HOUSEHOLD);
    where.push(areaIn(`${household}.area_code`, c.params.add([...scope.areas], 'text[]')));
  }
  where.push(queryCondition(c, entity, criteria));
  const consent = scope.personCondition ? await scope.personCondition((v) => c.params.add(v), CONSENTING_PERSON[entity]) : null;
  if (consent === 'none') return { ok: true, entity, ids: [], pagination: { ...page, total_count: 0 } };
  if (consent) where.push(`(${consent})`);

  // the count takes the filter's parameters only; sort keys, limit and offset come after them
  const filterParams = c.params.values.length;
  const order = orderBy(c, entity, criteria.sort);
  // last: whether the current household is joined is known once conditions and sort keys are compiled
  if (!scope.includeDeregistered) where.unshift(ACTIVE[entity](c));
  const condition = where.length ? where.join('\n  and ') : 'true';
  const limit = c.params.add(page.page_size, 'int');
  const offset = c.params.add((page.page_number - 1) * page.page_size, 'bigint');
  const count = () => exactCount(db, `${FROM(entity, c)} where ${condition}`, c.params.values.slice(0, filterParams));
  if (criteria.query_type === 'idtype-value') {
    // an identifier matches a person or two at most: the page and its count in one statement (one round trip); a
    // page past the end has no row to carry the count, so only then is it asked for separately
    const rows = await db.query<{ id: string; total: number }>(
      `select ${ID[entity]} as id, count(*) over ()::int as total from ${FROM(entity, c)}
       where ${condition}
       order by ${order}
       limit ${limit} offset ${offset}`,
      c.params.values,
    );
    const total = rows.length ? rows[0].total : page.page_number === 1 ? 0 : await count();
    return { ok: true, entity, ids: rows.map((r) => r.id), pagination: { ...page, total_count: total } };
  }
  const [rows, total] = await Promise.all([
    db.query<{ id: string }>(
      `select ${ID[entity]} as id from ${FROM(entity, c)}
       where ${condition}
       order by ${order}
       limit ${limit} offset ${offset}`,
      c.params.values,
    ),
    count(),
  ]);
  return { ok: true, entity, ids: rows.map((r) => r.id), pagination: { ...page, total_count: total } };
}

function queryCondition(c: Compiler, entity: Entity, criteria: SearchCriteria): string {
  switch (criteria.query_type) {
    case 'idtype-value':
      return idTypeValueCondition(c, entity, criteria.query);
    case 'predicate':
      return predicateCondition(c, FRAME[entity], criteria.query);
    case 'expression': {
      const { collection, filter } = readExpressionQuery(criteria.query, entity);
      if (collection === entity) return expressionCondition(c, FRAME[entity], filter);
      // a filter over the other collection: households with a member that matches, or people whose household does
      if (entity === 'Group') {
        return `h.id in (select xm.household_id from membership xm join person xp on xp.id = xm.person_id
          where xm.end_date is null and ${expressionCondition(c, { entity: 'Member', household: 'h', person: 'xp' }, filter)})`;
      }
      const household = householdAlias(c, CURRENT_HOUSEHOLD);
      return `(${household}.id is not null and ${expressionCondition(c, { entity: 'Group', household }, filter)})`;
    }
    default:
      throw badCriteria(`query_type: expected idtype-value, predicate or expression, got ${shown(criteria.query_type)}`);
  }
}

/** { type, value }: the blind index finds the person; a Group search finds their current household. */
function idTypeValueCondition(c: Compiler, entity: Entity, query: unknown): string {
  if (!isPlainObject(query) || query.type === undefined || query.value === undefined) {
    throw badCriteria('query: an idtype-value query is { "type": "UIN", "value": "..." }');
  }
  const type = typeof query.type === 'string' ? idTypeOf(c.config, query.type) : undefined;
  if (!type) throw badFilter(`query.type: unknown identifier type ${shown(query.type)} (known: ${searchableIdTypes(c.config).join(', ')})`);
  const { value } = query;
  const text = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
  if (typeof text !== 'string' || text.trim() === '' || text.length > 200) throw badFilter('query.value: expected an identifier value (a string)');
  const people = `select pi.person_id from person_identifier pi
    where pi.id_type = ${c.params.add(type, 'text')} and pi.value_index = ${c.params.add(identifierIndex(c.config.secrets, type, text), 'text')}`;
  if (entity === 'Member') return `p.id in (${people})`;
  return `h.id in (select im.household_id from membership im where im.end_date is null and im.person_id in (${people}))`;
}

function responseEntity(value: unknown): Entity {
  if (value === undefined || value === null) return 'Group';
  if (value === 'Group' || value === 'Member') return value;
  throw badCriteria(`response_entity: expected Group or Member, got ${shown(value)}`);
}

/** The hub answers for the social registry: reg_type may be absent or name it (`ns:org:RegistryType:Social`, `SR`). */
function checkRegType(value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'string' && (/social/i.test(value) || /^(.*:)?sr$/i.test(value))) return;
  throw badCriteria(`reg_type: this registry is the social registry (e.g. "ns:org:RegistryType:Social"), got ${shown(value)}`);
}

function checkVersion(value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'string' && /^1(\.\d+){0,2}$/.test(value)) return;
  throw badCriteria(`version: this registry implements version 1.0.0, got ${shown(value)}`);
}

function pagination(value: unknown, maxPageSize: number, defaultPageSize: number): Omit<SearchPage, 'total_count'> {
  if (value === undefined || value === null) return { page_size: defaultPageSize, page_number: 1 };
  if (!isPlainObject(value)) throw new Rejection('rjct.pagination.invalid', 'pagination: expected { page_size, page_number }');
  const whole = (v: unknown, name: string, min: number, max: number, fallback: number) => {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new Rejection('rjct.pagination.invalid', `pagination.${name}: expected a whole number from ${min} to ${max}, got ${shown(v)}`);
    }
    return v;
  };
  return {
    page_size: whole(value.page_size, 'page_size', 1, maxPageSize, defaultPageSize),
    page_number: whole(value.page_number, 'page_number', 1, 1_000_000_000, 1),
  };
}
