// The forms' expression language: what it computes, what it refuses to reach, and its limits.
import { readFile } from 'node:fs/promises';
import { compile, EXPRESSION_LIMITS, ExpressionError, test as holds, type Env } from '../../../core/forms/expression.js';

const env = (current: unknown, root: unknown = current, self?: unknown): Env => ({ root, current, self, today: '2026-06-15' });
const run = (source: string, e: Env = env({})) => compile(source).evaluate(e);

describe('form expressions', () => {
  it('computes with the usual precedence', () => {
    expect(run('1 + 2 * 3')).toBe(7);
    expect(run('(1 + 2) * 3')).toBe(9);
    expect(run('10 mod 4 - -1')).toBe(3);
    expect(run('7 / 0')).toBeNull();
    expect(run("'a' + 'b' = 'ab' and not false or false")).toBe(true);
    expect(run('1 < 2 and 2 <= 2 and 3 > 2 and 3 >= 4')).toBe(false);
    expect(run("'2020-01-01' < '2021-01-01'")).toBe(true);
    expect(run("3 = '3'")).toBe(true);
    expect(run("1 < 'x'")).toBe(false);
  });

  it('reads the current item, the whole record with /, and the value being checked', () => {
    const record = { attributes: { income_sources: ['farming', 'none'], rooms: 3 }, members: [{ person: { birth_date: '2010-06-16' } }, {}] };
    const member = record.members[0];
    expect(run('${person.birth_date}', env(member, record))).toBe('2010-06-16');
    expect(run('age(${person.birth_date})', env(member, record))).toBe(15);
    expect(run('age(${person.birth_date}, \'2026-06-16\')', env(member, record))).toBe(16);
    expect(run('count(${/members})', env(member, record))).toBe(2);
    expect(run("selected(${/attributes.income_sources}, 'none')", env(member, record))).toBe(true);
    expect(run('${attributes.missing}', env(record))).toBeNull();
    expect(run('. >= 1 and . <= 50', env(record, record, 51))).toBe(false);
    expect(run("if(empty(${attributes.rooms}), 'none', 'some')", env(record))).toBe('some');
    expect(run('coalesce(${x}, ${attributes.rooms}, 9)', env(record))).toBe(3);
    expect(run('max(1, ${attributes.rooms}, 2) + min(4, 5)', env(record))).toBe(7);
    expect(run('today()')).toBe('2026-06-15');
    expect(holds("contains('abc', 'b')", env({}))).toBe(true);
  });

  it('never reaches the prototype, constructors or functions of the data', () => {
    for (const source of ['${__proto__}', '${constructor}', '${a.constructor}', '${a.__proto__.polluted}', '${a.prototype}', '${toString}']) {
      expect(() => compile(source)).toThrow(ExpressionError);
    }
    // only own properties of plain objects: no inherited names, no properties of strings or arrays
    expect(run('${tostring}', env({}))).toBeNull();
    expect(run('${s.length}', env({ s: 'abc' }))).toBeNull();
    expect(run('${list.length}', env({ list: [1, 2] }))).toBeNull();
    expect(() => compile('constructor(1)')).toThrow(/unknown function/);
    expect(() => compile('toString()')).toThrow(/unknown function/);
    expect(() => compile('${a}.constructor')).toThrow(ExpressionError);
    expect(() => compile("'x'['constructor']")).toThrow(ExpressionError);
    // a parsed JSON body can hold an own "__proto__" key: it is still not a path
    const hostile = JSON.parse('{"__proto__": {"admin": true}, "a": {"b": 1}}');
    expect(run('${a.b}', env(hostile))).toBe(1);
    // functions and class instances in the data read as null
    expect(run('${f}', env({ f: () => 1 }))).toBeNull();
    expect(run('${d}', env({ d: new Date() }))).toBeNull();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('enforces its limits: length, tokens, nesting, string size', () => {
    expect(() => compile('1'.repeat(EXPRESSION_LIMITS.maxLength + 1))).toThrow(/longer than/);
    expect(() => compile(Array.from({ length: 200 }, () => '1').join('+'))).toThrow(/tokens/);
    expect(() => compile('('.repeat(40) + '1' + ')'.repeat(40))).toThrow(/nested deeper/);
    expect(() => compile('not '.repeat(40) + 'true')).toThrow(/nested deeper/);
    const long = 'x'.repeat(6000);
    expect(() => run('${s} + ${s}', env({ s: long }))).toThrow(/longer than/);
    expect(() => compile('selected(1)')).toThrow(/takes 2 arguments/);
    expect(() => compile("'open")).toThrow(/closing quote/);
    expect(() => compile('1 +')).toThrow(/where a value should be/);
    expect(() => compile('1 2')).toThrow(/should end/);
    expect(() => compile('a;b')).toThrow(/unexpected character/);
  });

  it('is evaluated without eval or new Function', async () => {
    for (const file of ['expression.ts', 'validate.ts', 'json-schema.ts', 'definition.ts', 'render.ts']) {
      const text = await readFile(new URL(`../../../core/forms/${file}`, import.meta.url), 'utf8');
      // the code, without its comments (which say that no eval is used)
      const source = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').replace(/\s\/\/ .*$/gm, '');
      expect({ file, dynamic: /\beval\s*\(|new\s+Function\b|Function\s*\(/.test(source) }).toEqual({ file, dynamic: false });
      // pure modules: nothing from node (the field app runs them in a browser)
      expect({ file, node: /from\s+'node:|require\(/.test(source) }).toEqual({ file, node: false });
    }
  });
});
