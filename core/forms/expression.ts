// The forms' expression language: relevance (skip logic) and constraints, parsed and evaluated here, never with
// eval or new Function. Pure (no node imports): the field app runs the same code. Grammar and limits in docs/sync.md.
//
//   expr    := or
//   or      := and ('or' and)*
//   and     := not ('and' not)*
//   not     := 'not' not | compare
//   compare := sum (('=' | '!=' | '<' | '<=' | '>' | '>=') sum)?
//   sum     := product (('+' | '-') product)*
//   product := unary (('*' | '/' | 'mod') unary)*
//   unary   := '-' unary | primary
//   primary := number | string | 'true' | 'false' | 'null' | '.' | '${' path '}' | name '(' (expr (',' expr)*)? ')' | '(' expr ')'
//   path    := '/'? segment ('.' segment)*        segment := [a-z_][a-z0-9_]*  (not __proto__, constructor, prototype)
//
// `${path}` reads the current repeat item (a member) or, with a leading '/', the whole record; `.` is the value of
// the field being checked. Only own properties of plain data are read.

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

export const EXPRESSION_LIMITS = {
  /** characters in one expression */
  maxLength: 1000,
  /** tokens in one expression */
  maxTokens: 300,
  /** nesting of parentheses, operators and calls */
  maxDepth: 32,
  /** nodes evaluated per evaluation (each node is evaluated at most once: there are no loops) */
  maxSteps: 5000,
  /** length of a string result */
  maxStringLength: 10_000,
} as const;

export class ExpressionError extends Error {
  constructor(message: string, readonly position?: number) {
    super(position === undefined ? message : `${message} (at character ${position + 1})`);
  }
}

type Node =
  | { t: 'lit'; v: Value }
  | { t: 'self' }
  | { t: 'ref'; root: boolean; path: string[] }
  | { t: 'not'; e: Node }
  | { t: 'neg'; e: Node }
  | { t: 'bin'; op: string; l: Node; r: Node }
  | { t: 'call'; name: string; args: Node[] };

interface Token {
  k: 'num' | 'str' | 'ref' | 'name' | 'op' | 'end';
  v: string;
  at: number;
}

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const SEGMENT = /^[a-z_][a-z0-9_]*$/;

function tokenize(src: string): Token[] {
  if (src.length > EXPRESSION_LIMITS.maxLength) throw new ExpressionError(`is longer than ${EXPRESSION_LIMITS.maxLength} characters`);
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i += 1;
      continue;
    }
    const at = i;
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      tokens.push({ k: 'num', v: m[0], at });
      i += m[0].length;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let out = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j += 1;
        out += src[j];
        j += 1;
      }
      if (j >= src.length) throw new ExpressionError('has a string without its closing quote', at);
      tokens.push({ k: 'str', v: out, at });
      i = j + 1;
    } else if (c === '$' && src[i + 1] === '{') {
      const close = src.indexOf('}', i);
      if (close < 0) throw new ExpressionError('has ${ without its closing }', at);
      tokens.push({ k: 'ref', v: src.slice(i + 2, close).trim(), at });
      i = close + 1;
    } else if (/[a-z_]/i.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      tokens.push({ k: 'name', v: m[0], at });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (['!=', '<=', '>='].includes(two)) {
        tokens.push({ k: 'op', v: two, at });
        i += 2;
      } else if ('=<>+-*/(),.'.includes(c)) {
        tokens.push({ k: 'op', v: c, at });
        i += 1;
      } else {
        throw new ExpressionError(`has an unexpected character "${c}"`, at);
      }
    }
    if (tokens.length > EXPRESSION_LIMITS.maxTokens) throw new ExpressionError(`has more than ${EXPRESSION_LIMITS.maxTokens} tokens`);
  }
  tokens.push({ k: 'end', v: '', at: src.length });
  return tokens;
}

