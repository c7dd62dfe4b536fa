import { parseCsv } from '../../../core/import/csv-parser.js';
import { readHeader, readHouseholds, type CsvHousehold } from '../../../core/import/households-csv.js';

async function* chunksOf(text: string): AsyncGenerator<string> {
  yield text;
}

async function read(text: string): Promise<{ headerErrors: unknown[]; households: CsvHousehold[] }> {
  const records = parseCsv(chunksOf(text));
  const first = await records.next();
  const { header, errors } = readHeader(first.value!);
  const households: CsvHousehold[] = [];
  if (errors.length === 0) for await (const h of readHouseholds(records, header)) households.push(h);
  return { headerErrors: errors, households };
}

const HEADER = 'household_ref,area_code,address,latitude,longitude,relationship,given_name,family_name,sex,birth_date,birth_date_estimated,identifier_type,identifier_value,disabilities';

describe('households from CSV rows', () => {
  it('groups consecutive rows by household_ref and converts the cells', async () => {
    const { households } = await read(
      `${HEADER}\n` +
        'H1,R1-D1,Plot 4,-1.5,36.25,SELF,Amina,Otieno,female,1980-05-01,false,UIN,1234567890,VIS_SS|MOB_SS\n' +
        'H1,,,,,CHILD,Baraka,Otieno,male,2015-01-01,1,,,\n' +
        'H2,R1-D2,,,,SELF, Chebet ,,female,,,,,\n',
    );
    expect(households).toEqual([
      {
        ref: 'H1',
        lines: [2, 3],
        errors: [],
        household: {
          area_code: 'R1-D1',
          address: 'Plot 4',
          location: { latitude: -1.5, longitude: 36.25 },
          members: [
            {
              relationship: 'SELF',
              person: {
                given_name: 'Amina',
                family_name: 'Otieno',
                sex: 'female',
                birth_date: '1980-05-01',
                birth_date_estimated: false,
                identifiers: [{ type: 'UIN', value: '1234567890' }],
                disabilities: ['VIS_SS', 'MOB_SS'],
              },
            },
            { relationship: 'CHILD', person: { given_name: 'Baraka', family_name: 'Otieno', sex: 'male', birth_date: '2015-01-01', birth_date_estimated: true } },
          ],
        },
      },
      { ref: 'H2', lines: [4], errors: [], household: { area_code: 'R1-D2', members: [{ relationship: 'SELF', person: { given_name: 'Chebet', sex: 'female' } }] } },
    ]);
  });

  it('takes columns in any order, ignoring case and spaces in the header, and skips blank rows', async () => {
    const { households } = await read(' Family_Name ,RELATIONSHIP,household_ref,area_code\r\nOtieno,SELF,H1,R1\r\n,,,\r\n\r\n');
    expect(households).toEqual([
      { ref: 'H1', lines: [2], errors: [], household: { area_code: 'R1', members: [{ relationship: 'SELF', person: { family_name: 'Otieno' } }] } },
    ]);
  });

  it('names unknown, missing and repeated columns in the header', async () => {
    const { headerErrors } = await read('household_ref,given_name,nickname,Given_Name,shoe_size,\nH1,A,B,C,D,\n');
    expect(headerErrors).toEqual([
      { line: 1, column: '', message: 'the header names the column given_name twice' },
      { line: 1, column: '', message: 'header column 6 has no name' },
      { line: 1, column: '', message: expect.stringMatching(/^unknown columns nickname, shoe_size \(known: household_ref, area_code, /) },
      { line: 1, column: '', message: 'missing required columns area_code, relationship' },
    ]);
  });

  it('reports cells that cannot be converted, by line and column, without their values', async () => {
    const { households } = await read(
      `${HEADER}\n` +
        'H1,R1,,north,36.2,SELF,Amina,,,01/05/1980,maybe,,,\n' +
        'H1,,,,,CHILD,Baraka,,,2023-02-30,,UIN,,\n' +
        'H2,R1,,1.5,,SELF,Chebet,,,,,,12345,\n',
    );
    expect(households.map((h) => h.errors)).toEqual([
      [
        { line: 2, column: 'latitude', message: 'is not a number (write decimals with a dot, e.g. -1.2921)' },
        { line: 2, column: 'birth_date', message: 'is not a date written YYYY-MM-DD' },
        { line: 2, column: 'birth_date_estimated', message: 'must be true, false, 1, 0 or blank' },
        { line: 3, column: 'birth_date', message: 'is not a date written YYYY-MM-DD' },
        { line: 3, column: 'identifier_value', message: 'is needed with identifier_type' },
      ],
      [
        { line: 4, column: 'longitude', message: 'is needed with the other coordinate (give both or neither)' },
        { line: 4, column: 'identifier_type', message: 'is needed with identifier_value' },
      ],
    ]);
    const text = JSON.stringify(households.map((h) => h.errors));
    for (const value of ['north', '01/05/1980', 'maybe', '12345', 'Amina']) expect(text).not.toContain(value);
  });

  it('rejects the later rows of a household_ref that comes back after another one', async () => {
    const { households } = await read(
      'household_ref,area_code,relationship,given_name\nH1,R1,SELF,A\nH1,,CHILD,B\nH2,R1,SELF,C\nH1,R1,SELF,D\nH1,,CHILD,E\nH3,R1,SELF,F\n',
    );
    expect(households.map((h) => ({ ref: h.ref, lines: h.lines, errors: h.errors }))).toEqual([
      { ref: 'H1', lines: [2, 3], errors: [] },
      { ref: 'H2', lines: [4], errors: [] },
      {
        ref: 'H1',
        lines: [5, 6],
        errors: [{ line: 5, column: 'household_ref', message: 'was used before (from line 2); the rows of a household must be consecutive' }],
      },
      { ref: 'H3', lines: [7], errors: [] },
    ]);
  });

  it('refuses household cells of later rows that contradict the first row, and rows without a ref', async () => {
    const { households } = await read(
      'household_ref,area_code,address,latitude,longitude,relationship,given_name\n' +
        'H1,R1,Plot 4,1.50,2,SELF,A\nH1,R1,Plot 4,1.5,2.0,CHILD,B\nH1,R2,Plot 5,,,CHILD,C\n,R1,,,,SELF,D\nH2,R1,,,,SELF,E,extra\n',
    );
    // the row without a ref comes out at once; H1 is complete only when H2 starts
    expect(households.map((h) => ({ ref: h.ref, lines: h.lines, errors: h.errors }))).toEqual([
      { ref: '', lines: [5], errors: [{ line: 5, column: 'household_ref', message: 'is required: it says which household the row belongs to' }] },
      {
        ref: 'H1',
        lines: [2, 3, 4],
        errors: [
          { line: 4, column: 'area_code', message: "differs from the household's first row (line 2); leave it blank or repeat the same value" },
          { line: 4, column: 'address', message: "differs from the household's first row (line 2); leave it blank or repeat the same value" },
        ],
      },
      { ref: 'H2', lines: [6], errors: [{ line: 6, column: '', message: 'has 8 fields; the header has 7' }] },
    ]);
  });

  it('caps a household at 100 rows, so a runaway ref cannot hold the file in memory', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => `H1,R1,${i === 0 ? 'SELF' : 'CHILD'},P${i}`).join('\n');
    const { households } = await read(`household_ref,area_code,relationship,given_name\n${rows}\n`);
    expect(households).toHaveLength(1);
    expect(households[0].lines).toHaveLength(150);
    expect(households[0].household.members).toHaveLength(100);
    expect(households[0].errors).toEqual([
      { line: 102, column: 'household_ref', message: 'a household has at most 100 members; rows from here on are too many' },
    ]);
  });
});
