// Checks on a request body's bytes before it is parsed (the body parsers' `verify` hook), for the hub API and the
// DCI API alike: it must be UTF-8 (the parsers would silently turn invalid bytes into U+FFFD and store the damage),
// and JSON may not nest deeper than any of the hub's own documents do (deeper nesting only feeds recursive code:
// validators, structuredClone, the rule and expression walkers; 100,000 levels overflowed the DCI router's stack).
import type { IncomingMessage } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { FieldError } from './field-error.js';

export const MAX_JSON_DEPTH = 64;

/** A body parser error the problem handlers know: a 400 naming what is wrong with the body. */
export class BodyRejected extends Error {
  readonly status = 400;
  constructor(
    readonly type: 'entity.invalid_utf8' | 'entity.too_deep',
    message: string,
  ) {
    super(message);
  }
}

/** `verify` for express.urlencoded: throws BodyRejected (the parser passes it on with its status and type). */
export function checkUtf8Body(_req: IncomingMessage, _res: unknown, body: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(body)) throw new BodyRejected('entity.invalid_utf8', 'The request body is not valid UTF-8.');
}

/** `verify` for express.json: UTF-8 and the nesting limit. */
export function checkJsonBody(req: IncomingMessage, res: unknown, body: Buffer, encoding: string): void {
  checkUtf8Body(req, res, body, encoding);
  const depth = jsonDepth(body);
  if (depth > MAX_JSON_DEPTH) throw new BodyRejected('entity.too_deep', `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
}

/** The deepest nesting of [ and { outside strings, counted over the bytes (a scan, no recursion). */
export function jsonDepth(body: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > MAX_JSON_DEPTH) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return deepest;
}

// NUL and unpaired UTF-16 surrogates are valid in JSON ("\u0000", "\ud800") but PostgreSQL cannot store them in
// text or jsonb; refused here, once for every operation, rather than failing as a 500 deep in a store.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every string (and object key) in `value` that PostgreSQL could not store, named by its path (body.a[0].b). */
export function unstorableText(value: unknown, path: string, found: FieldError[] = [], depth = 0): FieldError[] {
  if (found.length >= 10 || depth > MAX_JSON_DEPTH) return found;
  if (typeof value === 'string') {
    if (UNSTORABLE.test(value)) found.push({ field: path, message: 'must not contain NUL characters or unpaired surrogates' });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => unstorableText(item, `${path}[${i}]`, found, depth + 1));
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (UNSTORABLE.test(key)) found.push({ field: `${path}.${key.replace(/[^\x20-\x7e]/g, '?')}`, message: 'the key must not contain NUL characters or unpaired surrogates' });
      unstorableText(item, `${path}.${key}`, found, depth + 1);
    }
  }
  return found;
}
