import type { SearchCriteria } from '../../../../core/dci/query/search.js';
import { dbEngines } from '../../../helpers/services.js';
import { seedRegistry, type Seeded } from './seed.js';

describe.each(dbEngines())('DCI search sorting, pagination, scope and criteria on %s', (db) => {
  let s: Seeded;
  let name: (id: string) => string;
  beforeAll(async () => {
    s = await seedRegistry(db);
    const byId = new Map([...Object.entries(s.households), ...Object.entries(s.people)].map(([n, id]) => [id, n]));
    name = (id) => byId.get(id) ?? id;
  });
  afterAll(() => s?.stop());

  const all = (extra: Partial<SearchCriteria> = {}, entity = 'Group'): SearchCriteria => ({
    query_type: 'expression',
    query: { expression: { query: {} } },
    response_entity: entity,
    ...extra,
  });
  const page = async (criteria: SearchCriteria, scope = {}) => {
    const outcome = await s.search(criteria, scope);
    if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
    return { names: outcome.ids.map(name), pagination: outcome.pagination };
  };
  /** The households in id order (the tiebreak), to state the expected order of equal keys. */
  const byId = (...names: string[]) => [...names].sort((a, b) => (s.households[a] < s.households[b] ? -1 : 1));

  describe('sort', () => {
    it('sorts both ways, breaking ties by id and putting missing values last', async () => {
      const asc = await page(all({ sort: [{ attribute_name: 'group_size', sort_order: 'asc' }] }));
      expect(asc.names).toEqual([...byId('H4', 'H5'), 'H2', 'H1', 'H3']);
      const desc = await page(all({ sort: [{ attribute_name: 'group_size', sort_order: 'desc' }] }));
      expect(desc.names).toEqual(['H3', 'H1', 'H2', ...byId('H4', 'H5')]);
      const score = await page(all({ sort: [{ attribute_name: 'poverty_score', sort_order: 'asc' }] }));
      expect(score.names).toEqual(['H3', 'H1', 'H2', ...byId('H4', 'H5')]);
      const scoreDesc = await page(all({ sort: [{ attribute_name: 'poverty_score', sort_order: 'desc' }] }));
      expect(scoreDesc.names).toEqual(['H2', 'H1', 'H3', ...byId('H4', 'H5')]);
      const two = await page(all({ sort: [{ attribute_name: 'area-code', sort_order: 'desc' }, { attribute_name: 'group_size', sort_order: 'desc' }] }));
      expect(two.names).toEqual(['H4', 'H3', 'H2', 'H1', 'H5']);
      const income = await page(all({ sort: [{ attribute_name: 'income', sort_order: 'DESC' }] }));
      expect(income.names.slice(0, 2)).toEqual(['H2', 'H1']);
    });

    it('sorts members by birth date, year of birth and age', async () => {
      const criteria = (attribute_name: string, sort_order: string) =>
        all({ query: { expression: { query: { 'area-code': 'AM-R1' } } }, sort: [{ attribute_name, sort_order }] }, 'Member');
      expect((await page(criteria('DOB', 'asc'))).names).toEqual(['Peter', 'Mary', 'Joseph', 'Amina', 'Xan', 'Zawadi']);
      expect((await page(criteria('birth_date', 'desc'))).names).toEqual(['Zawadi', 'Xan', 'Amina', 'Joseph', 'Mary', 'Peter']);
      expect((await page(criteria('age', 'desc'))).names).toEqual(['Peter', 'Mary', 'Joseph', 'Amina', 'Xan', 'Zawadi']);
      expect((await page(criteria('YOB', 'asc'))).names).toEqual(['Peter', 'Mary', 'Joseph', 'Amina', 'Xan', 'Zawadi']);
      const bySize = (await page(criteria('group_size', 'desc'))).names;
      expect(bySize.slice(0, 3).sort()).toEqual(['Amina', 'Joseph', 'Zawadi']);
    });

    it('gives rjct.sort.invalid for unknown attributes, orders and member attributes on groups', async () => {
      const cases: unknown[] = [
        [{ attribute_name: 'shoe_size', sort_order: 'asc' }],
        [{ attribute_name: 'group_size', sort_order: 'up' }],
        [{ attribute_name: 'YOB', sort_order: 'asc' }],
        [{ attribute_name: 'UIN', sort_order: 'asc' }],
        [{ attribute_name: 'group_size; drop table household', sort_order: 'asc' }],
        [{ attribute_name: 'group_size', sort_order: 'asc' }, { attribute_name: 'group_size', sort_order: 'desc' }],
        { attribute_name: 'group_size' },
        ['group_size'],
        Array.from({ length: 11 }, () => ({ attribute_name: 'group_size', sort_order: 'asc' })),
      ];
      for (const sort of cases) {
        const outcome = await s.search(all({ sort: sort as SearchCriteria['sort'] }));
        expect({ sort, outcome }).toEqual({ sort, outcome: { ok: false, code: 'rjct.sort.invalid', message: expect.stringMatching(/^sort/) } });
      }
      expect(await s.search(all({ sort: [{ attribute_name: 'UIN', sort_order: 'asc' }] }, 'Member'))).toMatchObject({ ok: false, code: 'rjct.sort.invalid' });
    });
  });

  describe('pagination', () => {
    const sorted = (pagination: SearchCriteria['pagination']) => all({ sort: [{ attribute_name: 'group_size', sort_order: 'desc' }], pagination });

    it('pages with page_size and page_number, counting all matches', async () => {
      expect(await page(sorted({ page_size: 2, page_number: 1 }))).toEqual({ names: ['H3', 'H1'], pagination: { page_size: 2, page_number: 1, total_count: 5 } });
      expect(await page(sorted({ page_size: 2, page_number: 2 }))).toEqual({ names: ['H2', byId('H4', 'H5')[0]], pagination: { page_size: 2, page_number: 2, total_count: 5 } });
      // the last, partial page
      expect(await page(sorted({ page_size: 2, page_number: 3 }))).toEqual({ names: [byId('H4', 'H5')[1]], pagination: { page_size: 2, page_number: 3, total_count: 5 } });
      // past the end: an empty page that still counts
      expect(await page(sorted({ page_size: 2, page_number: 4 }))).toEqual({ names: [], pagination: { page_size: 2, page_number: 4, total_count: 5 } });
      expect(await page(sorted({ page_size: 1, page_number: 5 }))).toEqual({ names: [byId('H4', 'H5')[1]], pagination: { page_size: 1, page_number: 5, total_count: 5 } });
      // page_number defaults to 1, page_size to 100
      expect(await page(sorted({ page_size: 1 }))).toEqual({ names: ['H3'], pagination: { page_size: 1, page_number: 1, total_count: 5 } });
      expect((await page(sorted(undefined))).pagination).toEqual({ page_size: 100, page_number: 1, total_count: 5 });
      // an exact multiple: the last page is full and the next one empty
      expect((await page(sorted({ page_size: 5, page_number: 1 }))).names).toHaveLength(5);
      expect((await page(sorted({ page_size: 5, page_number: 2 }))).names).toEqual([]);
    });

    it('walks every record exactly once across pages', async () => {
      const seen: string[] = [];
      for (let n = 1; n <= 4; n++) seen.push(...(await page(all({ pagination: { page_size: 3, page_number: n } }, 'Member'))).names);
      expect(seen).toHaveLength(Object.keys(s.people).length);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('gives rjct.pagination.invalid for sizes and numbers out of range', async () => {
      const cases: unknown[] = [
        { page_size: 0 },
        { page_size: 1001 },
        { page_size: 2.5 },
        { page_size: '10' },
        { page_size: 10, page_number: 0 },
        { page_size: 10, page_number: -1 },
        { page_size: 10, page_number: 1.5 },
        'all',
      ];
      for (const pagination of cases) {
        const outcome = await s.search(sorted(pagination as SearchCriteria['pagination']));
        expect({ pagination, outcome }).toEqual({ pagination, outcome: { ok: false, code: 'rjct.pagination.invalid', message: expect.stringMatching(/^pagination/) } });
      }
      expect((await page(sorted({ page_size: 1000 }))).pagination.page_size).toBe(1000);
    });
  });

  describe('scope and consent', () => {
    it('sees only households and people in the caller areas, and everything under them', async () => {
      expect((await page(all(), { areas: ['AM-R2'] })).names.sort()).toEqual(['H3', 'H4']);
      expect((await page(all(), { areas: ['AM-R1-D2', 'AM-R2-D2'] })).names.sort()).toEqual(['H2', 'H4']);
      expect((await page(all({}, 'Member'), { areas: ['AM-R1-D2'] })).names.sort()).toEqual(['Mary', 'Peter']);
      expect(await page(all(), { areas: [] })).toEqual({ names: [], pagination: { page_size: 100, page_number: 1, total_count: 0 } });
      const uin = { query_type: 'idtype-value', query: { type: 'UIN', value: s.ids.amina } };
      expect((await page({ ...uin, response_entity: 'Member' }, { areas: ['AM-R2'] })).names).toEqual([]);
      expect((await page({ ...uin, response_entity: 'Member' }, { areas: ['AM-R1'] })).names).toEqual(['Amina']);
      // the count is scoped too
      expect((await page(all(), { areas: ['AM-R1'] })).pagination.total_count).toBe(3);
    });

    it('adds the consent condition over the person (Member) or the head of household (Group)', async () => {
      const allowed = [s.people.Amina, s.people.Peter, s.people.Tom];
      const personCondition = async (param: (value: unknown) => string, column: string) => `${column} = any(${param(allowed)}::uuid[])`;
      expect((await page(all({}, 'Member'), { personCondition })).names.sort()).toEqual(['Amina', 'Peter', 'Tom']);
      // Tom is not the head of H3
      expect((await page(all(), { personCondition })).names.sort()).toEqual(['H1', 'H2']);
      expect(await page(all({ pagination: { page_size: 1 } }), { personCondition })).toMatchObject({ pagination: { total_count: 2 } });
      expect(await page(all(), { personCondition: async () => 'none' })).toEqual({ names: [], pagination: { page_size: 100, page_number: 1, total_count: 0 } });
      expect((await page(all(), { personCondition: async () => null })).pagination.total_count).toBe(5);
      // with sort keys, scope and consent parameters all in one statement
      const sortedScoped = await page(all({ sort: [{ attribute_name: 'income', sort_order: 'asc' }] }), { personCondition, areas: ['AM-R1'] });
      expect(sortedScoped.names).toEqual(['H1', 'H2']);
    });
  });

  describe('criteria', () => {
    it('gives rjct.search_criteria.invalid for unknown query types, entities, registries and versions', async () => {
      const cases: Partial<SearchCriteria>[] = [
        { query_type: 'graphql' },
        { query_type: 'sql' },
        { response_entity: 'Person' },
        { response_entity: 'group' },
        { reg_type: 'ns:org:RegistryType:Civil' },
        { version: '2.0.0' },
      ];
      for (const extra of cases) {
        const outcome = await s.search(all(extra));
        expect({ extra, outcome }).toEqual({ extra, outcome: { ok: false, code: 'rjct.search_criteria.invalid', message: expect.stringMatching(/^(query_type|response_entity|reg_type|version): /) } });
      }
      expect(await s.search(null as unknown as SearchCriteria)).toMatchObject({ ok: false, code: 'rjct.search_criteria.invalid' });
    });

    it('accepts the social registry reg_type forms and version 1.0.0', async () => {
      for (const reg_type of ['ns:org:RegistryType:Social', 'spdci:RegistryType:SocialRegistry', 'SR']) {
        expect((await page(all({ reg_type, version: '1.0.0' }))).pagination.total_count).toBe(5);
      }
    });

    it('answers an empty result with total_count 0', async () => {
      expect(await page(all({ query: { expression: { query: { group_size: 99 } } } }))).toEqual({
        names: [],
        pagination: { page_size: 100, page_number: 1, total_count: 0 },
      });
    });
  });
});
