// Type-checks a parsed rule against the allow-listed fields and compiles it to a SQL boolean over the features
// relation `f` (core/assessment/features.ts) and the program's score `s.score`. Every literal is a bound parameter;
// names become columns only through the allow-list. A missing answer makes a comparison unknown, which counts as
// false (the rule does not hold), also under `!`.
import { FEATURES, type FeatureType } from '../assessment/features.js';
import type { SqlParams } from '../assessment/sql-params.js';
import { parseRule, RuleError, type RuleNode } from './rule-parser.js';

type ValueType = 'number' | 'boolean' | 'text' | 'list';

export interface RuleContext {
  /** The program has a model: `score` is allowed. */
  hasScore: boolean;
  /** The model's threshold (`threshold` in rules), when it has one. */
  threshold?: number | null;
}

export interface CompiledRule {
  /** SQL boolean, never null. */
  sql: string;
  /** Fields the rule reads (for the reason shown per household). */
  fields: string[];
  /** Area codes named in in_area(...), for the caller to check they exist. */
  areas: string[];
}

interface Typed {
  sql: string;
  type: ValueType;
  /** The allowed answers when it is a text or list feature (for checking literals against it). */
  values?: readonly string[];
  field?: string;
  literal?: string | number;
}

const SPECIAL_FIELDS = ['score', 'threshold', 'area_code'] as const;

/** The names a rule may use, for the documentation and error messages. */
export function ruleFieldNames(): string[] {
  return [...FEATURES.keys(), ...SPECIAL_FIELDS];
}

