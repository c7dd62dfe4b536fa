// Writing one chunk of seeded rows (bulk-rows.ts) in a single statement: one data-modifying CTE per table, each
// unpacking its rows from one JSON parameter (as core/db/insert-rows.ts does), so a chunk of 20,000 persons is one
// round trip and one implicit transaction's worth of work; the foreign keys are checked at the statement's end.
import type { Db } from '../db/index.js';
import { PERSON_FIELDS } from '../registry/persons/store.js';
import type { SeedRows } from './bulk-rows.js';

interface Table {
  name: string;
  columns: [name: string, type: string][];
  /** The select list over the recordset t; the columns as they are when absent. */
  select?: string;
  rows: (r: SeedRows) => object[];
}

const PERSON_TYPES: Record<string, string> = {
  birth_date: 'date', birth_date_estimated: 'boolean', death_date: 'date', disabilities: 'jsonb', vulnerabilities: 'jsonb', attributes: 'jsonb',
};

const TABLES: Table[] = [
  {
    name: 'person',
    columns: [['id', 'uuid'], ...PERSON_FIELDS.map((f): [string, string] => [f, PERSON_TYPES[f] ?? 'text']), ['channel', 'text'], ['created_by', 'text'], ['updated_by', 'text']],
    rows: (r) => r.persons.map((p) => ({ ...p, updated_by: p.created_by })),
  },
  {
    name: 'person_identifier',
    columns: [['person_id', 'uuid'], ['id_type', 'text'], ['value_index', 'text'], ['value_sealed', 'text'], ['issued_by_hub', 'boolean']],
    rows: (r) => r.identifiers,
  },
  {
    name: 'household',
    columns: [
      ['id', 'uuid'], ['household_type', 'text'], ['address', 'text'], ['area_code', 'text'], ['latitude', 'float8'], ['longitude', 'float8'],
      ['head_person_id', 'uuid'], ['attributes', 'jsonb'], ['channel', 'text'], ['created_by', 'text'], ['updated_by', 'text'],
    ],
    rows: (r) => r.households.map((h) => ({ ...h, updated_by: h.created_by })),
  },
  {
    name: 'membership',
    columns: [['id', 'uuid'], ['household_id', 'uuid'], ['person_id', 'uuid'], ['relationship', 'text'], ['start_date', 'date']],
    rows: (r) => r.memberships,
  },
  {
    name: 'dedup_match_key',
    columns: [['person_id', 'uuid'], ['person_version', 'int'], ['name_key', 'text'], ['name_tokens', 'jsonb'], ['phonetic_key', 'text'], ['birth_date', 'date'], ['birth_year', 'int']],
    select: 't.person_id, t.person_version, t.name_key, array(select jsonb_array_elements_text(t.name_tokens)), t.phonetic_key, t.birth_date, t.birth_year',
    rows: (r) => r.matchKeys,
  },
  {
    name: 'record_history',
    columns: [['entity', 'text'], ['entity_id', 'uuid'], ['version', 'int'], ['changed_by', 'text'], ['channel', 'text'], ['changes', 'jsonb']],
    rows: (r) => r.history.map((e) => ({ entity: e.entity, entity_id: e.entityId, version: e.version, changed_by: e.changedBy, channel: e.channel, changes: e.changes })),
  },
];

const STATEMENT = `with ${TABLES.map((t, i) => {
  const names = t.columns.map(([name]) => name).join(', ');
  const record = t.columns.map(([name, type]) => `${name} ${type}`).join(', ');
  return `w${i} as (insert into ${t.name} (${names}) select ${t.select ?? names} from jsonb_to_recordset($${i + 1}::jsonb) as t(${record}))`;
}).join(',\n')}
select 1`;

/** Writes the chunk's rows in one statement, in the caller's transaction. */
export async function writeSeedRows(db: Db, rows: SeedRows): Promise<void> {
  await db.query(STATEMENT, TABLES.map((t) => JSON.stringify(t.rows(rows))));
}
