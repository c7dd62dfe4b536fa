// Set-based inserts: one statement for one row or 10,000, each column bound as one array parameter and the rows
// zipped back together by unnest (ROWS FROM). The earlier form, all rows as one JSON document unpacked by
// jsonb_to_recordset, made the database parse every row's keys: about half the audit_log insert's CPU. Measured in
// docs/benchmarks.md ("Bulk registration, second pass").
import type { Db } from './db.js';

export interface Column {
  /** A column name from the code, never from input. */
  name: string;
  /** Its SQL type: text, uuid, date, boolean, float8, jsonb, text[], ... */
  type: string;
}

export async function insertRows(db: Db, table: string, columns: readonly Column[], rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map((c) => c.name).join(', ');
  const params: unknown[] = [];
  const sources: string[] = [];
  const aliases: string[] = [];
  const select = columns.map(({ name, type }) => {
    const raw = (rows as readonly Record<string, unknown>[]).map((r) => r[name] ?? null);
    // a value every row shares (the batch's actor, channel, time, ...) is bound once rather than once per row
    const first = raw[0];
    if ((first === null || typeof first !== 'object') && raw.every((v) => v === first)) {
      return `$${params.push(first === null ? null : bound(first, type))}::${type} as ${name}`;
    }
    aliases.push(name);
    if (type === 'jsonb' || type === 'json') {
      // one JSON document of the column's values, split by the database; a JSON null stands for SQL null, as before
      sources.push(`jsonb_array_elements($${params.push(JSON.stringify(raw))}::jsonb)`);
      return `nullif(${name}, 'null'::jsonb)::${type} as ${name}`;
    }
    if (type.endsWith('[]')) {
      // an array column travels as the literals of its values in a text[] (unnest would flatten two dimensions)
      sources.push(`unnest($${params.push(arrayLiteral(raw.map((v) => (v === null ? null : bound(v, type)))))}::text[])`);
      return `${name}::${type}`;
    }
    sources.push(`unnest($${params.push(arrayLiteral(raw))}::${type}[])`);
    return name;
  });
  const from = sources.length ? ` from rows from (${sources.join(', ')}) as t(${aliases.join(', ')})` : ` from generate_series(1, ${rows.length})`;
  await db.query(`insert into ${table} (${names}) select ${select.join(', ')}${from}`, params);
}

/** One value as the text it is bound with: JSON for json, a literal for arrays. */
function bound(v: unknown, type: string): string {
  if (type === 'jsonb' || type === 'json') return JSON.stringify(v);
  if (type.endsWith('[]')) return arrayLiteral(v as readonly unknown[]);
  return typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : String(v);
}

// JSON's string escapes for `"` and `\` are the array literal's; its escapes of control characters and lone
// surrogates (\n, \u0000) are not (the literal would read them as n, u0000): a text holding one of those takes the
// slow path. The pattern finds such an escape after an even number of backslashes (\\n is a backslash and an n).
const CONTROL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\[bfnrtu]/;
const SPECIALS = /["\\]/g;

/**
 * A one-dimensional array's literal from strings, numbers, booleans, dates and nulls, strings quoted so none can be
 * read as NULL or split. Built by JSON.stringify where it gives the same text: one native pass (building the text
 * here cost several times more CPU and garbage for 10,000 values).
 */
function arrayLiteral(values: readonly unknown[]): string {
  const json = JSON.stringify(values);
  if (!json.includes('\\') || !CONTROL_ESCAPE.test(json)) return `{${json.slice(1, -1)}}`;
  const element = (v: unknown) => (v === null || v === undefined ? 'NULL' : `"${bound(v, 'text').replace(SPECIALS, '\\$&')}"`);
  return `{${values.map(element).join(',')}}`;
}
