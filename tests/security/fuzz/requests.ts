// One operation of a document -> fast-check arbitraries of whole HTTP requests: path, query, headers and body,
// each either fitting the document (to reach the handler) or broken in one of the ways hostile callers break them.
import fc from 'fast-check';
import type { ApiOperation } from '../../../core/server/openapi.js';
import { deepJsonText, HOSTILE_STRINGS, hostileString, PROTO_KEYS, wrongTypeValue } from './hostile.js';
import { mutate, valueFor, type KnownValues, type Schema } from './schema-values.js';

export interface FuzzRequest {
  operationId: string;
  method: string;
  /** Path and query string, already encoded as they go on the wire. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** What was broken, for the per-kind counts and failure reports. */
  kind: string;
}

export interface OperationShape {
  api: 'hub' | 'dci';
  op: ApiOperation;
  parameters: { name: string; in: string; required: boolean; schema: Schema }[];
  /** The JSON body schema, or the other media type the operation takes. */
  body?: { type: string; schema?: Schema; required: boolean };
}

export function shapeOf(api: 'hub' | 'dci', op: ApiOperation): OperationShape {
  const o = op.operation as Schema;
  const parameters = ((o.parameters ?? []) as Schema[]).map((p) => ({ name: p.name, in: p.in, required: !!p.required, schema: p.schema ?? {} }));
  const content = o.requestBody?.content as Record<string, Schema> | undefined;
  let body: OperationShape['body'];
  if (content) {
    const type = content['application/json'] ? 'application/json' : Object.keys(content)[0];
    body = { type, schema: content[type]?.schema, required: !!o.requestBody.required };
  }
  return { api, op, parameters, body };
}

/** Parameters' and properties' real values: a path parameter's by its place, other names from fixtures. */
export interface Known {
  forParameter(op: ApiOperation, name: string): string[];
  byName: KnownValues;
}

// lone surrogates cannot be percent-encoded: they go as U+FFFD (the invalid-UTF-8 kinds send real bad bytes)
const enc = (s: string) => encodeURIComponent(Buffer.from(s).toString());
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 4000);

function pathWith(shape: OperationShape, values: Record<string, string>, raw = false): string {
  return shape.op.path.replace(/\{([^}]+)\}/g, (_, name: string) => (raw ? values[name] : enc(values[name] ?? 'x')));
}

function queryString(pairs: [string, string][], raw = false): string {
  if (!pairs.length) return '';
  return '?' + pairs.map(([k, v]) => (raw ? `${k}=${v}` : `${enc(k)}=${enc(v)}`)).join('&');
}

const asParam = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');

/** Values for every parameter that fit the document (with hostile strings in free text). */
function fittingParameters(shape: OperationShape, known: Known): fc.Arbitrary<{ path: Record<string, string>; query: [string, string][]; headers: Record<string, string> }> {
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const p of shape.parameters) {
    const key = `${p.in}:${p.name}`;
    const real = p.in === 'path' ? known.forParameter(shape.op, p.name) : [];
    record[key] = real.length ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: valueFor(p.schema, known.byName, 0, p.name) }) : valueFor(p.schema, known.byName, 0, p.name);
    if (p.required || p.in === 'path') required.push(key);
  }
  return fc.record(record, { requiredKeys: required }).map((values) => {
    const path: Record<string, string> = {};
    const query: [string, string][] = [];
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) {
      const [where, name] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      if (value === undefined) continue;
      if (where === 'path') path[name] = asParam(value);
      else if (where === 'query') query.push([name, asParam(value)]);
      else if (where === 'header') headers[name.toLowerCase()] = headerSafe(asParam(value));
    }
    return { path, query, headers };
  });
}

