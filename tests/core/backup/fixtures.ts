// Data for the backup tests: rows at the edges of what the registry tables hold, a table of awkward types (created in
// source and target alike, as a later migration would), and a per-table fingerprint computed by the database.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db } from '../../../core/db/db.js';
import { openPglite } from '../../../core/db/pglite.js';
import { openPostgres } from '../../../core/db/postgres.js';
import { createTestDatabase } from '../../helpers/databases.js';
import { copyDataFolder } from '../../helpers/pglite-template.js';
import type { DbEngineName } from '../../helpers/services.js';

export const EDGE_NAME = 'Ørsted-Ñúñez 👩‍👩‍👧';
export const EDGE_AREA = 'Zürich-Ōsaka ☃ "quoted" \\ back';

/** Rows the generator never makes: nulls, unicode, nested jsonb, microseconds, a self-reference stored child first. */
export async function addEdgeRows(db: Db): Promise<void> {
  await db.query(
    `insert into admin_area (code, name, level, parent_code, path, created_at) values
       ('ZZ', $1, 0, null, '/ZZ/', '2024-02-29 23:59:59.123456+00'),
       ('ZZ-1', E'line\\nbreak\\ttab \\u2028 sep', 1, 'ZZ', '/ZZ/ZZ-1/', '1999-12-31 00:00:00.000001+05:30')`,
    [EDGE_AREA],
  );
  // the parent's new version goes to the end of the table: a scan now meets the child before its parent
  await db.query(`update admin_area set name = name || '.' where code = 'ZZ'`);
  await db.query(
    `insert into person (id, given_name, family_name, attributes, channel, created_by, updated_by, created_at, updated_at)
     values ($1, 'Ŋgozi', $2, $3, 'connector', 'test', 'test', '2024-01-01 00:00:00.000001+00', '2024-01-01 00:00:00.999999+00'),
            ($4, null, null, '{}', 'online', 'test', 'test', default, default)`,
    [
      '01900000-0000-7000-8000-000000000001',
      EDGE_NAME,
      JSON.stringify({ nested: { a: [1, 2.5, { b: null }], big: 1e100, s: 'x"y\\z\n' }, empty: {}, list: [] }),
      '01900000-0000-7000-8000-000000000002',
    ],
  );
  await db.query(`insert into record_history (entity, entity_id, version, changed_at, changed_by, channel, changes)
                  values ('person', '01900000-0000-7000-8000-000000000001', 7, '2030-01-01 12:00:00.000123+00', 'test', 'connector',
                          '{"given_name": {"old": null, "new": "Ŋgozi"}, "n": 1.10}')`);
  // the sequence runs ahead of the highest id (rolled-back inserts do this): its own value must survive
  await db.query(`select nextval('record_history_id_seq') from generate_series(1, 5)`);
  await db.query(`insert into idempotency_key (principal_id, operation, key, request_hash, status, response)
                  values ('p', 'op', 'k', 'h', null, null)`);
}

/** A table of every awkward type, as a later migration might add; the test creates it on both sides. */
export async function createZoo(db: Db): Promise<void> {
  await db.execScript(`
    create type zoo_mood as enum ('sad', 'ok', 'happy');
    create sequence zoo_ticket;
    create table zoo (
      id         integer generated always as identity primary key,
      parent_id  integer references zoo (id),
      raw        bytea,
      tags       text[],
      matrix     integer[][],
      amount     numeric(16, 4),
      ratio      double precision,
      tiny       real,
      span       interval,
      local_time timestamp(6),
      clock      time,
      short      varchar(8),
      doc        json,
      mood       zoo_mood,
      flags      bit varying(8),
      born       date,
      big        bigint,
      ok         boolean,
      shout      text generated always as (upper(short)) stored,
      touched    text
    );
    create function zoo_touch() returns trigger language plpgsql as $$ begin new.touched := 'trigger ran'; return new; end $$;
    create trigger zoo_touch before insert on zoo for each row execute function zoo_touch();`);
}

