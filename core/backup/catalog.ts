// What backup and restore learn from the catalog of the current schema, so tables added by later migrations are
// included without code changes: tables and their columns, sequences, foreign keys, user triggers.
import type { Db } from '../db/db.js';

export interface TableInfo {
  name: string;
  /** Stored columns in order; generated columns are left out (the database computes them again). */
  columns: string[];
  /** format_type of each column, e.g. 'timestamp with time zone', 'character varying(20)', 'text[]'. */
  types: string[];
}

export interface ForeignKey {
  /** As regclass text: already quoted where needed. */
  table: string;
  name: string;
  definition: string;
}

export interface UserTrigger {
  table: string;
  name: string;
  /** pg_trigger.tgenabled: O (origin), R (replica), A (always). */
  enabled: string;
}

export interface OwnedSequence {
  sequence: string;
  table: string;
  column: string;
}

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

const IN_SCHEMA = 'relnamespace = current_schema()::regnamespace';

/** Plain tables (partitions included, partitioned parents not: their rows live in the partitions). */
export async function listTables(db: Db): Promise<TableInfo[]> {
  const rows = await db.query<{ table: string; column: string | null; type: string | null }>(
    `select c.relname::text as "table", a.attname::text as "column", format_type(a.atttypid, a.atttypmod) as "type"
       from pg_class c
       left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
      where c.relkind = 'r' and c.${IN_SCHEMA}
      order by c.relname, a.attnum`,
  );
  const tables = new Map<string, TableInfo>();
  for (const row of rows) {
    let table = tables.get(row.table);
    if (!table) tables.set(row.table, (table = { name: row.table, columns: [], types: [] }));
    if (row.column !== null) {
      table.columns.push(row.column);
      table.types.push(row.type!);
    }
  }
  return [...tables.values()];
}

export async function listSequences(db: Db): Promise<string[]> {
  const rows = await db.query<{ name: string }>(`select relname::text as name from pg_class where relkind = 'S' and ${IN_SCHEMA} order by 1`);
  return rows.map((r) => r.name);
}

/** Sequences that feed a column (serial, identity), to move them past the highest value restored. */
export async function listOwnedSequences(db: Db): Promise<OwnedSequence[]> {
  return db.query<OwnedSequence>(
    `select s.relname::text as sequence, t.relname::text as "table", a.attname::text as "column"
       from pg_depend d
       join pg_class s on s.oid = d.objid and s.relkind = 'S'
       join pg_class t on t.oid = d.refobjid
       join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
      where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
        and s.${IN_SCHEMA}`,
  );
}

export async function listForeignKeys(db: Db): Promise<ForeignKey[]> {
  return db.query<ForeignKey>(
    `select conrelid::regclass::text as "table", conname::text as name, pg_get_constraintdef(oid) as definition
       from pg_constraint where contype = 'f' and connamespace = current_schema()::regnamespace order by 1, 2`,
  );
}

export interface SecondaryIndex {
  /** As regclass text: already quoted where needed. */
  name: string;
  definition: string;
}

/** Indexes that back no constraint: restore builds them once after loading, faster than row by row. */
export async function listSecondaryIndexes(db: Db): Promise<SecondaryIndex[]> {
  return db.query<SecondaryIndex>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
       from pg_index i join pg_class c on c.oid = i.indrelid
      where c.${IN_SCHEMA} and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid)
      order by 1`,
  );
}

export async function listUserTriggers(db: Db): Promise<UserTrigger[]> {
  return db.query<UserTrigger>(
    `select t.tgrelid::regclass::text as "table", t.tgname::text as name, t.tgenabled::text as enabled
       from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where not t.tgisinternal and t.tgenabled <> 'D' and c.${IN_SCHEMA} order by 1, 2`,
  );
}