export function compileRule(source: string, context: RuleContext, params: SqlParams): CompiledRule {
  const tree = parseRule(source);
  const fields = new Set<string>();
  const areas = new Set<string>();

  const fail = (node: RuleNode, message: string): never => {
    throw new RuleError(message, node.pos);
  };
  const want = (node: RuleNode, typed: Typed, type: ValueType, what: string): Typed =>
    typed.type === type ? typed : fail(node, `${what} needs a ${type}, not a ${typed.type}`);
  const checkAnswer = (node: RuleNode, of: Typed, answer: string) => {
    if (of.values && !of.values.includes(answer)) fail(node, `"${answer}" is not an answer of ${of.field} (${of.values.join(', ')})`);
  };

  const visit = (node: RuleNode): Typed => {
    switch (node.kind) {
      case 'number':
        return { sql: params.add(node.value, 'float8'), type: 'number', literal: node.value };
      case 'string':
        return { sql: params.add(node.value, 'text'), type: 'text', literal: node.value };
      case 'bool':
        return { sql: node.value ? 'true' : 'false', type: 'boolean' };
      case 'ident':
        return identifier(node);
      case 'list':
        return fail(node, 'a list can only follow `in`');
      case 'call':
        return call(node);
      case 'unary': {
        const arg = visit(node.arg);
        if (node.op === '!') return { sql: `(not ${want(node, arg, 'boolean', '!').sql})`, type: 'boolean' };
        return { sql: `(- ${want(node, arg, 'number', 'unary -').sql})`, type: 'number' };
      }
      case 'binary':
        return binary(node);
    }
  };

  const identifier = (node: Extract<RuleNode, { kind: 'ident' }>): Typed => {
    const feature = FEATURES.get(node.name);
    if (feature) {
      fields.add(feature.name);
      return { sql: `f.${feature.name}`, type: feature.type as FeatureType, values: feature.values, field: feature.name };
    }
    if (node.name === 'score') {
      if (!context.hasScore) fail(node, 'score needs the program to have an assessment model (model_id)');
      fields.add('score');
      return { sql: 's.score', type: 'number', field: 'score' };
    }
    if (node.name === 'threshold') {
      if (context.threshold === undefined || context.threshold === null) fail(node, "threshold needs the program's model to define one");
      return { sql: params.add(context.threshold, 'float8'), type: 'number' };
    }
    if (node.name === 'area_code') {
      fields.add('area_code');
      return { sql: 'f.area_code', type: 'text', field: 'area_code' };
    }
    return fail(node, `unknown field ${node.name}; the fields are: ${ruleFieldNames().join(', ')}`);
  };

  const call = (node: Extract<RuleNode, { kind: 'call' }>): Typed => {
    if (node.fn !== 'in_area') return fail(node, `unknown function ${node.fn}; the only function is in_area("CODE", ...)`);
    if (node.args.length === 0) fail(node, 'in_area needs at least one area code');
    const codes = node.args.map((arg) => (arg.kind === 'string' ? arg.value : fail(arg, 'in_area takes area codes as strings')));
    codes.forEach((code) => areas.add(code));
    fields.add('area_code');
    // the household's area is one of these or lies under one of them (materialised paths)
    return {
      sql: `exists (select 1 from admin_area rule_area join admin_area rule_granted on starts_with(rule_area.path, rule_granted.path)
        where rule_area.code = f.area_code and rule_granted.code = any(${params.add(codes, 'text[]')}))`,
      type: 'boolean',
    };
  };

  const binary = (node: Extract<RuleNode, { kind: 'binary' }>): Typed => {
    if (node.op === 'in') return membership(node);
    const left = visit(node.left);
    const right = visit(node.right);
    switch (node.op) {
      case '&&':
      case '||':
        want(node, left, 'boolean', node.op);
        want(node, right, 'boolean', node.op);
        return { sql: `(${left.sql} ${node.op === '&&' ? 'and' : 'or'} ${right.sql})`, type: 'boolean' };
      case '+':
      case '-':
      case '*':
        want(node, left, 'number', node.op);
        want(node, right, 'number', node.op);
        return { sql: `(${left.sql}::float8 ${node.op} ${right.sql}::float8)`, type: 'number' };
      case '/':
        want(node, left, 'number', node.op);
        want(node, right, 'number', node.op);
        // division by zero gives unknown (the rule does not hold), not an error for the whole batch
        return { sql: `(${left.sql}::float8 / nullif(${right.sql}::float8, 0))`, type: 'number' };
      case '==':
      case '!=':
        if (left.type !== right.type) fail(node, `${node.op} compares a ${left.type} with a ${right.type}`);
        if (left.type === 'list') fail(node, `${node.op} cannot compare lists; use "item" in ${left.field ?? 'the list'}`);
        if (left.type === 'text') {
          if (typeof right.literal === 'string') checkAnswer(node.right, left, right.literal);
          if (typeof left.literal === 'string') checkAnswer(node.left, right, left.literal);
        }
        return { sql: `(${left.sql} ${node.op === '==' ? '=' : '<>'} ${right.sql})`, type: 'boolean' };
      default:
        want(node, left, 'number', node.op);
        want(node, right, 'number', node.op);
        return { sql: `(${left.sql}::float8 ${node.op} ${right.sql}::float8)`, type: 'boolean' };
    }
  };

  const membership = (node: Extract<RuleNode, { kind: 'binary' }>): Typed => {
    const left = visit(node.left);
    if (node.right.kind === 'list') {
      const items = node.right.items.map((item) =>
        item.kind === 'unary' && item.arg.kind === 'number' ? -item.arg.value : (item as { value: number | string }).value,
      );
      if (left.type === 'number') {
        if (items.some((v) => typeof v !== 'number')) fail(node.right, 'a number is compared with a list of numbers');
        return { sql: `(${left.sql}::float8 = any(${params.add(items, 'float8[]')}))`, type: 'boolean' };
      }
      if (left.type === 'text') {
        if (items.some((v) => typeof v !== 'string')) fail(node.right, 'a text is compared with a list of strings');
        items.forEach((v) => checkAnswer(node.right, left, v as string));
        return { sql: `(${left.sql} = any(${params.add(items, 'text[]')}))`, type: 'boolean' };
      }
      return fail(node, `in [...] needs a number or a text on its left, not a ${left.type}`);
    }
    const right = visit(node.right);
    if (right.type !== 'list') return fail(node.right, 'in needs a list: [..] or a list field (assets, income_sources)');
    want(node.left, left, 'text', 'in a list field');
    if (typeof left.literal === 'string') checkAnswer(node.left, right, left.literal);
    return { sql: `(${right.sql} @> jsonb_build_array(${left.sql}))`, type: 'boolean' };
  };

  const result = visit(tree);
  if (result.type !== 'boolean') throw new RuleError(`a rule must be true or false, not a ${result.type}`, 1);
  return { sql: `coalesce(${result.sql}, false)`, fields: [...fields], areas: [...areas] };
}
