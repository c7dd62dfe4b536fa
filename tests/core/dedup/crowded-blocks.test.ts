// A block shared by many people (one family name, one birth date, one area, one phone: the soak's registrations, or
// an estimated 1 January in a large district) proposes at most MAX_PER_BLOCK of them per person, the closest names
// first, so a registration's duplicate check stays the same size as the registry grows and still finds the real one;
// and each block reads only about that many from the match keys (the GiST nearest-name indexes, migration 028)
// rather than the whole crowd.
import { findCandidates } from '../../../core/dedup/index.js';
import { MAX_PER_BLOCK } from '../../../core/dedup/find.js';
import { blockingCapabilities } from '../../../core/dedup/records.js';
import { dbEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

const CROWD = MAX_PER_BLOCK * 3;

describe.each(dbEngines())('crowded blocks on %s', (engine) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ db: engine });
    expect((await t.post('/api/v1/admin-areas', { code: 'CR', name: 'Crowded' })).status).toBe(201);
    // the crowd: distinct given names, one family name, birth date, area and phone; bulk import (no checks of its own)
    const households = Array.from({ length: CROWD }, (_, i) => ({
      area_code: 'CR',
      members: [{ relationship: 'SELF', person: { given_name: `Kito${i.toString(36)}x${(i * 7919).toString(36)}`, family_name: 'Mwangaza', sex: 'male', birth_date: '1980-01-01', phone: '+255700000001' } }],
    }));
    households[CROWD - 1].members[0].person.given_name = 'Zawadi';
    households[CROWD - 1].members[0].person.sex = 'female';
    const res = await t.post('/api/v1/households:bulk', { households });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: CROWD, rejected: 0 });
  }, 180_000);
  afterAll(() => t?.stop());

  /**
   * The match-key rows a statement's plan read (actual rows of every scan of dedup_match_key, all loops). Sorting is
   * priced out, as it is on a large crowd (docs/reliability.md "Load soak": 50,000 people of one block); on 300 the
   * planner rightly prefers to read and sort them all.
   */
  async function matchKeyRowsRead(sql: string, params: unknown[] | undefined): Promise<number> {
    const [row] = await t.hub.db.transaction(async (tx) => {
      await tx.query('set local enable_sort = off');
      return tx.query<{ 'QUERY PLAN': unknown }>(`explain (analyze, format json) ${sql}`, params);
    });
    const plan = typeof row['QUERY PLAN'] === 'string' ? JSON.parse(row['QUERY PLAN']) : row['QUERY PLAN'];
    let read = 0;
    const walk = (node: Record<string, unknown>) => {
      if (node['Relation Name'] === 'dedup_match_key') read += Number(node['Actual Rows']) * Number(node['Actual Loops']);
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk((plan as { Plan: Record<string, unknown> }[])[0].Plan);
    return read;
  }

  test(`${CROWD} people in every block: the one with the same name is found first, and no more than the limit are proposed`, async () => {
    // count what each block statement brings back
    const blockRows: number[] = [];
    const statements: { sql: string; params?: unknown[] }[] = [];
    const db = new Proxy(t.hub.db, {
      get(target, prop) {
        if (prop === 'query') {
          return async (sql: string, params?: unknown[]) => {
            const rows = await target.query(sql, params);
            if (/cross join lateral/.test(sql)) {
              blockRows.push(rows.length);
              statements.push({ sql, params });
            }
            return rows;
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const found = await findCandidates(db, t.hub.secrets, [
      { ref: 'new', given_name: 'Zawadi', family_name: 'Mwangaza', sex: 'female', birth_date: '1980-01-01', area_code: 'CR', phone: '+255700000001' },
    ]);
    expect(found[0]).toMatchObject({ ref: 'new', decision: 'match' });
    const zawadi = await t.hub.db.query<{ id: string }>("select id from person where given_name = 'Zawadi'");
    expect(found[0].personId).toBe(zawadi[0].id);
    expect(found.length).toBeLessThanOrEqual(10);
    // the phone and birth-date blocks hold all 300; each brought back the limit, not the crowd
    expect(blockRows.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...blockRows)).toBe(MAX_PER_BLOCK);
    // and each name block can read no more than the limit from the match keys, not the crowd (the phone block looks
    // at the first PHONE_CROWD people of a phone, more than this crowd)
    expect(await blockingCapabilities(t.hub.db)).toEqual({ trigram: true, nearestNames: true });
    const nameBlocks = statements.filter((s) => !/phone_index = q\.phone_index/.test(s.sql));
    expect(nameBlocks.length).toBe(3);
    const read: number[] = [];
    for (const s of nameBlocks) read.push(await matchKeyRowsRead(s.sql, s.params));
    expect(Math.max(...read)).toBe(MAX_PER_BLOCK);
  });
});
