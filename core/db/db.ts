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
