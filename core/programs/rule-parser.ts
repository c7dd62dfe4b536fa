// The eligibility rule language: a small subset of CEL (docs/assessment.md has the grammar). Parsed here into an
// AST with hard limits on size and depth; compile-rule.ts checks types and names and turns it into SQL with bound
// parameters. Nothing is ever evaluated as code.

export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | 'in';

export type RuleNode =
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'bool'; value: boolean; pos: number }
  | { kind: 'ident'; name: string; pos: number }
  | { kind: 'list'; items: RuleNode[]; pos: number }
  | { kind: 'unary'; op: '!' | '-'; arg: RuleNode; pos: number }
  | { kind: 'binary'; op: BinaryOp; left: RuleNode; right: RuleNode; pos: number }
  | { kind: 'call'; fn: string; args: RuleNode[]; pos: number };

export const RULE_LIMITS = { maxLength: 2000, maxTokens: 400, maxDepth: 24, maxListItems: 200, maxStringLength: 100 };

/** A rule that cannot be accepted; `pos` is the 1-based column. */
export class RuleError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

interface Token {
  type: 'number' | 'string' | 'ident' | 'op' | 'end';
  text: string;
  value?: number | string;
  pos: number;
}

const OPERATORS = ['||', '&&', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '!', '(', ')', '[', ']', ','];

function tokenize(source: string): Token[] {
  if (source.length > RULE_LIMITS.maxLength) throw new RuleError(`the rule is longer than ${RULE_LIMITS.maxLength} characters`, 1);
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    const pos = i + 1;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (tokens.length >= RULE_LIMITS.maxTokens) throw new RuleError(`the rule has more than ${RULE_LIMITS.maxTokens} tokens`, pos);
    const number = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i));
    if (number) {
      const value = Number(number[0]);
      if (!Number.isFinite(value)) throw new RuleError(`${number[0]} is not a usable number`, pos);
      tokens.push({ type: 'number', text: number[0], value, pos });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (ident) {
      tokens.push({ type: 'ident', text: ident[0], pos });
      i += ident[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      let value = '';
      while (j < source.length && source[j] !== ch) {
        if (source[j] === '\\') {
          const next = source[j + 1];
          if (next !== '\\' && next !== '"' && next !== "'") throw new RuleError('only \\\\, \\" and \\\' are allowed as escapes in a string', j + 1);
          value += next;
          j += 2;
        } else {
          value += source[j++];
        }
      }
      if (j >= source.length) throw new RuleError('a string is not closed', pos);
      if (value.length > RULE_LIMITS.maxStringLength) throw new RuleError(`a string is longer than ${RULE_LIMITS.maxStringLength} characters`, pos);
      tokens.push({ type: 'string', text: source.slice(i, j + 1), value, pos });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw new RuleError(`unexpected character ${JSON.stringify(ch)}`, pos);
    tokens.push({ type: 'op', text: op, pos });
    i += op.length;
  }
  tokens.push({ type: 'end', text: 'the end of the rule', pos: source.length + 1 });
  return tokens;
}

/** Parses a rule into its AST; throws RuleError naming the column of the first problem. */
export function parseRule(source: string): RuleNode {
  if (typeof source !== 'string' || source.trim() === '') throw new RuleError('the rule is empty', 1);
  const tokens = tokenize(source);
  let at = 0;
  let depth = 0;
  const peek = () => tokens[at];
  const isOp = (text: string) => peek().type === 'op' && peek().text === text;
  const expect = (text: string) => {
    if (!isOp(text)) throw new RuleError(`expected ${text} but found ${peek().text}`, peek().pos);
    return tokens[at++];
  };
  const nested = <T>(pos: number, work: () => T): T => {
    if (++depth > RULE_LIMITS.maxDepth) throw new RuleError(`the rule is nested deeper than ${RULE_LIMITS.maxDepth} levels`, pos);
    try {
      return work();
    } finally {
      depth--;
    }
  };

  const binaryLevel = (ops: readonly BinaryOp[], next: () => RuleNode) => (): RuleNode => {
    let left = next();
    while (peek().type === 'op' && (ops as readonly string[]).includes(peek().text)) {
      const op = tokens[at++];
      const right = nested(op.pos, next);
      left = { kind: 'binary', op: op.text as BinaryOp, left, right, pos: op.pos };
    }
    return left;
  };

  const expression = (): RuleNode => nested(peek().pos, or);
  const primary = (): RuleNode => {
    const token = peek();
    if (token.type === 'number') return at++, { kind: 'number', value: token.value as number, pos: token.pos };
    if (token.type === 'string') return at++, { kind: 'string', value: token.value as string, pos: token.pos };
    if (token.type === 'ident') {
      at++;
      if (token.text === 'true' || token.text === 'false') return { kind: 'bool', value: token.text === 'true', pos: token.pos };
      if (token.text === 'in' || token.text === 'null') throw new RuleError(`unexpected ${token.text}`, token.pos);
      if (isOp('(')) {
        at++;
        const args: RuleNode[] = [];
        if (!isOp(')')) {
          do args.push(expression());
          while (isOp(',') && ++at);
        }
        expect(')');
        return { kind: 'call', fn: token.text, args, pos: token.pos };
      }
      return { kind: 'ident', name: token.text, pos: token.pos };
    }
    if (isOp('(')) {
      at++;
      const inner = expression();
      expect(')');
      return inner;
    }
    if (isOp('[')) {
      at++;
      const items: RuleNode[] = [];
      if (!isOp(']')) {
        do {
          const item = nested(peek().pos, unary);
          if (item.kind !== 'number' && item.kind !== 'string' && !(item.kind === 'unary' && item.op === '-' && item.arg.kind === 'number')) {
            throw new RuleError('a list holds numbers or strings only', item.pos);
          }
          items.push(item);
          if (items.length > RULE_LIMITS.maxListItems) throw new RuleError(`a list has more than ${RULE_LIMITS.maxListItems} items`, item.pos);
        } while (isOp(',') && ++at);
      }
      expect(']');
      return { kind: 'list', items, pos: token.pos };
    }
    throw new RuleError(`unexpected ${token.text}`, token.pos);
  };
  const unary = (): RuleNode => {
    const token = peek();
    if (isOp('!') || isOp('-')) {
      at++;
      return { kind: 'unary', op: token.text as '!' | '-', arg: nested(token.pos, unary), pos: token.pos };
    }
    return primary();
  };
  const multiplicative = binaryLevel(['*', '/'], unary);
  const additive = binaryLevel(['+', '-'], multiplicative);
  const relation = (): RuleNode => {
    const left = additive();
    const token = peek();
    const isIn = token.type === 'ident' && token.text === 'in';
    if (isIn || (token.type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(token.text))) {
      at++;
      const right = nested(token.pos, additive);
      return { kind: 'binary', op: (isIn ? 'in' : token.text) as BinaryOp, left, right, pos: token.pos };
    }
    return left;
  };
  const and = binaryLevel(['&&'], relation);
  const or = binaryLevel(['||'], and);

  const tree = expression();
  if (peek().type !== 'end') throw new RuleError(`unexpected ${peek().text}`, peek().pos);
  return tree;
}
