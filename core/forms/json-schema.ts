// The subset of JSON Schema (2020-12 keywords) a form's data schema may use, checked without code generation so
// the field app can run it too (pure module). A definition using any other keyword is refused when it is saved,
// so no part of a schema is ever silently ignored.
import type { FieldError } from '../server/field-error.js'; // type only: erased, nothing of the server is loaded

export type JsonSchema = { [keyword: string]: unknown };

export const SUPPORTED_KEYWORDS = new Set([
  'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems',
  'uniqueItems', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern',
  'format', 'minProperties', 'maxProperties', 'multipleOf',
  // annotations
  'title', 'description', 'default', 'examples', '$comment',
]);
const FORMATS = new Set(['date', 'date-time', 'email', 'uuid']);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const MAX_PATTERN_LENGTH = 200;

/** What is wrong with a schema itself (unknown keywords, bad values); paths start at `at`. */
export function checkSchema(schema: unknown, at: string): FieldError[] {
  const errors: FieldError[] = [];
  const walk = (s: unknown, path: string, depth: number) => {
    if (depth > 16) return void errors.push({ field: path, message: 'is nested deeper than 16 levels' });
    if (typeof s === 'boolean') return;
    if (!isObject(s)) return void errors.push({ field: path, message: 'must be a JSON Schema object' });
    for (const key of Object.keys(s)) {
      if (!SUPPORTED_KEYWORDS.has(key)) errors.push({ field: `${path}.${key}`, message: `is not a supported keyword (supported: ${[...SUPPORTED_KEYWORDS].join(', ')})` });
    }
    const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    for (const t of types) if (typeof t !== 'string' || !TYPES.has(t)) errors.push({ field: `${path}.type`, message: `${String(t)} is not a JSON type` });
    if (s.format !== undefined && !FORMATS.has(String(s.format))) errors.push({ field: `${path}.format`, message: `must be one of ${[...FORMATS].join(', ')}` });
    if (s.pattern !== undefined) {
      if (typeof s.pattern !== 'string' || s.pattern.length > MAX_PATTERN_LENGTH) {
        errors.push({ field: `${path}.pattern`, message: `must be a regular expression of at most ${MAX_PATTERN_LENGTH} characters` });
      } else {
        try {
          new RegExp(s.pattern, 'u');
        } catch {
          errors.push({ field: `${path}.pattern`, message: 'is not a valid regular expression' });
        }
      }
    }
    if (s.enum !== undefined && !Array.isArray(s.enum)) errors.push({ field: `${path}.enum`, message: 'must be an array' });
    if (s.required !== undefined && !(Array.isArray(s.required) && s.required.every((r) => typeof r === 'string'))) {
      errors.push({ field: `${path}.required`, message: 'must be an array of property names' });
    }
    if (s.properties !== undefined) {
      if (!isObject(s.properties)) errors.push({ field: `${path}.properties`, message: 'must be an object' });
      else for (const [name, sub] of Object.entries(s.properties)) walk(sub, `${path}.properties.${name}`, depth + 1);
    }
    if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean') walk(s.additionalProperties, `${path}.additionalProperties`, depth + 1);
    if (s.items !== undefined) walk(s.items, `${path}.items`, depth + 1);
  };
  walk(schema, at, 0);
  return errors;
}

export interface SchemaOptions {
  /** Only the values present are checked: `required`, `minItems` and `minProperties` are skipped (an update's changes). */
  partial?: boolean;
}

/** Checks data against a schema of the supported subset; each error names the path of the failing value. */
export function validateSchema(schema: unknown, data: unknown, at: string, options: SchemaOptions = {}): FieldError[] {
  const errors: FieldError[] = [];
  check(schema, data, at, options, errors);
  return errors;
}

function check(schema: unknown, value: unknown, path: string, options: SchemaOptions, errors: FieldError[]): void {
  if (schema === true || schema === undefined) return;
  if (schema === false) return void errors.push({ field: path, message: 'is not allowed' });
  const s = schema as JsonSchema;
  const fail = (message: string) => errors.push({ field: path, message });
  if (s.type !== undefined) {
    const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
    if (!types.some((t) => hasType(value, t))) return void fail(`must be ${types.join(' or ')}`);
  }
  if (s.const !== undefined && !sameJson(value, s.const)) fail(`must be ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((e) => sameJson(e, value))) {
    fail(`must be one of ${s.enum.slice(0, 30).map((e) => JSON.stringify(e)).join(', ')}${s.enum.length > 30 ? ', ...' : ''}`);
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof s.minLength === 'number' && length < s.minLength) fail(`must be at least ${s.minLength} characters`);
    if (typeof s.maxLength === 'number' && length > s.maxLength) fail(`must be at most ${s.maxLength} characters`);
    if (typeof s.pattern === 'string' && !patternOf(s.pattern).test(value)) fail(`must match ${s.pattern}`);
    if (s.format !== undefined && !matchesFormat(String(s.format), value)) fail(`must be a valid ${s.format}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) fail(`must be at least ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) fail(`must be at most ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) fail(`must be more than ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) fail(`must be less than ${s.exclusiveMaximum}`);
    if (typeof s.multipleOf === 'number' && s.multipleOf > 0 && !Number.isInteger(value / s.multipleOf)) fail(`must be a multiple of ${s.multipleOf}`);
  }
  if (Array.isArray(value)) {
    if (!options.partial && typeof s.minItems === 'number' && value.length < s.minItems) fail(`must have at least ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) fail(`must have at most ${s.maxItems} items`);
    if (s.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) fail('must not repeat an item');
    if (s.items !== undefined) value.forEach((item, i) => check(s.items, item, `${path}[${i}]`, options, errors));
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    const properties = (isObject(s.properties) ? s.properties : {}) as Record<string, unknown>;
    if (!options.partial && Array.isArray(s.required)) {
      for (const name of s.required as string[]) if (value[name] === undefined) errors.push({ field: `${path}.${name}`, message: 'is required' });
    }
    if (!options.partial && typeof s.minProperties === 'number' && keys.length < s.minProperties) fail(`must have at least ${s.minProperties} properties`);
    if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) fail(`must have at most ${s.maxProperties} properties`);
    for (const key of keys) {
      const sub = Object.prototype.hasOwnProperty.call(properties, key) ? properties[key] : s.additionalProperties;
      if (sub === false) errors.push({ field: `${path}.${key}`, message: 'is not a field of this form' });
      else check(sub, value[key], `${path}.${key}`, options, errors);
    }
  }
}

const patterns = new Map<string, RegExp>();
function patternOf(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    if (patterns.size > 1000) patterns.clear();
    patterns.set(source, (re = new RegExp(source, 'u')));
  }
  return re;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return typeof value === type;
  }
}

function matchesFormat(format: string, value: string): boolean {
  switch (format) {
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (!m) return false;
      const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
      return d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
    }
    case 'date-time':
      return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value));
    case 'email':
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
    case 'uuid':
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
    default:
      return false;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The sub-schema at a dotted path (through properties and, for `[]`, items); undefined when the schema has none. */
export function schemaAt(schema: unknown, path: string[]): JsonSchema | undefined {
  let s = schema as JsonSchema | undefined;
  for (const segment of path) {
    if (!s) return undefined;
    if (segment === '[]') {
      s = isObject(s.items) ? (s.items as JsonSchema) : undefined;
    } else {
      const props = isObject(s.properties) ? (s.properties as Record<string, unknown>) : {};
      s = Object.prototype.hasOwnProperty.call(props, segment) && isObject(props[segment]) ? (props[segment] as JsonSchema) : undefined;
    }
  }
  return s;
}
