// Hostile values the fuzzer mixes into every field: injection strings for the SQL, the rule and expression
// languages (programs, forms, assessment models), DCI predicates and search queries, prototype-pollution keys,
// boundary numbers, huge and odd strings. Each pool is small and explicit, so a failure names what was sent.
import fc from 'fast-check';

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** SQL injection in the shapes that reach a query: values, identifiers (sort, fields), LIKE patterns, casts. */
const SQL = [
  "' or '1'='1",
  "'; drop table person; --",
  '1; select pg_sleep(30)',
  "x' union select null, current_user --",
  '"; delete from household where ""="',
  '%',
  '_',
  '%_%\\',
  '\\',
  "'::jsonb",
  'id desc; --',
  'name, (select 1/0)',
  "$$; drop table audit_log; $$",
  '$1',
  'E\'\\x00\'',
];

/** The rule, expression and predicate languages: operators, calls, property walks, template and eval tricks. */
const EXPRESSIONS = [
  '__proto__.polluted == true',
  'constructor.constructor("return process")()',
  'this.constructor.prototype.polluted = 1',
  'household.size > 1 || true',
  'household.size > (select count(*) from person)',
  '1 / 0',
  '9'.repeat(400),
  '((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))',
  'a'.repeat(64) + '.' + 'b'.repeat(64),
  '${7*7}',
  '{{7*7}}',
  '#{7*7}',
  'require("child_process")',
  "size in ['a', 'b'",
  '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!x',
  'x == "\\u0000"',
  '-9223372036854775809',
  'NaN',
  'Infinity',
];

/** Strings that break naive handling: control and zero-width characters, surrogates, paths, markup. */
const ODD = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202e\u200b\ufeff',
  '\ud800',
  '\udfff\ud800',
  '😀'.repeat(50),
  'e\u0301'.repeat(20),
  '../../../../etc/passwd',
  '..%2f..%2f',
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '0x10',
  '1e309',
  '2026-13-45',
  '2026-02-30T25:61:61Z',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'http://169.254.169.254/latest/meta-data/',
  'http://127.0.0.1:1/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  ...PROTO_KEYS,
];

export const HOSTILE_STRINGS = [...SQL, ...EXPRESSIONS, ...ODD];

export const hostileString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: hugeString() },
  );

/** Strings from 10 kB to 300 kB: limits, not the body parser's 50 MB cap, are what is tested. */
export const hugeString = (): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom('a', 'é', '😀', "'", '%', '\\'), fc.constantFrom(10_000, 100_000, 300_000)).map(([c, n]) => c.repeat(Math.ceil(n / c.length)));

export const BOUNDARY_NUMBERS = [
  0, -0, -1, 1, 0.5, -0.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, 2 ** 53 + 2, -(2 ** 53) - 2, Number.MAX_VALUE, Number.MIN_VALUE, 1e308, -1e308,
];

export const boundaryNumber = (): fc.Arbitrary<number> => fc.constantFrom(...BOUNDARY_NUMBERS);

/** A value of a type other than the one expected (also used where the type is unknown). */
export const wrongTypeValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(null),
    fc.boolean(),
    boundaryNumber(),
    fc.constantFrom(...HOSTILE_STRINGS),
    fc.constant([]),
    fc.constant({}),
    fc.array(fc.constantFrom(1, 'a', null), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', ...PROTO_KEYS), fc.constantFrom(1, 'x', null), { maxKeys: 3 }),
  );

/** Arrays long enough to find unbounded loops and per-element queries. */
export const hugeArray = (element: unknown): fc.Arbitrary<unknown[]> => fc.constantFrom(1_000, 5_000).map((n) => Array.from({ length: n }, () => element));

/** JSON text nested `depth` levels deep (objects or arrays): recursion in parsers, validators, walkers. */
export function deepJsonText(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** A nested value (for a field): deep enough to reach recursive code, small enough to pass the body limit. */
export const deepValue = (): fc.Arbitrary<unknown> =>
  fc.constantFrom(64, 500, 1_000).map((depth) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { a: value };
    return value;
  });
