import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvError, parseCsv, readCsvFile, type CsvRecord } from '../../../core/import/csv-parser.js';

async function* chunksOf(...chunks: string[]): AsyncGenerator<string> {
  for (const chunk of chunks) yield chunk;
}

async function parse(text: string | string[], options = {}): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const r of parseCsv(chunksOf(...(Array.isArray(text) ? text : [text])), options)) records.push(r);
  return records;
}

/** Every way of cutting the text in two, so no state is lost between chunks. */
async function parseEverySplit(text: string): Promise<CsvRecord[]> {
  const whole = await parse(text);
  for (let i = 1; i < text.length; i++) expect(await parse([text.slice(0, i), text.slice(i)])).toEqual(whole);
  expect(await parse(text.split(''))).toEqual(whole);
  return whole;
}

describe('CSV parser', () => {
  it('reads plain records with the line each starts on', async () => {
    expect(await parseEverySplit('a,b,c\n1,2,3\n')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', '2', '3'] },
    ]);
  });

  it('reads the last record without a final newline, and no record after a final newline', async () => {
    expect(await parse('a,b\n1,2')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
    ]);
    expect(await parse('a\n')).toEqual([{ line: 1, fields: ['a'] }]);
    expect(await parse('')).toEqual([]);
  });

  it('treats CRLF, LF and a lone CR as line ends, even split across chunks', async () => {
    expect(await parseEverySplit('a,b\r\n1,2\n3,4\r5,6\r\n')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 3, fields: ['3', '4'] },
      { line: 4, fields: ['5', '6'] },
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and newlines inside, counting the lines they span', async () => {
    const text = 'name,note\r\n"Doe, Jane","said ""hi""\r\nand left"\r\n"",x\n"a\nb\nc",""""\n';
    expect(await parseEverySplit(text)).toEqual([
      { line: 1, fields: ['name', 'note'] },
      { line: 2, fields: ['Doe, Jane', 'said "hi"\r\nand left'] },
      { line: 4, fields: ['', 'x'] },
      { line: 5, fields: ['a\nb\nc', '"'] },
    ]);
  });

  it('drops a byte order mark at the start only', async () => {
    expect(await parseEverySplit('\uFEFFa,b\n\uFEFF1,2\n')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['\uFEFF1', '2'] },
    ]);
  });

  it('keeps empty fields and blank lines', async () => {
    expect(await parse(',,\n\n"",\n')).toEqual([
      { line: 1, fields: ['', '', ''] },
      { line: 2, fields: [''] },
      { line: 3, fields: ['', ''] },
    ]);
  });

  it('keeps a quote inside an unquoted field as text', async () => {
    expect(await parse('5\'10",ab"c\n')).toEqual([{ line: 1, fields: ['5\'10"', 'ab"c'] }]);
  });

  it('marks a record with text after a closing quote, and goes on with the next', async () => {
    expect(await parse('"ab"c,d\nx,y\n')).toEqual([
      { line: 1, fields: ['abc', 'd'], error: 'column 1: a quoted field must end at its closing quote' },
      { line: 2, fields: ['x', 'y'] },
    ]);
  });

  it('marks a quoted field left open at the end of the file', async () => {
    expect(await parse('a,b\n1,"open\n2,3\n')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', 'open\n2,3\n'], error: 'column 2: the quoted field is never closed' },
    ]);
  });

  it('stops at a record longer than the limit (a quote left open in a big file)', async () => {
    const records = parse(['a\n"', 'x'.repeat(50), 'y'.repeat(50)], { maxRecordChars: 80 });
    await expect(records).rejects.toThrow(CsvError);
    await expect(records).rejects.toMatchObject({ line: 2 });
  });

  it('reads a file as a stream, in UTF-8, across chunk boundaries', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'srhub-csv-'));
    try {
      const file = path.join(dir, 'big.csv');
      const rows = Array.from({ length: 30_000 }, (_, i) => `${i},"Ñandú ${i}\r\nline two","é"`);
      await writeFile(file, `\uFEFFn,text,accent\r\n${rows.join('\r\n')}\r\n`);
      let count = 0;
      let last: CsvRecord | undefined;
      for await (const record of readCsvFile(file)) {
        count++;
        last = record;
      }
      expect(count).toBe(30_001);
      expect(last).toEqual({ line: 60_000, fields: ['29999', 'Ñandú 29999\r\nline two', 'é'] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
