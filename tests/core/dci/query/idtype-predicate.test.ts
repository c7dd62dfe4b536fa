import { dbEngines } from '../../../helpers/services.js';
import { seedRegistry, type Seeded } from './seed.js';

describe.each(dbEngines())('DCI idtype-value and predicate queries on %s', (db) => {
  let s: Seeded;
  /** Names of the found records, sorted (households H1..H5, people by given name). */
  let names: (ids: string[]) => string[];
  beforeAll(async () => {
    s = await seedRegistry(db);
    const byId = new Map([...Object.entries(s.households), ...Object.entries(s.people)].map(([name, id]) => [id, name]));
    names = (ids) => ids.map((id) => byId.get(id) ?? id).sort();
  });
  afterAll(() => s?.stop());

  const predicate = (query: unknown, response_entity = 'Member') => ({ query_type: 'predicate', query, response_entity });
  const e = (attribute_name: string, operator: string, attribute_value: unknown) => ({ attribute_name, operator, attribute_value });

  describe('idtype-value', () => {
    it('finds a person by UIN through the blind index, as a Member or as their Group', async () => {
      expect(names(await s.found({ query_type: 'idtype-value', query: { type: 'UIN', value: s.ids.amina }, response_entity: 'Member' }))).toEqual(['Amina']);
      expect(names(await s.found({ query_type: 'idtype-value', query: { type: 'UIN', value: s.ids.amina }, response_entity: 'Group' }))).toEqual(['H1']);
      // Group is the default response entity
      const outcome = await s.search({ query_type: 'idtype-value', query: { type: 'UIN', value: s.ids.peter } });
      expect(outcome).toEqual({ ok: true, entity: 'Group', ids: [s.households.H2], pagination: { page_size: 100, page_number: 1, total_count: 1 } });
    });

    it('finds configured national types and other standard types, normalising the value as registration does', async () => {
      expect(names(await s.found({ query_type: 'idtype-value', query: { type: 'NIN', value: s.ids.graceNin.toLowerCase() }, response_entity: 'Member' }))).toEqual(['Grace']);
      expect(names(await s.found({ query_type: 'idtype-value', query: { type: 'BRN', value: `  ${s.ids.solo}  ` }, response_entity: 'Member' }))).toEqual(['Solo']);
      // the type name: case-insensitive, with or without a namespace prefix
      for (const type of ['uin', 'spdci:IdentifierType:UIN', 'identifier:UIN']) {
        expect(names(await s.found({ query_type: 'idtype-value', query: { type, value: s.ids.grace }, response_entity: 'Member' }))).toEqual(['Grace']);
      }
    });

    it('counts the match in the page\'s own statement, and still on a page past the end', async () => {
      const query = { type: 'UIN', value: s.ids.peter };
      expect(await s.search({ query_type: 'idtype-value', query, response_entity: 'Member', pagination: { page_size: 1, page_number: 1 } })).toMatchObject({
        ids: [s.people.Peter],
        pagination: { page_size: 1, page_number: 1, total_count: 1 },
      });
      // no row comes back to carry the count: it is asked for on its own
      expect(await s.search({ query_type: 'idtype-value', query, response_entity: 'Member', pagination: { page_size: 1, page_number: 3 } })).toMatchObject({
        ids: [],
        pagination: { page_size: 1, page_number: 3, total_count: 1 },
      });
    });

    it('answers an empty page for a value nobody has, and for a value of another type', async () => {
      expect(await s.search({ query_type: 'idtype-value', query: { type: 'UIN', value: 'U00000000' } })).toEqual({
        ok: true,
        entity: 'Group',
        ids: [],
        pagination: { page_size: 100, page_number: 1, total_count: 0 },
      });
      expect(await s.found({ query_type: 'idtype-value', query: { type: 'BRN', value: s.ids.amina } })).toEqual([]);
    });

    it('rejects unknown types and malformed queries with their reason codes', async () => {
      expect(await s.search({ query_type: 'idtype-value', query: { type: 'PASSPORT', value: 'X1' } })).toEqual({
        ok: false,
        code: 'rjct.filter.invalid',
        message: expect.stringContaining('unknown identifier type "PASSPORT"'),
      });
      expect(await s.search({ query_type: 'idtype-value', query: { type: 'UIN', value: { nested: true } } })).toMatchObject({ ok: false, code: 'rjct.filter.invalid' });
      expect(await s.search({ query_type: 'idtype-value', query: { type: 'UIN', value: '   ' } })).toMatchObject({ ok: false, code: 'rjct.filter.invalid' });
      expect(await s.search({ query_type: 'idtype-value', query: { type: 'UIN' } })).toMatchObject({ ok: false, code: 'rjct.search_criteria.invalid' });
      expect(await s.search({ query_type: 'idtype-value', query: [s.ids.amina] })).toMatchObject({ ok: false, code: 'rjct.search_criteria.invalid' });
    });

    it('treats a value that looks like SQL as data', async () => {
      expect(await s.found({ query_type: 'idtype-value', query: { type: 'UIN', value: "' or '1'='1" } })).toEqual([]);
      expect(await s.found({ query_type: 'idtype-value', query: { type: 'UIN', value: `${s.ids.amina}'; delete from person; --` } })).toEqual([]);
      expect(names(await s.found({ query_type: 'idtype-value', query: { type: 'UIN', value: s.ids.amina } }))).toEqual(['H1']);
    });
  });

  describe('predicate', () => {
    it('compares years of birth, birth dates and sex', async () => {
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('YOB', 'ge', 2015) }])))).toEqual(['Leo', 'Zawadi']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('YOB', 'eq', '1985') }])))).toEqual(['Amina']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('YOB', 'lt', 1952) }])))).toEqual(['Peter']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('YOB', 'le', 1952) }])))).toEqual(['Mary', 'Peter']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('YOB', 'gt', 2000) }])))).toEqual(expect.arrayContaining(['Leo', 'Zawadi']));
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('DOB', 'eq', '1985-04-12') }])))).toEqual(['Amina']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('DOB', 'lt', '1952-03-03') }])))).toEqual(['Peter']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('sex', 'in', ['other', 'unknown']) }])))).toEqual(['Solo', 'Xan']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('sex', 'in', 'other,unknown') }])))).toEqual(['Solo', 'Xan']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('YOB', 'in', [1950, 1952]) }])))).toEqual(['Mary', 'Peter']);
    });

    it('computes age in whole years as of today, birthdays included', async () => {
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('age', 'eq', 18) }])))).toEqual(['Tom']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('age', 'eq', 17) }])))).toEqual(['Ann']);
      const adults = await s.found(predicate([{ seq_num: 1, expression1: e('age', 'ge', 18) }]));
      expect(names(adults)).toContain('Tom');
      expect(names(adults)).not.toContain('Ann');
      const minors = names(await s.found(predicate([{ seq_num: 1, expression1: e('age', 'lt', 18) }])));
      expect(minors).toEqual(['Ann', 'Leo', 'Zawadi']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('age', 'le', 17) }])))).toEqual(minors);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('age', 'gt', 17) }])))).not.toContain('Ann');
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('age', 'in', [17, 18]) }])))).toEqual(['Ann', 'Tom']);
    });

    it('finds an area and everything under it; households by score, size and configured attributes', async () => {
      const groups = (query: unknown) => s.found(predicate(query, 'Group'));
      expect(names(await groups([{ seq_num: 1, expression1: e('area-code', 'eq', 'AM-R1') }]))).toEqual(['H1', 'H2', 'H5']);
      expect(names(await groups([{ seq_num: 1, expression1: e('area-code', 'in', ['AM-R1-D2', 'AM-R2-D2']) }]))).toEqual(['H2', 'H4']);
      expect(names(await groups([{ seq_num: 1, expression1: e('area-code', 'eq', 'AM') }]))).toEqual(['H1', 'H2', 'H3', 'H4', 'H5']);
      expect(names(await groups([{ seq_num: 1, expression1: e('area-code', 'eq', 'AM-R3') }]))).toEqual([]);
      // a household without a numeric score (H4 none, H5 "high") never matches a comparison on it
      expect(names(await groups([{ seq_num: 1, expression1: e('poverty_score', 'lt', 20) }]))).toEqual(['H1', 'H3']);
      expect(names(await groups([{ seq_num: 1, expression1: e('poverty_score', 'ge', 12.5) }]))).toEqual(['H1', 'H2']);
      expect(names(await groups([{ seq_num: 1, expression1: e('group_size', 'ge', 3) }]))).toEqual(['H1', 'H3']);
      expect(names(await groups([{ seq_num: 1, expression1: e('group_size', 'eq', 1) }]))).toEqual(['H4', 'H5']);
      expect(names(await groups([{ seq_num: 1, expression1: e('income', 'gt', 500) }]))).toEqual(['H2']);
      expect(names(await groups([{ seq_num: 1, expression1: e('roof', 'in', ['iron', 'thatch']) }]))).toEqual(['H1', 'H3']);
      expect(names(await groups([{ seq_num: 1, expression1: e('roof', 'eq', 'iron') }]))).toEqual(['H1']);
      // Members see their household's attributes through their current membership
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('area-code', 'eq', 'AM-R1-D2') }])))).toEqual(['Mary', 'Peter']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('group_size', 'eq', 2) }])))).toEqual(['Mary', 'Peter']);
    });

    it('matches a Group on a person attribute when one of its members matches', async () => {
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('YOB', 'lt', 1960) }], 'Group')))).toEqual(['H2']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('UIN', 'eq', s.ids.grace) }], 'Group')))).toEqual(['H3']);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('UIN', 'in', [s.ids.grace, s.ids.peter]) }], 'Group')))).toEqual(['H2', 'H3']);
    });

    it('combines expressions with and, or and not, and ANDs the items in seq_num order', async () => {
      const femaleAfter2000 = [{ seq_num: 1, expression1: e('sex', 'eq', 'female'), condition: 'and', expression2: e('YOB', 'gt', 2000) }];
      expect(names(await s.found(predicate(femaleAfter2000)))).toEqual(['Ann', 'Zawadi']);
      const oldOrOther = [{ seq_num: 1, expression1: e('YOB', 'lt', 1951), condition: 'or', expression2: e('sex', 'eq', 'other') }];
      expect(names(await s.found(predicate(oldOrOther)))).toEqual(['Peter', 'Xan']);
      const notR1 = [{ seq_num: 1, expression1: e('area-code', 'eq', 'AM-R1'), condition: 'not' }];
      expect(names(await s.found(predicate(notR1, 'Group')))).toEqual(['H3', 'H4']);
      const items = [
        { seq_num: 2, expression1: e('sex', 'eq', 'male') },
        { seq_num: 1, expression1: e('area-code', 'eq', 'AM-R2') },
      ];
      expect(names(await s.found(predicate(items)))).toEqual(['Leo', 'Tom']);
    });

    it('gives rjct.filter.invalid for unknown attributes, operators, values and bad combinations, naming the part', async () => {
      const cases: [unknown, string][] = [
        [[{ seq_num: 1, expression1: e('shoe_size', 'eq', 42) }], 'query[0].expression1.attribute_name'],
        [[{ seq_num: 1, expression1: e('YOB', 'ne', 1980) }], 'query[0].expression1.operator'],
        [[{ seq_num: 1, expression1: e('YOB', 'eq', 'nineteen') }], 'query[0].expression1.attribute_value'],
        [[{ seq_num: 1, expression1: e('YOB', 'eq', 1980.5) }], 'query[0].expression1.attribute_value'],
        [[{ seq_num: 1, expression1: e('DOB', 'eq', '1985-02-30') }], 'query[0].expression1.attribute_value'],
        [[{ seq_num: 1, expression1: e('sex', 'eq', 'M') }], 'query[0].expression1.attribute_value'],
        [[{ seq_num: 1, expression1: e('sex', 'gt', 'female') }], 'query[0].expression1'],
        [[{ seq_num: 1, expression1: e('age', 'eq', -1) }], 'query[0].expression1.attribute_value'],
        [[{ seq_num: 1, expression1: e('YOB', 'in', []) }], 'query[0].expression1.attribute_value'],
        [[{ seq_num: 1, expression1: e('YOB', 'eq', [1980]) }], 'query[0].expression1.attribute_value'],
        [[{ seq_num: 1, expression1: e('YOB', 'eq', { $gt: 1 }) }], 'query[0].expression1.attribute_value'],
        [[{ seq_num: 1, expression1: e('YOB', 'eq', 1980), condition: 'and' }], 'query[0].expression2'],
        [[{ seq_num: 1, expression1: e('YOB', 'eq', 1980), expression2: e('YOB', 'eq', 1981) }], 'query[0].condition'],
        [[{ seq_num: 1, expression1: e('YOB', 'eq', 1980), condition: 'not', expression2: e('YOB', 'eq', 1981) }], 'query[0].condition'],
        [[{ seq_num: 1, expression1: e('YOB', 'eq', 1980), condition: 'xor', expression2: e('YOB', 'eq', 1981) }], 'query[0].condition'],
        [[{ seq_num: 1, expression1: e('YOB', 'eq', 1980) }, { seq_num: 1, expression1: e('YOB', 'eq', 1981) }], 'query[1].seq_num'],
        [[{ seq_num: 1 }], 'query[0].expression1'],
        [[{ seq_num: 1, expression1: e('YOB', 'eq', 1980), extra: 1 }], 'query[0]'],
        [[], 'query'],
        [Array.from({ length: 101 }, (_, i) => ({ seq_num: i, expression1: e('YOB', 'eq', 1980) })), 'query'],
        [[{ seq_num: 1, expression1: e('YOB', 'in', Array.from({ length: 1001 }, (_, i) => 1000 + i)) }], 'query[0].expression1.attribute_value'],
      ];
      for (const [query, part] of cases) {
        const outcome = await s.search(predicate(query));
        expect({ query, outcome }).toEqual({ query, outcome: { ok: false, code: 'rjct.filter.invalid', message: expect.stringMatching(new RegExp(`^${part.replace(/[[\].]/g, '\\$&')}[:.]`)) } });
      }
      expect(await s.search(predicate({ seq_num: 1 }))).toMatchObject({ ok: false, code: 'rjct.search_criteria.invalid' });
    });

    it('refuses attribute names that try to be SQL and treats values that look like SQL as data', async () => {
      for (const name of ['sex; drop table person; --', 'p.sex', "attributes->>'income'", '__proto__', 'constructor']) {
        expect(await s.search(predicate([{ seq_num: 1, expression1: e(name, 'eq', 'female') }]))).toMatchObject({ ok: false, code: 'rjct.filter.invalid' });
      }
      expect(await s.found(predicate([{ seq_num: 1, expression1: e('area-code', 'eq', "AM-R1' or '1'='1") }], 'Group'))).toEqual([]);
      expect(await s.found(predicate([{ seq_num: 1, expression1: e('roof', 'eq', "iron' or '1'='1") }], 'Group'))).toEqual([]);
      expect(await s.found(predicate([{ seq_num: 1, expression1: e('roof', 'in', ["x') or true --"]) }], 'Group'))).toEqual([]);
      expect(names(await s.found(predicate([{ seq_num: 1, expression1: e('area-code', 'eq', 'AM-R1') }], 'Group')))).toEqual(['H1', 'H2', 'H5']);
    });
  });
});