export async function fillZoo(db: Db): Promise<void> {
  await db.query(`insert into zoo (raw, tags, matrix, amount, ratio, tiny, span, local_time, clock, short, doc, mood, flags, born, big, ok)
    values ('\\x00ff10'::bytea, '{a,"b c",NULL,"q\\"uote"}', '{{1,2},{3,4}}', 123456789012.3456, 0.1::float8 + 0.2::float8, 3.4028235e38,
            '1 year 2 mons 3 days 04:05:06.789', '2024-06-01 12:34:56.789012', '23:59:59.999999', 'ab', '{"b": 1,  "a" : [1,2 ], "a": "dup"}',
            'happy', B'1011', '0044-03-15 BC', 9007199254740993, true),
           (null, '{}', null, 'NaN', '-Infinity', 1e-40, '-00:00:00.000001', 'infinity', '00:00', '', 'null', 'sad', B'', 'infinity', -9223372036854775808, false)`);
  await db.query(`insert into zoo (parent_id, ratio) values (1, 1e-310), (2, 'NaN')`);
  await db.query(`insert into zoo default values`);
  // a scan meets rows 2-4 before their parent's new version; 'edited' shows whether the insert trigger ran on restore
  await db.query(`update zoo set touched = 'edited', short = 'Zz' where id = 1`);
  await db.query(`select nextval('zoo_ticket') from generate_series(1, 3)`);
}

export interface TableFingerprint {
  rows: number;
  hash: string;
}

/** Row count and an order-independent hash of every row's text, per table, plus each sequence's state. */
export async function fingerprint(db: Db): Promise<Record<string, TableFingerprint | string>> {
  return db.transaction(async (tx) => {
    for (const s of ["timezone = 'UTC'", "datestyle = 'ISO, YMD'", "intervalstyle = 'postgres'", 'extra_float_digits = 3', "bytea_output = 'hex'"]) {
      await tx.query(`set local ${s}`);
    }
    const result: Record<string, TableFingerprint | string> = {};
    const tables = await tx.query<{ name: string }>(
      `select table_name::text as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`,
    );
    for (const { name } of tables) {
      const [row] = await tx.query<TableFingerprint>(
        `select count(*)::int as rows, coalesce(md5(string_agg(t::text, '|' order by t::text collate "C")), '') as hash from "${name}" t`,
      );
      result[name] = row;
    }
    // pg_class, not information_schema.sequences: that view leaves out the sequences of identity columns
    const sequences = await tx.query<{ name: string }>(
      `select relname::text as name from pg_class where relkind = 'S' and relnamespace = current_schema()::regnamespace order by 1`,
    );
    for (const { name } of sequences) {
      const [s] = await tx.query<{ state: string }>(`select last_value || ' ' || is_called as state from "${name}"`);
      result[`sequence ${name}`] = s.state;
    }
    return result;
  });
}

/** A database with nothing in it, not even the migrations. */
export async function openBlankDb(engine: DbEngineName): Promise<Db> {
  if (engine === 'pglite') return openBlankPglite();
  const database = await createTestDatabase(engine);
  const db = await openPostgres(database.url!, 2);
  return {
    ...db,
    async close() {
      await db.close();
      await database.drop();
    },
  };
}

// initdb in WASM costs seconds of CPU: done once per test file, each blank PGlite database is a copy of its folder
let blankFolder: Promise<string> | undefined;

function blankPgliteFolder(): Promise<string> {
  blankFolder ??= (async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'srhub-blank-pglite-'));
    await (await openPglite(folder)).close();
    return folder;
  })();
  return blankFolder;
}

async function openBlankPglite(): Promise<Db> {
  const folder = await mkdtemp(path.join(tmpdir(), 'srhub-blank-db-'));
  await copyDataFolder(await blankPgliteFolder(), folder);
  const db = await openPglite(folder);
  return {
    ...db,
    async close() {
      await db.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** Removes the blank PGlite folder the file's blank databases were copied from (its afterAll). */
export async function dropBlankPglite(): Promise<void> {
  const folder = await blankFolder;
  blankFolder = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
}

export const masterKey = () => randomBytes(32);
