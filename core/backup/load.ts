// Reading the sealed body back: frames -> gunzip -> lines -> batched inserts, checking each table against the
// target's catalog. Row values stay the server's JSON text end to end; the database casts them to the column types.
import { StringDecoder } from 'node:string_decoder';
import { sqlState, type Db } from '../db/db.js';
import { quoteIdent, type TableInfo } from './catalog.js';
import { BackupError, type EndRecord, type SequenceRecord, type TableRecord } from './format.js';

const BATCH_ROWS = 1000;
const BATCH_CHARS = 4 * 1024 * 1024;

export interface Loaded {
  rows: Record<string, number>;
  sequences: SequenceRecord[];
}

/** Inserts every row of the body into `target` (tables by name); the caller owns the transaction. */
export async function loadBody(tx: Db, body: AsyncIterable<Buffer>, target: Map<string, TableInfo>): Promise<Loaded> {
  const rows: Record<string, number> = {};
  const sequences: SequenceRecord[] = [];
  let table: TableLoader | undefined;
  let end: EndRecord | undefined;
  for await (const line of lines(body)) {
    if (end) throw damaged('it has data after its end record');
    if (line.startsWith('[')) {
      if (!table) throw damaged('a row comes before any table');
      await table.add(line);
      continue;
    }
    const record = parse(line);
    if (table) rows[table.name] = await table.finish();
    table = undefined;
    if (isTable(record)) {
      if (record.table in rows) throw damaged(`table ${record.table} appears twice`);
      table = new TableLoader(tx, record, target.get(record.table));
    } else if (isSequence(record)) {
      sequences.push(record);
    } else if (isEnd(record)) {
      end = record;
    } else {
      throw damaged('it holds a record of an unknown kind');
    }
  }
  if (!end) throw new BackupError('The backup file is incomplete: its end record is missing.');
  const expected = Object.entries(end.tables).sort();
  const found = Object.entries(rows).sort();
  if (JSON.stringify(expected) !== JSON.stringify(found)) throw damaged('the rows read differ from the counts it records');
  return { rows, sequences };
}

class TableLoader {
  readonly name: string;
  private readonly insert: string;
  private batch: string[] = [];
  private chars = 0;
  private count = 0;

  constructor(
    private readonly tx: Db,
    record: TableRecord,
    target: TableInfo | undefined,
  ) {
    this.name = record.table;
    if (!target) throw schemaMismatch(`table ${record.table} does not exist here`);
    const types = new Map(target.columns.map((c, i) => [c, target.types[i]]));
    if (record.columns.length !== target.columns.length) throw schemaMismatch(`table ${record.table} has other columns here`);
    record.columns.forEach((column, i) => {
      if (types.get(column) !== record.types[i]) throw schemaMismatch(`column ${record.table}.${column} differs here`);
    });
    const casts = record.columns.map((c, i) => `(r->>${i})::${types.get(c)}`).join(', ');
    // rows of another length are filtered out and then counted as missing, so a malformed row fails the restore
    this.insert = `with inserted as (
        insert into ${quoteIdent(record.table)} (${record.columns.map(quoteIdent).join(', ')}) overriding system value
        select ${casts} from jsonb_array_elements($1::jsonb) r where jsonb_array_length(r) = ${record.columns.length}
        returning 1)
      select count(*)::int as n from inserted`;
  }

  async add(row: string): Promise<void> {
    this.batch.push(row);
    this.chars += row.length;
    if (this.batch.length >= BATCH_ROWS || this.chars >= BATCH_CHARS) await this.flush();
  }

  async finish(): Promise<number> {
    await this.flush();
    return this.count;
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    let inserted: number;
    try {
      [{ n: inserted }] = await this.tx.query<{ n: number }>(this.insert, [`[${this.batch.join(',')}]`]);
    } catch (err) {
      // the server's message can quote a value; say where and what kind of failure, never the data
      const constraint = (err as { constraint?: string }).constraint;
      throw new BackupError(
        `Restoring table ${this.name} failed (SQLSTATE ${sqlState(err) ?? 'unknown'}${constraint ? `, constraint ${constraint}` : ''}).`,
      );
    }
    if (inserted !== this.batch.length) throw damaged(`a row of table ${this.name} has the wrong number of values`);
    this.count += inserted;
    this.batch = [];
    this.chars = 0;
  }
}

/** Lines split on \n only (the server's JSON escapes every control character inside strings). */
async function* lines(body: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of body) {
    const parts = (rest + decoder.write(chunk)).split('\n');
    rest = parts.pop()!;
    yield* parts;
  }
  rest += decoder.end();
  if (rest) throw damaged('its last line is cut');
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw damaged('a line is not JSON');
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTable = (v: unknown): v is TableRecord =>
  isObject(v) && typeof v.table === 'string' && Array.isArray(v.columns) && Array.isArray(v.types) && v.columns.length === v.types.length;
const isSequence = (v: unknown): v is SequenceRecord => isObject(v) && typeof v.sequence === 'string' && typeof v.is_called === 'boolean';
const isEnd = (v: unknown): v is EndRecord => isObject(v) && v.end === true && isObject(v.tables);

function damaged(what: string): BackupError {
  return new BackupError(`The backup file is damaged: ${what}.`);
}

function schemaMismatch(what: string): BackupError {
  return new BackupError(`The backup does not fit this database's schema: ${what}, although the migrations match.`);
}