/** The requests the main run sends for an operation: mostly fitting, each kind breaking one part. */
export function requestsFor(shape: OperationShape, known: Known, auth: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  const params = fittingParameters(shape, known);
  const jsonBody = shape.body?.type.includes('json') ? valueFor(shape.body.schema, known.byName) : undefined;
  const make = (kind: string, url: string, headers: Record<string, string>, body?: Buffer, contentType?: string): FuzzRequest => ({
    operationId: shape.op.operationId,
    method: shape.op.method,
    url,
    headers: { ...auth, ...headers, ...(body !== undefined ? { 'content-type': contentType ?? shape.body?.type ?? 'application/json' } : {}) },
    body,
    kind,
  });
  const bodyOf = (value: unknown) => (shape.body ? Buffer.from(shape.body.type.includes('json') ? JSON.stringify(value) ?? 'null' : formOrBytes(value)) : undefined);

  // the other kinds keep a fitting body, so what they break is the only thing wrong
  const withBody = fc.tuple(params, jsonBody ?? fc.constant(undefined)).map(([p, b]) => ({ ...p, body: bodyOf(b) }));
  const fitting = withBody.map((p) => make('fitting', pathWith(shape, p.path) + queryString(p.query), p.headers, p.body));

  const kinds: fc.WeightedArbitrary<FuzzRequest>[] = [
    { weight: 3, arbitrary: fitting },
    {
      weight: 2,
      arbitrary: fc.tuple(withBody, fc.array(fc.tuple(fc.constantFrom(...shape.parameters.filter((p) => p.in === 'query').map((p) => p.name), ...PROTO_KEYS, 'sort', 'order', 'filter', 'fields', 'q'), fc.oneof(hostileString(), wrongTypeValue().map(asParam))), { minLength: 1, maxLength: 4 })).map(([p, extra]) =>
        make('hostile-query', pathWith(shape, p.path) + queryString([...p.query, ...extra]), p.headers, p.body),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(withBody, fc.constantFrom('%', '%E0%A4%A', '%00', '%C0%AF', 'a=1&a=2&a[]=3', 'limit=1&limit=2', '__proto__[polluted]=1', 'constructor[prototype][polluted]=1')).map(([p, raw]) =>
        make('raw-query', pathWith(shape, p.path) + queryString(p.query) + (p.query.length ? '&' : '?') + raw, p.headers, p.body),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(withBody, fc.constantFrom('if-match', 'idempotency-key', 'x-purpose', 'upload-offset', 'upload-length', 'x-request-id', 'accept'), fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.constantFrom('"-1"', '"1e400"', 'W/"1"', '*', '"9007199254740993"', 'x'.repeat(3000)))).map(([p, name, value]) =>
        make('hostile-header', pathWith(shape, p.path) + queryString(p.query), { ...p.headers, [name]: headerSafe(value) }, p.body),
      ),
    },
  ];
  if (shape.parameters.some((p) => p.in === 'path')) {
    kinds.push({
      weight: 2,
      arbitrary: fc.tuple(withBody, fc.oneof(hostileString().map((s) => enc(s.slice(0, 2000))), fc.constantFrom('%', '%E0%A4%A', '%2e%2e', '%00', '..', '.', '%2F', 'a%2Fb'))).map(([p, value]) => {
        const raw = Object.fromEntries(Object.entries(p.path).map(([k, v]) => [k, enc(v)]));
        const name = shape.parameters.find((x) => x.in === 'path')!.name;
        return make('hostile-path', pathWith(shape, { ...raw, [name]: value }, true) + queryString(p.query), p.headers, p.body);
      }),
    });
  }
  if (jsonBody) {
    const mutated = fc.tuple(params, jsonBody).chain(([p, b]) => mutate(b).map((m) => make('mutated-body', pathWith(shape, p.path) + queryString(p.query), p.headers, bodyOf(m))));
    kinds.push({ weight: 6, arbitrary: mutated });
    kinds.push({
      weight: 2,
      arbitrary: fc.tuple(params, jsonBody, rawBodyBreakage()).map(([p, b, breakage]) => {
        const { kind, bytes, contentType } = breakage(JSON.stringify(b) ?? 'null');
        return make(kind, pathWith(shape, p.path) + queryString(p.query), p.headers, bytes, contentType);
      }),
    });
  }
  return fc.oneof(...kinds);
}

/** Ways to break a JSON body as bytes: invalid UTF-8, broken syntax, deep nesting, pollution keys, media types. */
function rawBodyBreakage(): fc.Arbitrary<(json: string) => { kind: string; bytes: Buffer; contentType?: string }> {
  return fc.constantFrom(
    (json: string) => ({ kind: 'invalid-utf8', bytes: withInvalidUtf8(json) }),
    (json: string) => ({ kind: 'malformed-json', bytes: Buffer.from(json.slice(0, Math.max(1, json.length - 1)) + ',') }),
    (_json: string) => ({ kind: 'deep-json', bytes: Buffer.from(deepJsonText(100_000, 'array')) }),
    (_json: string) => ({ kind: 'deep-json', bytes: Buffer.from(deepJsonText(20_000, 'object')) }),
    (json: string) => ({ kind: 'proto-json', bytes: Buffer.from(withProtoKeys(json)) }),
    (json: string) => ({ kind: 'wrong-media-type', bytes: Buffer.from(json), contentType: 'text/plain' }),
    (json: string) => ({ kind: 'wrong-charset', bytes: Buffer.from(json, 'utf16le'), contentType: 'application/json; charset=utf-16' }),
    (_json: string) => ({ kind: 'empty-body', bytes: Buffer.alloc(0) }),
    (_json: string) => ({ kind: 'duplicate-keys', bytes: Buffer.from('{"id":"a","id":{"__proto__":{"polluted":1}}}') }),
  );
}

/** Invalid UTF-8 (a lone 0xFF, an overlong '/', a UTF-16 surrogate) inside the first string of the JSON text. */
export function withInvalidUtf8(json: string): Buffer {
  const bad = Buffer.from([0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80]);
  const at = json.indexOf(':"');
  if (at < 0) return Buffer.concat([Buffer.from('{"x":"'), bad, Buffer.from('"}')]);
  return Buffer.concat([Buffer.from(json.slice(0, at + 2)), bad, Buffer.from(json.slice(at + 2))]);
}

/** The JSON text with `__proto__`/`constructor` keys written into every object (JSON.parse makes them own keys). */
function withProtoKeys(json: string): string {
  return json.replace(/\{(?=")/g, '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},');
}

function formOrBytes(value: unknown): string {
  if (value && typeof value === 'object') return new URLSearchParams(Object.entries(value).map(([k, v]) => [k, asParam(v)])).toString();
  return asParam(value);
}

/**
 * Requests that must be refused, by construction, for an operation: with no token, a forged token or a token
 * without scopes; and (with a good token) a body or a parameter the document cannot accept. The database must
 * be unchanged after all of them.
 */
export function refusedRequestsFor(shape: OperationShape, known: Known, auth: Record<string, string>, noScopes: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  const params = fittingParameters(shape, known);
  const make = (kind: string, url: string, headers: Record<string, string>, body?: Buffer, contentType?: string): FuzzRequest => ({
    operationId: shape.op.operationId,
    method: shape.op.method,
    url,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': contentType ?? shape.body?.type ?? 'application/json' } : {}) },
    body,
    kind,
  });
  const jsonBody = shape.body?.type.includes('json') ? valueFor(shape.body.schema, known.byName) : fc.constant(undefined);
  const url = (p: { path: Record<string, string>; query: [string, string][] }) => pathWith(shape, p.path) + queryString(p.query);
  const bodyOf = (b: unknown) => (shape.body?.type.includes('json') ? Buffer.from(JSON.stringify(b) ?? 'null') : shape.body ? Buffer.from(formOrBytes(b)) : undefined);
  const kinds: fc.Arbitrary<FuzzRequest>[] = [];
  if (shape.op.scopes !== null) {
    kinds.push(fc.tuple(params, jsonBody).map(([p, b]) => make('no-token', url(p), p.headers, bodyOf(b))));
    kinds.push(
      fc.tuple(params, jsonBody, fc.constantFrom('Bearer x', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyOmFkbWluIn0.', `Basic ${Buffer.from('admin:admin').toString('base64')}`, 'Bearer ' + 'a'.repeat(3000), `${auth.authorization}x`)).map(([p, b, authorization]) =>
        make('forged-token', url(p), { ...p.headers, authorization }, bodyOf(b)),
      ),
    );
    if (shape.op.scopes.length) kinds.push(fc.tuple(params, jsonBody).map(([p, b]) => make('no-scopes', url(p), { ...p.headers, ...noScopes }, bodyOf(b))));
  }
  const typedQuery = shape.parameters.filter((p) => p.in === 'query' && ['integer', 'number', 'boolean'].includes(p.schema.type));
  if (typedQuery.length) {
    kinds.push(
      fc.tuple(params, fc.constantFrom(...typedQuery.map((p) => p.name)), fc.constantFrom(...HOSTILE_STRINGS.filter((s) => !/^-?[\d.e]+$|^0x|^(true|false|null|NaN|Infinity|)$/i.test(s.trim())))).map(([p, name, value]) =>
        make('wrong-type-query', pathWith(shape, p.path) + queryString([...p.query.filter(([k]) => k !== name), [name, value]]), { ...auth, ...p.headers }, bodyOf(undefined)),
      ),
    );
  }
  if (shape.body?.type.includes('json') && shape.body.schema?.type === 'object') {
    kinds.push(
      fc.tuple(params, jsonBody, fc.constantFrom('malformed-json', 'invalid-utf8', 'deep-array', 'array-body', 'wrong-media-type')).map(([p, b, how]) => {
        const json = JSON.stringify(b) ?? '{}';
        const headers = { ...auth, ...p.headers };
        if (how === 'malformed-json') return make(how, url(p), headers, Buffer.from(json + '}'));
        if (how === 'invalid-utf8') return make(how, url(p), headers, withInvalidUtf8(json));
        if (how === 'deep-array') return make(how, url(p), headers, Buffer.from(deepJsonText(100_000, 'array')));
        if (how === 'array-body') return make(how, url(p), headers, Buffer.from(`[${json}]`));
        return make(how, url(p), headers, Buffer.from(json), 'text/plain');
      }),
    );
  }
  return kinds.length ? fc.oneof(...kinds) : fc.constant(make('none', '', {}));
}