/** The functions an expression may call, with their arity; nothing else is reachable. */
const FUNCTIONS: Record<string, { min: number; max: number; fn: (args: Value[], env: Env) => Value }> = {
  // selected(${assets}, 'tv'): a multiple choice answer includes the value (or a single answer equals it)
  selected: { min: 2, max: 2, fn: ([list, v]) => (Array.isArray(list) ? list.some((x) => x === v) : list === v) },
  count: { min: 1, max: 1, fn: ([list]) => (Array.isArray(list) ? list.length : 0) },
  empty: { min: 1, max: 1, fn: ([v]) => isBlank(v) },
  length: { min: 1, max: 1, fn: ([v]) => (typeof v === 'string' || Array.isArray(v) ? v.length : 0) },
  // whole years from an ISO date to today (or to the second date)
  age: { min: 1, max: 2, fn: ([d, asOf], env) => yearsBetween(d, asOf ?? env.today) },
  today: { min: 0, max: 0, fn: (_args, env) => env.today },
  if: { min: 3, max: 3, fn: ([c, a, b]) => (truthy(c) ? a : b) },
  min: { min: 1, max: 20, fn: (args) => numbersOf(args, Math.min) },
  max: { min: 1, max: 20, fn: (args) => numbersOf(args, Math.max) },
  number: { min: 1, max: 1, fn: ([v]) => toNumber(v) },
  round: { min: 1, max: 1, fn: ([v]) => (typeof v === 'number' ? Math.round(v) : null) },
  contains: { min: 2, max: 2, fn: ([s, sub]) => typeof s === 'string' && typeof sub === 'string' && s.includes(sub) },
  coalesce: { min: 1, max: 20, fn: (args) => args.find((a) => !isBlank(a)) ?? null },
};

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private tokens: Token[]) {}

  parse(): Node {
    const node = this.or();
    const t = this.peek();
    if (t.k !== 'end') throw new ExpressionError(`has "${t.v}" where the expression should end`, t.at);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.i];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.k === 'op' && t.v === v;
  }
  private isWord(v: string): boolean {
    const t = this.peek();
    return t.k === 'name' && t.v === v;
  }
  private expectOp(v: string): void {
    const t = this.next();
    if (t.k !== 'op' || t.v !== v) throw new ExpressionError(`expected "${v}" but found "${t.v || 'the end'}"`, t.at);
  }
  private deeper<T>(work: () => T): T {
    if (++this.depth > EXPRESSION_LIMITS.maxDepth) throw new ExpressionError(`is nested deeper than ${EXPRESSION_LIMITS.maxDepth} levels`);
    try {
      return work();
    } finally {
      this.depth -= 1;
    }
  }

  private or(): Node {
    let l = this.and();
    while (this.isWord('or')) {
      this.next();
      l = { t: 'bin', op: 'or', l, r: this.and() };
    }
    return l;
  }
  private and(): Node {
    let l = this.not();
    while (this.isWord('and')) {
      this.next();
      l = { t: 'bin', op: 'and', l, r: this.not() };
    }
    return l;
  }
  private not(): Node {
    if (this.isWord('not')) {
      this.next();
      return this.deeper(() => ({ t: 'not', e: this.not() }));
    }
    return this.compare();
  }
  private compare(): Node {
    const l = this.sum();
    const t = this.peek();
    if (t.k === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.next();
      return { t: 'bin', op: t.v, l, r: this.sum() };
    }
    return l;
  }
  private sum(): Node {
    let l = this.product();
    while (this.isOp('+') || this.isOp('-')) l = { t: 'bin', op: this.next().v, l, r: this.product() };
    return l;
  }
  private product(): Node {
    let l = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isWord('mod')) l = { t: 'bin', op: this.next().v, l, r: this.unary() };
    return l;
  }
  private unary(): Node {
    if (this.isOp('-')) {
      this.next();
      return this.deeper(() => ({ t: 'neg', e: this.unary() }));
    }
    return this.primary();
  }
  private primary(): Node {
    const t = this.next();
    if (t.k === 'num') return { t: 'lit', v: Number(t.v) };
    if (t.k === 'str') return { t: 'lit', v: t.v };
    if (t.k === 'ref') return parseRef(t);
    if (t.k === 'op' && t.v === '.') return { t: 'self' };
    if (t.k === 'op' && t.v === '(') {
      const e = this.deeper(() => this.or());
      this.expectOp(')');
      return e;
    }
    if (t.k === 'name') {
      if (t.v === 'true' || t.v === 'false') return { t: 'lit', v: t.v === 'true' };
      if (t.v === 'null') return { t: 'lit', v: null };
      const fn = Object.prototype.hasOwnProperty.call(FUNCTIONS, t.v) ? FUNCTIONS[t.v] : undefined;
      if (!fn) throw new ExpressionError(`calls an unknown function "${t.v}" (known: ${Object.keys(FUNCTIONS).join(', ')})`, t.at);
      this.expectOp('(');
      const args: Node[] = [];
      if (!this.isOp(')')) {
        do {
          if (args.length) this.next();
          args.push(this.deeper(() => this.or()));
        } while (this.isOp(','));
      }
      this.expectOp(')');
      if (args.length < fn.min || args.length > fn.max) {
        throw new ExpressionError(`${t.v}() takes ${fn.min === fn.max ? fn.min : `${fn.min} to ${fn.max}`} arguments, not ${args.length}`, t.at);
      }
      return { t: 'call', name: t.v, args };
    }
    throw new ExpressionError(`has "${t.v || 'the end'}" where a value should be`, t.at);
  }
}

