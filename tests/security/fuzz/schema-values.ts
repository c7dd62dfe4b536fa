// JSON Schema (as the dereferenced OpenAPI documents hold it) -> fast-check arbitraries of values that mostly fit
// the schema, so requests get past validation and reach the handlers, with hostile strings in string fields
// (an injection string is a valid string). mutate() then breaks one place of such a value.
import fc from 'fast-check';
import { boundaryNumber, deepValue, hostileString, hugeArray, hugeString, PROTO_KEYS, wrongTypeValue } from './hostile.js';

export type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MAX_DEPTH = 6;

/** Values for `schema`; `known` supplies real values (ids of fixtures) by property name, so deep paths are reached. */
export function valueFor(schema: Schema | undefined, known: KnownValues, depth = 0, name = ''): fc.Arbitrary<unknown> {
  if (!schema || typeof schema !== 'object' || depth > MAX_DEPTH) return fc.constant(null);
  const fromKnown = known(name);
  if (fromKnown.length && (schema.type === 'string' || schema.format === 'uuid')) {
    return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...fromKnown) }, { weight: 1, arbitrary: stringFor(schema) });
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length) return fc.constantFrom(...schema.enum);
  const choices = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(choices) && choices.length) return fc.oneof(...choices.map((s: Schema) => valueFor(s, known, depth + 1, name)));
  if (Array.isArray(schema.allOf) && schema.allOf.length) return valueFor(mergeAllOf(schema), known, depth, name);
  const type = Array.isArray(schema.type) ? schema.type.filter((t: string) => t !== 'null')[0] : schema.type;
  switch (type ?? (schema.properties ? 'object' : schema.items ? 'array' : undefined)) {
    case 'string':
      return stringFor(schema);
    case 'integer':
      return fc.integer({ min: numberBound(schema.minimum, schema.exclusiveMinimum, 1, -1000), max: numberBound(schema.maximum, schema.exclusiveMaximum, -1, 1000) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const min = schema.minItems ?? 0;
      const max = Math.max(min, Math.min(schema.maxItems ?? 3, 3));
      return fc.array(valueFor(schema.items, known, depth + 1, name), { minLength: min, maxLength: max });
    }
    case 'object':
      return objectFor(schema, known, depth);
    default:
      return fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null));
  }
}

export type KnownValues = (propertyName: string) => string[];

function objectFor(schema: Schema, known: KnownValues, depth: number): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set<string>(schema.required ?? []);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, propertySchema] of Object.entries(properties)) {
    if (propertySchema?.readOnly) continue;
    record[key] = valueFor(propertySchema, known, depth + 1, key);
  }
  const requiredKeys = Object.keys(record).filter((k) => required.has(k));
  const base = fc.record(record, { requiredKeys });
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object' && !Object.keys(properties).length) {
    return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), valueFor(schema.additionalProperties, known, depth + 1), { maxKeys: 3 });
  }
  return base;
}

function stringFor(schema: Schema): fc.Arbitrary<string> {
  const fitting = fittingString(schema);
  return fc.oneof({ weight: 4, arbitrary: fitting }, { weight: 1, arbitrary: hostileString() });
}

/** A string that satisfies the format and length (patterns are guessed at by common shapes). */
function fittingString(schema: Schema): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return fc.uuid();
    case 'date':
      return fc.date({ min: new Date('1900-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    case 'date-time':
      return fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'email':
      return fc.emailAddress();
    case 'uri':
      return fc.webUrl();
  }
  const min = schema.minLength ?? 0;
  const max = Math.max(min, Math.min(schema.maxLength ?? 24, 40));
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Infinity));
    } catch {
      // a pattern fast-check cannot generate from: plain strings
    }
  }
  return fc.string({ minLength: min, maxLength: max });
}

function numberBound(inclusive: number | undefined, exclusive: number | undefined, step: number, fallback: number): number {
  if (typeof exclusive === 'number') return exclusive + step;
  if (typeof inclusive === 'number') return Math.max(-(2 ** 31), Math.min(2 ** 31, inclusive));
  return fallback;
}

function mergeAllOf(schema: Schema): Schema {
  const merged: Schema = { ...schema, allOf: undefined, properties: { ...(schema.properties ?? {}) }, required: [...(schema.required ?? [])] };
  for (const part of schema.allOf as Schema[]) {
    const flat = part.allOf ? mergeAllOf(part) : part;
    Object.assign(merged.properties, flat.properties ?? {});
    merged.required.push(...(flat.required ?? []));
    if (flat.type && !merged.type) merged.type = flat.type;
  }
  return merged;
}

/** One place of the value broken: a wrong type, a boundary, a huge or deep value, or a prototype-pollution key. */
export function mutate(value: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(value);
  const breakage = fc.oneof(
    { weight: 4, arbitrary: wrongTypeValue() },
    { weight: 2, arbitrary: boundaryNumber() },
    { weight: 2, arbitrary: hostileString() },
    { weight: 1, arbitrary: hugeString() },
    { weight: 1, arbitrary: hugeArray('x') },
    { weight: 1, arbitrary: hugeArray({ a: 1 }) },
    { weight: 1, arbitrary: deepValue() },
  );
  return fc.tuple(fc.constantFrom(...paths), breakage, fc.constantFrom('replace', 'add-key', 'proto-key')).map(([at, broken, how]) => {
    const copy = structuredClone(value);
    if (how === 'replace' || at.length === 0) return at.length === 0 ? broken : setAt(copy, at, broken);
    const target = getAt(copy, at.slice(0, -1));
    if (target && typeof target === 'object' && !Array.isArray(target)) {
      const key = how === 'proto-key' ? PROTO_KEYS[at.length % PROTO_KEYS.length] : `unknown_${at.length}`;
      // defineProperty: an own "__proto__" key, which JSON.stringify then sends as text
      Object.defineProperty(target, key, { value: how === 'proto-key' ? { polluted: 'yes', toString: 'x' } : broken, enumerable: true, configurable: true, writable: true });
    }
    return copy;
  });
}

type Path = (string | number)[];

function pathsOf(value: unknown, at: Path = [], out: Path[] = [], depth = 0): Path[] {
  out.push(at);
  if (depth > 8 || out.length > 200) return out;
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out, depth + 1));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out, depth + 1);
  return out;
}

function getAt(value: unknown, at: Path): unknown {
  return at.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), value);
}

function setAt(root: unknown, at: Path, replacement: unknown): unknown {
  const parent = getAt(root, at.slice(0, -1));
  if (parent && typeof parent === 'object') (parent as Record<string | number, unknown>)[at[at.length - 1]] = replacement;
  return root;
}
