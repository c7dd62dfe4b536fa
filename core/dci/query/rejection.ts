// Why a search criteria item is refused. Codes are the spec's SearchStatusReasonCode values (social_api_v1.0.0.yaml),
// so an on-search answer carrying them validates; the message names the offending part of the criteria.

export type RejectCode = 'rjct.search_criteria.invalid' | 'rjct.filter.invalid' | 'rjct.sort.invalid' | 'rjct.pagination.invalid';

export class Rejection extends Error {
  constructor(
    readonly code: RejectCode,
    message: string,
  ) {
    super(message);
  }
}

/** Criteria outside the query: query_type, reg_type, response_entity, version, the query's overall shape. */
export const badCriteria = (message: string) => new Rejection('rjct.search_criteria.invalid', message);
/** Inside the query: attribute names, operators, values, limits. */
export const badFilter = (message: string) => new Rejection('rjct.filter.invalid', message);

/** A plain JSON object (not an array, a class instance or an object with a changed prototype). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// keys that would reach an object's prototype if anything ever used them as property names
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The own keys of a plain object, refusing prototype keys anywhere (JSON.parse can produce an own "__proto__"). */
export function keysOf(value: Record<string, unknown>, at: string): string[] {
  const keys = Object.keys(value);
  const bad = keys.find((k) => FORBIDDEN_KEYS.has(k));
  if (bad !== undefined) throw badFilter(`${at}: the key "${bad}" is not allowed`);
  return keys;
}

/** Short, safe rendering of a caller's value for a message (never more than 40 characters). */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? typeof value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
