// The storage interface every store writes against; two engines implement it (postgres.ts, pglite.ts).

export type DbEngine = 'postgres' | 'pglite';

export interface Db {
  readonly engine: DbEngine;
  /** One parameterised statement; returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements without parameters (migrations, scripts). */
  execScript(sql: string): Promise<void>;
  /** Runs work in one transaction; inside a transaction it joins the outer one. */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// Types parsed the same way on both engines: dates stay 'YYYY-MM-DD' strings, 64-bit counts become numbers.
export const DATE_OID = 1082;
export const INT8_OID = 20;
export const NUMERIC_OID = 1700;
export const parseDate = (value: string) => value;
export const parseInt8 = (value: string) => Number(value);

/** The SQLSTATE of a database error, for mapping constraint violations to 4xx answers. */
export function sqlState(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

// SQLSTATEs of a server that is gone, starting, stopping or full: the request may succeed later
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '53400']);
const UNAVAILABLE_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
// node-postgres and its pool say these in messages only (no code)
const UNAVAILABLE_MESSAGE = /timeout exceeded when trying to connect|Connection terminated|connection error and is not queryable|Client was closed and is not queryable|Cannot use a pool after calling end/i;

/** Whether an error says the database could not be reached or had no room (not that the request was wrong). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = sqlState(err);
  if (code && (code.startsWith('08') || UNAVAILABLE_STATES.has(code) || UNAVAILABLE_NET.has(code))) return true;
  return UNAVAILABLE_MESSAGE.test((err as Error)?.message ?? '');
}