function parseRef(t: Token): Node {
  const root = t.v.startsWith('/');
  const segments = (root ? t.v.slice(1) : t.v).split('.');
  for (const s of segments) {
    if (!SEGMENT.test(s) || FORBIDDEN_SEGMENTS.has(s)) throw new ExpressionError(`refers to "${t.v}", which is not a field path`, t.at);
  }
  return { t: 'ref', root, path: segments };
}

/** A parsed expression, ready to evaluate many times. */
export interface Expression {
  source: string;
  /** The field paths it reads (for checking a definition). */
  references: string[];
  evaluate(env: Env): Value;
}

export interface Env {
  /** The whole record (a household with its members). */
  root: unknown;
  /** The current repeat item (a member), or the record itself outside repeats. */
  current: unknown;
  /** `.`: the value of the field being checked. */
  self?: unknown;
  /** today's date, YYYY-MM-DD (passed in, so results do not depend on when a test runs) */
  today: string;
}

const cache = new Map<string, Expression>();
const CACHE_LIMIT = 2000;

/** Parses an expression (cached); throws ExpressionError saying what is wrong and where. */
export function compile(source: string): Expression {
  const cached = cache.get(source);
  if (cached) return cached;
  const ast = new Parser(tokenize(source)).parse();
  const expression: Expression = {
    source,
    references: collectRefs(ast),
    evaluate: (env) => evaluateNode(ast, env, { steps: 0 }),
  };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, expression);
  return expression;
}

/** Evaluates to a boolean: null, false, 0, '' and [] are false. */
export function test(source: string, env: Env): boolean {
  return truthy(compile(source).evaluate(env));
}

function collectRefs(node: Node): string[] {
  switch (node.t) {
    case 'ref':
      return [(node.root ? '/' : '') + node.path.join('.')];
    case 'not':
    case 'neg':
      return collectRefs(node.e);
    case 'bin':
      return [...collectRefs(node.l), ...collectRefs(node.r)];
    case 'call':
      return node.args.flatMap(collectRefs);
    default:
      return [];
  }
}

