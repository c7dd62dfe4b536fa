import { randomBytes } from 'node:crypto';
import { createSecrets } from '../../../core/keys/secrets.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Capture } from '../../helpers/capture.js';
import { loadConfig } from '../../../core/config.js';
import type { Db } from '../../../core/db/db.js';
import { importCsv } from '../../../core/import/import.js';
import { createLogger } from '../../../core/log.js';
import { createArea } from '../../../core/registry/areas/service.js';
import { readHousehold } from '../../../core/registry/households/service.js';
import { listPersons } from '../../../core/registry/persons/service.js';
import { systemContext, type Ctx } from '../../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../../core/server/principal.js';
import { openTestDb } from '../../helpers/databases.js';
import { dbEngines } from '../../helpers/services.js';

const HEADER = 'household_ref,area_code,address,latitude,longitude,relationship,given_name,family_name,sex,birth_date,identifier_type,identifier_value,disabilities';

// lines as an editor shows them: H2's address spans lines 4 and 5
const FILE = `${HEADER}
H1,R1-D1,Plot 4,-1.5,36.8,SELF,Amina,Otieno,female,1980-05-01,UIN,1000000001,
H1,,,,,CHILD,Baraka,Otieno,male,2012-03-04,,,VIS_SS
H2,R1-D2,"Plot 7
Block B",,,SELF,Chebet,Kiprop,female,1975-01-01,UIN,1000000002,
H3,R9,,,,SELF,Daudi,Mwangi,male,1990-01-01,UIN,1000000003,
H4,R1-D1,,,,SELF,Esther,Njeri,female,2999-01-01,,,
H4,,,,,SON,Fred,Njeri,male,2010-01-01,,,
H5,R1-D1,,,,SELF,Grace,Achieng,female,1985-02-02,UIN,1000000001,
H6,R1-D1,,,,CHILD,Hassan,Ali,male,2001-01-01,UIN,1000000006,
H7,R1-D1,,,,SELF,Imani,Juma,female,1970-01-01,UIN,1000000007,XX_SS
H8,R1-D1,"Plot 9, ""Green"" gate",,,SELF,Joseph,Kamau,male,1960-06-06,UIN,1000000008,
H8,,,,,WIFE,Khadija,Kamau,female,1965-07-07,BRN,B-77,
H8,,,,,DAU,Lulu,Kamau,female,2005-08-08,,,COG_SS|MOB_SS
H9,R1-D1,,,,SELF,Mary,Wanjiru,female,19800101,,,
H10,R1-D1,,,,SELF,Nuru,Said,female,,,,
H11,R1-D1,,,,SELF,Omari,Kamau,male,1990-09-09,UIN,1000000008,
`;

const PERSONAL_DATA = ['Amina', 'Otieno', 'Grace', 'Omari', 'Mary', '1000000001', '1000000008', '19800101', 'B-77', 'Plot'];


const count = async (db: Db, table: string) => (await db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0].n;

