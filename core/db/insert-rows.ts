// Set-based inserts: the rows are bound as one JSON document and unpacked by jsonb_to_recordset, one statement
// for one row or 10,000, much cheaper to bind than an array parameter per column (jsonb[] especially).
import type { Db } from './db.js';

export interface Column {
  /** A column name from the code, never from input. */
  name: string;
  /** Its SQL type: text, uuid, date, boolean, float8, jsonb, ... */
  type: string;
}

export async function insertRows(db: Db, table: string, columns: readonly Column[], rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map((c) => c.name).join(', ');
  await db.query(
    `insert into ${table} (${names}) select ${names} from jsonb_to_recordset($1::jsonb) as t(${columns.map((c) => `${c.name} ${c.type}`).join(', ')})`,
    [JSON.stringify(rows)],
  );
}
