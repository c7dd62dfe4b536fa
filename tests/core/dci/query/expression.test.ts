import { dbEngines } from '../../../helpers/services.js';
import { seedRegistry, type Seeded } from './seed.js';

describe.each(dbEngines())('DCI expression queries on %s', (db) => {
  let s: Seeded;
  let names: (ids: string[]) => string[];
  beforeAll(async () => {
    s = await seedRegistry(db);
    const byId = new Map([...Object.entries(s.households), ...Object.entries(s.people)].map(([name, id]) => [id, name]));
    names = (ids) => ids.map((id) => byId.get(id) ?? id).sort();
  });
  afterAll(() => s?.stop());

  const groups = (query: unknown) => s.found({ query_type: 'expression', query: { expression: { collection: 'Group', query } }, response_entity: 'Group' }).then(names);
  const members = (query: unknown) => s.found({ query_type: 'expression', query: { expression: { collection: 'Member', query } }, response_entity: 'Member' }).then(names);
  const rejected = (query: unknown, collection = 'Group') =>
    s.search({ query_type: 'expression', query: { expression: { collection, query } }, response_entity: collection });

  it('runs the spec example, in the spec form { type, value: { expression } }', async () => {
    const query = { $and: [{ poverty_score: { $lt: 50 } }, { location: { $eq: 'AM-R1' } }, { group_size: { $lt: 5 } }] };
    const outcome = await s.found({
      query_type: 'expression',
      query: { type: 'ns:org:QueryType:expression', value: { expression: { collection: 'Group', query } } },
      response_entity: 'Group',
    });
    expect(names(outcome)).toEqual(['H1', 'H2']);
    // also { collection, query } as the query itself, the collection defaulting to the response entity
    expect(names(await s.found({ query_type: 'expression', query: { query } }))).toEqual(['H1', 'H2']);
  });

  it('supports every comparison operator', async () => {
    expect(await groups({ group_size: { $eq: 2 } })).toEqual(['H2']);
    expect(await groups({ group_size: 2 })).toEqual(['H2']);
    expect(await groups({ group_size: { $ne: 1 } })).toEqual(['H1', 'H2', 'H3']);
    expect(await groups({ poverty_score: { $gt: 5 } })).toEqual(['H1', 'H2']);
    expect(await groups({ poverty_score: { $gte: 5 } })).toEqual(['H1', 'H2', 'H3']);
    expect(await groups({ poverty_score: { $lte: 12.5 } })).toEqual(['H1', 'H3']);
    expect(await groups({ poverty_score: { $gt: 1, $lt: 20 } })).toEqual(['H1', 'H3']);
    expect(await groups({ 'area-code': { $in: ['AM-R1-D2', 'AM-R2'] } })).toEqual(['H2', 'H3', 'H4']);
    expect(await groups({ 'area-code': { $nin: ['AM-R1'] } })).toEqual(['H3', 'H4']);
    // $exists: a numeric score (H5's "high" is not one)
    expect(await groups({ poverty_score: { $exists: false } })).toEqual(['H4', 'H5']);
    expect(await groups({ roof: { $exists: true } })).toEqual(['H1', 'H3']);
    expect(await members({ DOB: { $exists: false } })).toEqual(['Solo']);
    expect(await members({ NIN: { $exists: true } })).toEqual(['Grace']);
    expect(await members({ UIN: { $exists: false }, 'area-code': 'AM-R1-D1' })).toEqual(['Joseph', 'Xan', 'Zawadi']);
    expect(await members({ birth_date: { $eq: null } })).toEqual(['Solo']);
    expect(await members({ sex: { $ne: null }, YOB: { $lt: 1951 } })).toEqual(['Peter']);
    expect(await members({ sex: { $nin: ['male', 'female'] } })).toEqual(['Solo', 'Xan']);
  });

  it('combines with $and, $or, $not (of a filter or of a condition), and implicit AND of keys', async () => {
    expect(await members({ $or: [{ YOB: { $lt: 1951 } }, { sex: 'other' }] })).toEqual(['Peter', 'Xan']);
    expect(await members({ sex: 'female', YOB: { $gte: 2000 } })).toEqual(['Ann', 'Zawadi']);
    expect(await groups({ $not: { 'area-code': 'AM-R1' } })).toEqual(['H3', 'H4']);
    expect(await groups({ poverty_score: { $not: { $lt: 20 } } })).toEqual(['H2', 'H4', 'H5']);
    expect(await groups({ $and: [{ $or: [{ group_size: 1 }, { group_size: 4 }] }, { $not: { 'area-code': 'AM-R2-D2' } }] })).toEqual(['H3', 'H5']);
    expect(await groups({})).toEqual(['H1', 'H2', 'H3', 'H4', 'H5']);
  });

  it('matches across collections: a Group filter on members, a member filter for Groups (the same member), Members by their Group', async () => {
    // over Group: each person condition holds for some member, not necessarily the same one (H1: Joseph is male, Zawadi born 2015)
    expect(await groups({ sex: 'male', YOB: { $gte: 2015 } })).toEqual(['H1', 'H3']);
    // negations over Group: no member matches
    expect(await groups({ sex: { $ne: 'male' } })).toEqual(['H4', 'H5']);
    expect(await groups({ sex: { $nin: ['male', 'other'] } })).toEqual(['H4']);
    // over Member with Group results: one member must meet both
    const sameMember = await s.found({ query_type: 'expression', query: { expression: { collection: 'Member', query: { sex: 'male', YOB: { $gte: 2015 } } } }, response_entity: 'Group' });
    expect(names(sameMember)).toEqual(['H3']);
    const byGroup = await s.found({ query_type: 'expression', query: { expression: { collection: 'Group', query: { group_size: { $gte: 4 } } } }, response_entity: 'Member' });
    expect(names(byGroup)).toEqual(['Ann', 'Grace', 'Leo', 'Tom']);
  });

  it('refuses unknown operators, attributes and non-JSON values with rjct.filter.invalid naming the part', async () => {
    const cases: [unknown, string][] = [
      [{ $where: 'true' }, 'query.expression.query.$where'],
      [{ group_size: { $regex: '.*' } }, 'query.expression.query.group_size.$regex'],
      [{ group_size: { $in: 3 } }, 'query.expression.query.group_size.$in'],
      [{ group_size: { $eq: [1, 2] } }, 'query.expression.query.group_size.$eq'],
      [{ group_size: { $exists: 'yes' } }, 'query.expression.query.group_size.$exists'],
      [{ group_size: {} }, 'query.expression.query.group_size'],
      [{ group_size: { nested: { $eq: 1 } } }, 'query.expression.query.group_size.nested'],
      [{ $and: [] }, 'query.expression.query.$and'],
      [{ $or: {} }, 'query.expression.query.$or'],
      [{ $and: [1] }, 'query.expression.query.$and[0]'],
      [{ pets: 2 }, 'query.expression.query.pets'],
      [{ 'h.id; drop table household': 1 }, 'query.expression.query.h.id; drop table household'],
      [{ sex: { $lt: 'male' } }, 'query.expression.query.sex.$lt'],
      [{ roof: { $gt: true } }, 'query.expression.query.roof.$gt'],
      [{ group_size: new Date() }, 'query.expression.query.group_size'],
      [{ group_size: { $in: Array.from({ length: 1001 }, (_, i) => i) } }, 'query.expression.query.group_size.$in'],
    ];
    for (const [query, part] of cases) {
      const outcome = await rejected(query);
      expect({ query, outcome }).toEqual({ query, outcome: { ok: false, code: 'rjct.filter.invalid', message: expect.stringContaining(`${part}:`) } });
    }
  });

  it('refuses prototype keys and objects that are not plain JSON', async () => {
    for (const text of ['{"__proto__": {"group_size": 1}}', '{"group_size": {"__proto__": {"$eq": 1}}}', '{"constructor": {"prototype": 1}}']) {
      expect(await rejected(JSON.parse(text))).toMatchObject({ ok: false, code: 'rjct.filter.invalid', message: expect.stringMatching(/__proto__|constructor/) });
    }
    class Filter {
      group_size = 1;
    }
    expect(await rejected(new Filter())).toMatchObject({ ok: false, code: 'rjct.filter.invalid' });
    expect(await rejected([{ group_size: 1 }])).toMatchObject({ ok: false, code: 'rjct.filter.invalid' });
  });

  it('limits depth and size', async () => {
    const nested = (depth: number): Record<string, unknown> => (depth === 1 ? { group_size: 1 } : { $and: [nested(depth - 1)] });
    // 8 levels: seven $and around the filter with the attribute
    expect(await groups(nested(8))).toEqual(['H4', 'H5']);
    expect(await rejected(nested(9))).toMatchObject({ ok: false, code: 'rjct.filter.invalid', message: expect.stringContaining('more than 8 levels') });
    const notNested = (depth: number): Record<string, unknown> => (depth === 0 ? { $eq: 1 } : { $not: notNested(depth - 1) });
    expect(await rejected({ group_size: notNested(12) })).toMatchObject({ ok: false, code: 'rjct.filter.invalid', message: expect.stringContaining('levels') });
    const wide = { $or: Array.from({ length: 60 }, (_, i) => ({ group_size: i })) };
    expect(await rejected(wide)).toMatchObject({ ok: false, code: 'rjct.filter.invalid', message: expect.stringContaining('more than 100 nodes') });
    const fits = { $or: Array.from({ length: 30 }, (_, i) => ({ group_size: i })) };
    expect(await groups(fits)).toEqual(['H1', 'H2', 'H3', 'H4', 'H5']);
  });

  it('refuses a malformed expression envelope with rjct.search_criteria.invalid', async () => {
    for (const query of ['{ group_size: 1 }', { expression: 'query { member }' }, { value: { expression: { collection: 'Person', query: {} } } }, null]) {
      expect(await s.search({ query_type: 'expression', query })).toMatchObject({ ok: false, code: 'rjct.search_criteria.invalid' });
    }
  });
});