function evaluateNode(node: Node, env: Env, budget: { steps: number }): Value {
  if (++budget.steps > EXPRESSION_LIMITS.maxSteps) throw new ExpressionError(`took more than ${EXPRESSION_LIMITS.maxSteps} steps`);
  switch (node.t) {
    case 'lit':
      return node.v;
    case 'self':
      return toValue(env.self);
    case 'ref':
      return toValue(readPath(node.root ? env.root : env.current, node.path));
    case 'not':
      return !truthy(evaluateNode(node.e, env, budget));
    case 'neg': {
      const v = evaluateNode(node.e, env, budget);
      return typeof v === 'number' ? -v : null;
    }
    case 'call':
      return limitString(FUNCTIONS[node.name].fn(node.args.map((a) => evaluateNode(a, env, budget)), env));
    case 'bin': {
      if (node.op === 'and') return truthy(evaluateNode(node.l, env, budget)) && truthy(evaluateNode(node.r, env, budget));
      if (node.op === 'or') return truthy(evaluateNode(node.l, env, budget)) || truthy(evaluateNode(node.r, env, budget));
      return binary(node.op, evaluateNode(node.l, env, budget), evaluateNode(node.r, env, budget));
    }
  }
}

function binary(op: string, l: Value, r: Value): Value {
  switch (op) {
    case '=':
      return equal(l, r);
    case '!=':
      return !equal(l, r);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      // numbers with numbers, strings (ISO dates) with strings; anything else is not ordered
      if (!((typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string'))) return false;
      return op === '<' ? l < r : op === '<=' ? l <= r : op === '>' ? l > r : l >= r;
    }
    case '+':
      if (typeof l === 'string' && typeof r === 'string') return limitString(l + r);
      return typeof l === 'number' && typeof r === 'number' ? l + r : null;
    case '-':
      return typeof l === 'number' && typeof r === 'number' ? l - r : null;
    case '*':
      return typeof l === 'number' && typeof r === 'number' ? l * r : null;
    case '/':
      return typeof l === 'number' && typeof r === 'number' && r !== 0 ? l / r : null;
    case 'mod':
      return typeof l === 'number' && typeof r === 'number' && r !== 0 ? l % r : null;
    default:
      throw new ExpressionError(`unknown operator ${op}`);
  }
}

function equal(l: Value, r: Value): boolean {
  if (typeof l === 'number' && typeof r === 'string') return l === toNumber(r);
  if (typeof l === 'string' && typeof r === 'number') return toNumber(l) === r;
  return l === r;
}

/** Reads own properties of plain objects and arrays only: no prototype, no getters, no functions. */
function readPath(base: unknown, path: string[]): unknown {
  let v = base;
  for (const segment of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    if (!Object.prototype.hasOwnProperty.call(v, segment)) return null;
    const desc = Object.getOwnPropertyDescriptor(v, segment);
    if (!desc || !('value' in desc)) return null;
    v = desc.value;
  }
  return v;
}

/** Data from outside as a Value: functions and other objects become null. */
function toValue(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(toValue);
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return v as { [key: string]: Value };
  return null;
}

function limitString(v: Value): Value {
  if (typeof v === 'string' && v.length > EXPRESSION_LIMITS.maxStringLength) {
    throw new ExpressionError(`made a string longer than ${EXPRESSION_LIMITS.maxStringLength} characters`);
  }
  return v;
}

export function truthy(v: Value): boolean {
  return !(v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0));
}

export function isBlank(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

function toNumber(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return null;
}

function numbersOf(args: Value[], pick: (...n: number[]) => number): Value {
  const numbers = args.flat().filter((a): a is number => typeof a === 'number');
  return numbers.length ? pick(...numbers) : null;
}

function yearsBetween(from: Value, to: Value): Value {
  const a = typeof from === 'string' ? /^(\d{4})-(\d{2})-(\d{2})/.exec(from) : null;
  const b = typeof to === 'string' ? /^(\d{4})-(\d{2})-(\d{2})/.exec(to) : null;
  if (!a || !b) return null;
  let years = Number(b[1]) - Number(a[1]);
  if (b[2] + b[3] < a[2] + a[3]) years -= 1;
  return years;
}
