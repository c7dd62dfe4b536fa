import { idTypeOf, isoDate, toNumber, yearsBefore } from '../../../../core/dci/query/attributes.js';
import { createSecrets } from '../../../../core/keys/secrets.js';

describe('DCI query values', () => {
  it('counts years back as PostgreSQL does, 29 February becoming 28 February', () => {
    expect(yearsBefore('2026-11-25', 18)).toBe('2008-11-25');
    expect(yearsBefore('2024-02-29', 1)).toBe('2023-02-28');
    expect(yearsBefore('2024-02-29', 4)).toBe('2020-02-29');
    expect(yearsBefore('2026-03-01', 0)).toBe('2026-03-01');
    expect(yearsBefore('2026-01-31', 2025)).toBe('0001-01-31');
    expect(yearsBefore('2028-02-29', 2028 - 1900)).toBe('1900-02-28');
    expect(yearsBefore('2028-02-29', 2028 - 2000)).toBe('2000-02-29');
  });

  it('reads dates strictly, taking the date part of a date-time', () => {
    expect(isoDate('1985-04-12', 'v')).toBe('1985-04-12');
    expect(isoDate('1985-04-12T00:00:00Z', 'v')).toBe('1985-04-12');
    expect(isoDate('2024-02-29', 'v')).toBe('2024-02-29');
    expect(isoDate('0004-02-29', 'v')).toBe('0004-02-29');
    for (const bad of ['2023-02-29', '1900-02-29', '0000-01-01', '1985-04-31', '1985-00-10', '1985-13-01', '85-04-12', '1985-04-12 or 1=1', 19850412, null]) {
      expect(() => isoDate(bad, 'v')).toThrow(/^v: expected a date/);
    }
  });

  it('reads numbers from numbers and numeric strings only', () => {
    expect(toNumber('1980', 'v', true)).toBe(1980);
    expect(toNumber(-2.5, 'v', false)).toBe(-2.5);
    for (const bad of ['1e3', '0x10', ' ', 'NaN', Infinity, true, '1980.5']) expect(() => toNumber(bad, 'v', true)).toThrow(/^v: /);
  });

  it('maps identifier type names onto the configured types', () => {
    const config = { secrets: createSecrets(Buffer.alloc(32)), idTypes: ['UIN', 'BRN', 'MRN', 'DRN', 'NIN'] };
    expect(idTypeOf(config, 'nin')).toBe('NIN');
    expect(idTypeOf(config, 'spdci:IdentifierType:DRN')).toBe('DRN');
    expect(idTypeOf(config, 'SRID')).toBe('SRID');
    expect(idTypeOf(config, 'PASSPORT')).toBeUndefined();
    expect(idTypeOf(config, 'UIN; drop table person')).toBeUndefined();
  });
});

describe('migration 008', () => {
  it('indexes the very expression the search compares poverty scores with', async () => {
    const { readFile } = await import('node:fs/promises');
    const { povertyScore } = await import('../../../../core/dci/query/attributes.js');
    const migration = await readFile(new URL('../../../../core/db/migrations/008_dci_search.sql', import.meta.url), 'utf8');
    const squash = (sql: string) => sql.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
    expect(squash(migration)).toContain(`on household (${squash(povertyScore('x').replace(/x\./g, ''))})`);
  });
});
