import type { Db } from '../../../core/db/db.js';
import { insertRows } from '../../../core/db/insert-rows.js';
import { openTestDb } from '../../helpers/databases.js';
import { dbEngines } from '../../helpers/services.js';

// text the array literals must carry unchanged: quotes, backslashes, control characters, what looks like NULL or
// like an array, non-ASCII
const AWKWARD = ['plain', 'q"uote', 'back\\slash', '\\n (a backslash and an n)', 'line\nbreak', 'tab\t', '\u0001', 'NULL', 'null', '',
  '{a,b}', ' spaced ', 'a\\"b', 'x\\\\n', 'é ü 漢字 😀'];

const COLUMNS = [
  { name: 'id', type: 'int' },
  { name: 'label', type: 'text' },
  { name: 'tags', type: 'text[]' },
  { name: 'doc', type: 'jsonb' },
  { name: 'at', type: 'timestamptz' },
  { name: 'flag', type: 'boolean' },
  { name: 'score', type: 'float8' },
  { name: 'kind', type: 'text' },
];

interface Row {
  id: number;
  label: string | null;
  tags: (string | null)[] | null;
  doc: unknown;
  at: Date | null;
  flag: boolean | null;
  score: number | null;
  kind: string;
}

describe.each(dbEngines())('insertRows on %s', (engine) => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb(engine);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.execScript(`drop table if exists insert_rows_probe;
      create table insert_rows_probe (id int primary key, label text, tags text[], doc jsonb, at timestamptz, flag boolean, score float8, kind text not null)`);
  });

  const read = () => db.query<Row>('select id, label, tags, doc, at, flag, score, kind from insert_rows_probe order by id');

  it('writes every value back exactly as given, awkward text included', async () => {
    const rows: Row[] = AWKWARD.map((text, i) => ({
      id: i,
      label: text,
      tags: [text, null, 'k'],
      doc: { text, list: [text, 1, null], nested: { ok: i % 2 === 0 } },
      at: new Date(Date.UTC(2026, 0, 31, 9, 30, 0, i)),
      flag: i % 2 === 0,
      score: i / 4,
      kind: i < 5 ? 'a' : 'b',
    }));
    rows.push({ id: 99, label: null, tags: null, doc: null, at: null, flag: null, score: null, kind: 'b' });
    await insertRows(db, 'insert_rows_probe', COLUMNS, rows);
    const back = await read();
    expect(back.map((r) => ({ ...r, at: r.at && new Date(r.at).toISOString() }))).toEqual(
      rows.map((r) => ({ ...r, at: r.at && r.at.toISOString() })),
    );
  });

  it('binds a value shared by every row once, and still writes it to each', async () => {
    const rows = [1, 2, 3].map((id) => ({ id, label: 'same', tags: ['x'], doc: null, at: null, flag: true, score: 0.5, kind: 'k"' }));
    await insertRows(db, 'insert_rows_probe', COLUMNS, rows);
    expect(await read()).toEqual(rows.map((r) => ({ ...r })));
  });

  it('writes one row, undefined fields as nulls', async () => {
    await insertRows(db, 'insert_rows_probe', COLUMNS, [{ id: 7, label: 'line\nbreak', kind: 'one' }]);
    expect(await read()).toEqual([{ id: 7, label: 'line\nbreak', tags: null, doc: null, at: null, flag: null, score: null, kind: 'one' }]);
  });

  it('writes nothing for no rows', async () => {
    await insertRows(db, 'insert_rows_probe', COLUMNS, []);
    expect(await read()).toEqual([]);
  });
});
