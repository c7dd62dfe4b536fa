// `expression` queries: a MongoDB-style filter over a `collection` (Group or Member), e.g.
//   { "collection": "Group", "query": { "$and": [ { "poverty_score": { "$lt": 5 } }, { "group_size": { "$gte": 3 } } ] } }
// Logical: $and, $or (non-empty lists), $not (a filter, or an attribute's condition); several keys in one object AND.
// Comparisons: $eq, $ne, $lt, $lte, $gt, $gte, $in, $nin, $exists; a bare value means $eq. Limited in depth, size and
// list length, so a caller cannot make the statement arbitrarily large.
import { comparison, resolveAttribute, type Compiler, type Entity, type Frame, type Operator } from './attributes.js';
import { badCriteria, badFilter, isPlainObject, keysOf, shown } from './rejection.js';

const COMPARISONS: Record<string, Operator> = {
  $eq: 'eq',
  $ne: 'ne',
  $lt: 'lt',
  $lte: 'le',
  $gt: 'gt',
  $gte: 'ge',
  $in: 'in',
  $nin: 'nin',
  $exists: 'exists',
};

export interface ExpressionQuery {
  collection: Entity;
  filter: Record<string, unknown>;
}

/**
 * The expression of a criteria's query, in any of the forms callers send: the spec's
 * `{ type, value: { expression: { collection, query } } }`, `{ expression: { collection, query } }`, or
 * `{ collection, query }`. Without a collection, the response entity's is used.
 */
export function readExpressionQuery(query: unknown, fallback: Entity): ExpressionQuery {
  let body: unknown = query;
  if (isPlainObject(body) && isPlainObject(body.value) && 'expression' in body.value) body = body.value.expression;
  else if (isPlainObject(body) && 'expression' in body) body = body.expression;
  if (!isPlainObject(body) || !('query' in body)) {
    throw badCriteria('query: an expression query is { "expression": { "collection": "Group" | "Member", "query": { ... } } }');
  }
  const collection = body.collection ?? fallback;
  if (collection !== 'Group' && collection !== 'Member') throw badCriteria(`query.expression.collection: expected Group or Member, got ${shown(collection)}`);
  if (!isPlainObject(body.query)) throw badFilter('query.expression.query: expected an object');
  return { collection, filter: body.query };
}

/** The SQL condition of a filter in a frame of its collection. */
export function expressionCondition(c: Compiler, frame: Frame, filter: Record<string, unknown>): string {
  const budget = { nodes: 0 };
  const count = (at: string) => {
    budget.nodes += 1;
    if (budget.nodes > c.limits.maxNodes) throw badFilter(`${at}: the expression has more than ${c.limits.maxNodes} nodes`);
  };

  const node = (value: unknown, at: string, depth: number): string => {
    if (depth > c.limits.maxDepth) throw badFilter(`${at}: the expression is nested more than ${c.limits.maxDepth} levels deep`);
    if (!isPlainObject(value)) throw badFilter(`${at}: expected an object`);
    count(at);
    const parts = keysOf(value, at).map((key) => {
      const v = value[key];
      const here = `${at}.${key}`;
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(v) || v.length === 0) throw badFilter(`${here}: expected a non-empty list of filters`);
        const items = v.map((item, i) => node(item, `${here}[${i}]`, depth + 1));
        return `(${items.join(key === '$and' ? ' and ' : ' or ')})`;
      }
      if (key === '$not') return `not ${node(v, here, depth + 1)}`;
      if (key.startsWith('$')) throw badFilter(`${here}: unknown operator ${shown(key)} (logical: $and, $or, $not)`);
      return field(key, v, here, depth);
    });
    // {} matches everything, as in MongoDB
    return parts.length === 0 ? 'true' : `(${parts.join(' and ')})`;
  };

  const field = (name: string, value: unknown, at: string, depth: number): string => {
    const attribute = resolveAttribute(c, name, at);
    count(at);
    if (!isPlainObject(value)) return comparison(c, frame, attribute, 'eq', scalarOrList(value, at), at);
    const ops = keysOf(value, at);
    if (ops.length === 0) throw badFilter(`${at}: expected a value or an object of operators ($eq, $lt, ...)`);
    const parts = ops.map((op) => {
      const here = `${at}.${op}`;
      count(here);
      if (op === '$not') {
        if (depth + 1 > c.limits.maxDepth) throw badFilter(`${here}: the expression is nested more than ${c.limits.maxDepth} levels deep`);
        if (!isPlainObject(value.$not)) throw badFilter(`${here}: expected an object of operators`);
        return `not ${field(name, value.$not, here, depth + 1)}`;
      }
      const operator = Object.hasOwn(COMPARISONS, op) ? COMPARISONS[op] : undefined;
      if (!operator) throw badFilter(`${here}: unknown operator ${shown(op)} (${Object.keys(COMPARISONS).join(', ')}, $not)`);
      const operand = scalarOrList(value[op], here);
      if (Array.isArray(operand) !== (operator === 'in' || operator === 'nin')) {
        throw badFilter(`${here}: ${operator === 'in' || operator === 'nin' ? 'expected a list' : 'expected a single value'}`);
      }
      return comparison(c, frame, attribute, operator, operand, here);
    });
    return parts.length === 1 ? parts[0] : `(${parts.join(' and ')})`;
  };

  return node(filter, 'query.expression.query', 1);
}

/** Values are JSON scalars, or lists of them for $in / $nin; nested objects are refused. */
function scalarOrList(value: unknown, at: string): unknown {
  const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  if (scalar(value)) return value;
  if (Array.isArray(value) && value.every((v) => v !== null && scalar(v))) return value;
  throw badFilter(`${at}: expected a string, a number, true/false or a list of them`);
}
