// `predicate` queries: a list of { seq_num, expression1, condition?, expression2? } items (ExpPredicateWithCondition).
// The spec leaves the combination open (shared/spdci README, defect 9); the hub follows common practice:
//   - the items are taken in seq_num order (list order when absent) and ALL must hold;
//   - within an item, `expression1 and|or expression2`; `not` (without expression2) negates expression1.
// Operators: gt, lt, eq, ge, le, in (for `in`, attribute_value is a list or a comma-separated string).
import { comparison, resolveAttribute, type Compiler, type Frame, type Operator } from './attributes.js';
import { badCriteria, badFilter, isPlainObject, keysOf, shown } from './rejection.js';

const OPERATORS: Record<string, Operator> = { gt: 'gt', lt: 'lt', eq: 'eq', ge: 'ge', le: 'le', in: 'in' };
const ITEM_KEYS = new Set(['seq_num', 'expression1', 'condition', 'expression2']);
const EXPRESSION_KEYS = new Set(['attribute_name', 'operator', 'attribute_value']);

export function predicateCondition(c: Compiler, frame: Frame, query: unknown): string {
  if (!Array.isArray(query)) throw badCriteria('query: a predicate query is a list of { seq_num, expression1, condition, expression2 }');
  if (query.length === 0) throw badFilter('query: the predicate list is empty');
  if (query.length > c.limits.maxPredicates) throw badFilter(`query: at most ${c.limits.maxPredicates} predicates, got ${query.length}`);
  const items = query.map((item, i) => {
    const at = `query[${i}]`;
    if (!isPlainObject(item)) throw badFilter(`${at}: expected an object`);
    const unknown = keysOf(item, at).find((k) => !ITEM_KEYS.has(k));
    if (unknown !== undefined) throw badFilter(`${at}: unknown field ${shown(unknown)}`);
    if (item.seq_num !== undefined && (typeof item.seq_num !== 'number' || !Number.isFinite(item.seq_num))) {
      throw badFilter(`${at}.seq_num: expected a number`);
    }
    return { item, at, seq: (item.seq_num as number | undefined) ?? i, index: i };
  });
  const seen = new Set<number>();
  for (const { item, at } of items) {
    if (item.seq_num === undefined) continue;
    if (seen.has(item.seq_num as number)) throw badFilter(`${at}.seq_num: ${item.seq_num} is given twice`);
    seen.add(item.seq_num as number);
  }
  // Array.sort is stable: items without seq_num keep their place among equals
  items.sort((a, b) => a.seq - b.seq || a.index - b.index);
  return `(${items.map(({ item, at }) => predicateItem(c, frame, item, at)).join(' and ')})`;
}

function predicateItem(c: Compiler, frame: Frame, item: Record<string, unknown>, at: string): string {
  const first = expression(c, frame, item.expression1, `${at}.expression1`);
  const { condition } = item;
  if (condition === undefined) {
    if (item.expression2 !== undefined) throw badFilter(`${at}.condition: expression2 needs a condition (and, or)`);
    return first;
  }
  if (condition === 'not') {
    if (item.expression2 !== undefined) throw badFilter(`${at}.condition: "not" negates expression1 and takes no expression2`);
    return `not ${first}`;
  }
  if (condition !== 'and' && condition !== 'or') throw badFilter(`${at}.condition: expected and, or or not, got ${shown(condition)}`);
  if (item.expression2 === undefined) throw badFilter(`${at}.expression2: required with condition "${condition}"`);
  return `(${first} ${condition} ${expression(c, frame, item.expression2, `${at}.expression2`)})`;
}

function expression(c: Compiler, frame: Frame, value: unknown, at: string): string {
  if (!isPlainObject(value)) throw badFilter(`${at}: expected { attribute_name, operator, attribute_value }`);
  const unknown = keysOf(value, at).find((k) => !EXPRESSION_KEYS.has(k));
  if (unknown !== undefined) throw badFilter(`${at}: unknown field ${shown(unknown)}`);
  const attribute = resolveAttribute(c, value.attribute_name, `${at}.attribute_name`);
  const op = typeof value.operator === 'string' && Object.hasOwn(OPERATORS, value.operator) ? OPERATORS[value.operator] : undefined;
  if (!op) throw badFilter(`${at}.operator: expected one of ${Object.keys(OPERATORS).join(', ')}, got ${shown(value.operator)}`);
  if (value.attribute_value === undefined) throw badFilter(`${at}.attribute_value: required`);
  if (value.attribute_value === null || (typeof value.attribute_value === 'object' && !Array.isArray(value.attribute_value))) {
    throw badFilter(`${at}.attribute_value: expected a string, a number or true/false${op === 'in' ? ' (or a list)' : ''}`);
  }
  if (Array.isArray(value.attribute_value) && op !== 'in') throw badFilter(`${at}.attribute_value: a list needs the operator in`);
  return comparison(c, frame, attribute, op, value.attribute_value, `${at}.attribute_value`);
}
