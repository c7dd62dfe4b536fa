// total_count kept between pages (core/dci/query/count.ts): counted once while no outbox event commits, counted
// again as soon as one does, after the age limit, and after a failed count.
import { jest } from '@jest/globals';
import type { Db } from '../../../../core/db/index.js';
import { runSearch, type SearchCriteria } from '../../../../core/dci/query/search.js';
import { registerHouseholds } from '../../../../core/registry/households/register.js';
import { dbEngines } from '../../../helpers/services.js';
import { seedRegistry, type Seeded } from './seed.js';

describe.each(dbEngines())('DCI search total_count between pages on %s', (engine) => {
  let s: Seeded;
  beforeAll(async () => {
    s = await seedRegistry(engine);
  });
  afterAll(() => s?.stop());
  afterEach(() => jest.restoreAllMocks());

  /** A Db of its own (counts are kept per Db) that counts the count statements it runs; `failNext` fails the next one. */
  function countingDb() {
    const seen = { counts: 0, failNext: false };
    const db: Db = {
      ...s.db,
      engine: s.db.engine,
      query: async (sql: string, params?: unknown[]) => {
        if (/select count\(\*\)::int as total/.test(sql)) {
          seen.counts++;
          if (seen.failNext) {
            seen.failNext = false;
            throw new Error('count failed');
          }
        }
        return s.db.query(sql, params);
      },
    } as Db;
    return { db, seen };
  }

  // Amina, Joseph, Zawadi (H1) and Xan (H5) live in AM-R1-D1: two pages of two
  const inDistrict = (page_number: number): SearchCriteria => ({
    query_type: 'predicate',
    response_entity: 'Member',
    query: [{ seq_num: 1, expression1: { attribute_name: 'area-code', operator: 'eq', attribute_value: 'AM-R1-D1' } }],
    pagination: { page_size: 2, page_number },
  });
  const total = async (db: Db, page: number) => {
    const outcome = await runSearch(db, inDistrict(page), { areas: null }, s.config, s.secrets);
    if (!outcome.ok) throw new Error(outcome.message);
    return outcome.pagination.total_count;
  };

  it('counts once while nothing commits, and again once a registration commits', async () => {
    const { db, seen } = countingDb();
    expect(await total(db, 1)).toBe(4);
    expect(await total(db, 2)).toBe(4);
    expect(await total(db, 1)).toBe(4);
    expect(seen.counts).toBe(1);

    const registration = await s.db.transaction((tx) =>
      registerHouseholds(tx, s.ctx, [{ area_code: 'AM-R1-D1', members: [{ relationship: 'SELF', person: { given_name: 'Nia', family_name: 'Count', sex: 'female' } }] }], {
        defaultChannel: 'online',
        at: () => 'body',
        skipInvalid: false,
      }),
    );
    expect(registration.errors).toEqual([]);
    expect(await total(db, 2)).toBe(5);
    expect(seen.counts).toBe(2);
    expect(await total(db, 3)).toBe(5);
    expect(seen.counts).toBe(2);
  });

  it('counts again once the kept count is 30 s old, and after a count that failed', async () => {
    const { db, seen } = countingDb();
    const started = Date.now();
    const expected = await total(s.db, 1);
    expect(await total(db, 1)).toBe(expected);
    jest.spyOn(Date, 'now').mockReturnValue(started + 29_000);
    expect(await total(db, 2)).toBe(expected);
    expect(seen.counts).toBe(1);
    jest.spyOn(Date, 'now').mockReturnValue(started + 31_000);
    expect(await total(db, 2)).toBe(expected);
    expect(seen.counts).toBe(2);

    const other = countingDb();
    other.seen.failNext = true;
    await expect(total(other.db, 1)).rejects.toThrow('count failed');
    expect(await total(other.db, 1)).toBe(expected);
    expect(other.seen.counts).toBe(2);
  });

  it('keeps counts apart for different conditions and parameters', async () => {
    const { db, seen } = countingDb();
    const district = async (code: string) => {
      const criteria = { ...inDistrict(1), query: [{ seq_num: 1, expression1: { attribute_name: 'area-code', operator: 'eq', attribute_value: code } }] };
      const outcome = await runSearch(db, criteria, { areas: null }, s.config, s.secrets);
      if (!outcome.ok) throw new Error(outcome.message);
      return outcome.pagination.total_count;
    };
    // AM-R1-D2: Peter and Mary; AM-R2-D1: Grace, Tom, Ann and Leo
    expect(await district('AM-R1-D2')).toBe(2);
    expect(await district('AM-R2-D1')).toBe(4);
    expect(await district('AM-R1-D2')).toBe(2);
    expect(seen.counts).toBe(2);
  });
});