describe.each(dbEngines())('CSV import on %s', (engine) => {
  let db: Db;
  let ctx: Ctx;
  let dir: string;

  beforeEach(async () => {
    db = await openTestDb(engine);
    ctx = systemContext(loadConfig({ LOG_LEVEL: 'silent' }), db, createSecrets(randomBytes(32)), createLogger('silent'), SYSTEM_PRINCIPAL);
    await createArea(db, { code: 'R1', name: 'Region 1' });
    await createArea(db, { code: 'R1-D1', name: 'District 1', parent_code: 'R1' });
    await createArea(db, { code: 'R1-D2', name: 'District 2', parent_code: 'R1' });
    dir = await mkdtemp(path.join(tmpdir(), 'srhub-import-'));
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function csv(text: string): Promise<string> {
    const file = path.join(dir, `f${Math.random().toString(36).slice(2)}.csv`);
    await writeFile(file, text);
    return file;
  }

  it('writes the good households, reports the bad rows by line and column, and writes nothing of a rejected household', async () => {
    const progress = new Capture();
    const summary = await importCsv(ctx, await csv(FILE), { progress, batchSize: 3 });

    expect(summary).toMatchObject({ households: 4, acceptedRows: 7, rejectedRows: 8 });
    expect(summary.errors).toEqual([
      { line: 6, field: 'area_code', message: 'R9 is not a known admin area' },
      { line: 7, field: 'birth_date', message: expect.stringMatching(/^is in the future \(today is \d{4}-\d\d-\d\d\)$/) },
      { line: 9, field: 'identifier_value', message: 'UIN is already registered to another person' },
      { line: 10, field: 'relationship', message: 'exactly one member must be the head (relationship SELF); found 0' },
      { line: 11, field: 'disabilities', message: 'must be one of VIS_SS, HEAR_SS, MOB_SS, COG_SS, SC_SS, COM_SS' },
      { line: 15, field: 'birth_date', message: 'is not a date written YYYY-MM-DD' },
      { line: 17, field: 'identifier_value', message: 'UIN is also given at line 12' },
    ]);

    // the accepted ones read back through the registry, whole
    const [amina] = (await listPersons(ctx, { identifier_type: 'UIN', identifier_value: '1000000001', limit: 10 })).items;
    expect(amina).toMatchObject({ given_name: 'Amina', family_name: 'Otieno', birth_date: '1980-05-01', channel: 'bulk_import' });
    const h1 = await readHousehold(db, ctx, amina.household!.household_id);
    expect(h1).toMatchObject({ area_code: 'R1-D1', address: 'Plot 4', location: { latitude: -1.5, longitude: 36.8 }, size: 2, head_person_id: amina.id });
    // members come back in the order of the rows (their ids are time-ordered)
    expect(h1.members.map((m) => [m.relationship, m.person.given_name, m.person.disabilities])).toEqual([
      ['SELF', 'Amina', []],
      ['CHILD', 'Baraka', ['VIS_SS']],
    ]);
    const [joseph] = (await listPersons(ctx, { identifier_type: 'UIN', identifier_value: '1000000008', limit: 10 })).items;
    const h8 = await readHousehold(db, ctx, joseph.household!.household_id);
    expect(h8.address).toBe('Plot 9, "Green" gate');
    expect(h8.members.map((m) => [m.relationship, m.person.given_name, m.person.identifiers.map((i) => i.type), m.person.disabilities])).toEqual([
      ['SELF', 'Joseph', ['UIN'], []],
      ['WIFE', 'Khadija', ['BRN'], []],
      ['DAU', 'Lulu', ['SRID'], ['COG_SS', 'MOB_SS']],
    ]);
    const [chebet] = (await listPersons(ctx, { identifier_type: 'UIN', identifier_value: '1000000002', limit: 10 })).items;
    expect((await readHousehold(db, ctx, chebet.household!.household_id)).address).toBe('Plot 7\nBlock B');
    const [nuru] = (await listPersons(ctx, { given_name: 'Nuru', limit: 10 })).items;
    expect(nuru.identifiers).toEqual([{ type: 'SRID', value: expect.stringMatching(/^\d{11}$/), issued_by_hub: true }]);

    // nothing of the rejected households: not Esther and Fred (H4), not Grace (H5)
    expect(await count(db, 'household')).toBe(4);
    expect(await count(db, 'person')).toBe(7);
    expect(await count(db, 'membership')).toBe(7);
    for (const given_name of ['Esther', 'Fred', 'Grace', 'Omari']) expect((await listPersons(ctx, { given_name, limit: 10 })).items).toEqual([]);

    // the summary names lines and columns, never names or identifiers
    expect(progress.text).toContain('Imported 4 households (7 rows) in ');
    expect(progress.text).toContain('Rejected 8 rows');
    expect(progress.text).toContain('  line 6, area_code: R9 is not a known admin area\n');
    expect(progress.text).toContain('  line 17, identifier_value: UIN is also given at line 12\n');
    for (const value of PERSONAL_DATA) {
      expect(progress.text).not.toContain(value);
      expect(JSON.stringify(summary.errors)).not.toContain(value);
    }
  });

  it('run twice, rejects the second time every household with an identifier, and duplicates the ones without', async () => {
    const file = await csv(FILE);
    await importCsv(ctx, file, { batchSize: 3 });
    const again = await importCsv(ctx, file, { batchSize: 3 });
    // H1, H2 and H8 collide on their identifiers now; H10 has none, so nothing tells it is the same household
    expect(again).toMatchObject({ households: 1, acceptedRows: 1, rejectedRows: 14 });
    expect(again.errors.filter((e) => e.message === 'UIN is already registered to another person').map((e) => e.line)).toEqual([2, 4, 9, 12, 17]);
    expect(again.errors).toContainEqual({ line: 13, field: 'identifier_value', message: 'BRN is already registered to another person' });
    expect(await count(db, 'household')).toBe(5);
    expect((await listPersons(ctx, { given_name: 'Nuru', limit: 10 })).items).toHaveLength(2);
  });

  it('rejects every row when the header is wrong, and writes nothing', async () => {
    const summary = await importCsv(ctx, await csv('household_ref,area_code,relationship,given_name,nickname\nH1,R1,SELF,A,B\n\nH2,R1,SELF,C,D\n'));
    expect(summary).toMatchObject({
      households: 0,
      acceptedRows: 0,
      rejectedRows: 2,
      errors: [{ line: 1, field: '', message: expect.stringMatching(/^unknown column nickname \(known: /) }],
    });
    expect(await count(db, 'person')).toBe(0);
  });

  it('keeps each batch whole or absent when writing one fails', async () => {
    // a database that refuses the second batch's households, after its people are written
    await db.execScript(`
      create function refuse_boom() returns trigger language plpgsql as $$
      begin
        if new.address = 'BOOM' then raise exception 'refused by the test'; end if;
        return new;
      end $$;
      create trigger refuse_boom before insert on household for each row execute function refuse_boom();`);
    const rows = ['household_ref,area_code,address,relationship,given_name'];
    for (let i = 1; i <= 6; i++) rows.push(`H${i},R1,${i === 5 ? 'BOOM' : `Plot ${i}`},SELF,P${i}`, `H${i},,,CHILD,C${i}`);
    const progress = new Capture();
    await expect(importCsv(ctx, await csv(rows.join('\n')), { batchSize: 3, progress })).rejects.toThrow(
      /^writing the households from line 8 on failed \(refused by the test, SQLSTATE P0001\); the households before line 8 are imported$/,
    );
    expect(await count(db, 'household')).toBe(3);
    expect(await count(db, 'person')).toBe(6);
    expect(await count(db, 'record_history')).toBe(9);
    expect(progress.text).toContain('Imported 3 households (6 rows)');
  });

  it('redraws one line on a terminal', async () => {
    const rows = ['household_ref,area_code,relationship,given_name'];
    for (let i = 1; i <= 5; i++) rows.push(`H${i},R1,SELF,P${i}`);
    const progress = new Capture(true);
    await importCsv(ctx, await csv(rows.join('\r\n')), { batchSize: 1, progress });
    expect(progress.text).toMatch(/^\rimport: 1 rows read, \d+ households\/s, 0 rows rejected\x1b\[K/);
    expect(progress.text).toMatch(/\r\x1b\[KImported 5 households \(5 rows\) in \d+\.\d s\.\nNo rows rejected\.\n$/);
  });
});
