// The rule language: each operator evaluated in SQL over the small set equals the same predicate in JS; area
// filters include descendants; malicious or oversized rules are refused with a clear 422 naming the rule and column.
import { featuresSql } from '../../../core/assessment/features.js';
import { SqlParams } from '../../../core/assessment/sql-params.js';
import { compileRule } from '../../../core/programs/compile-rule.js';
import { parseRule, RuleError, RULE_LIMITS } from '../../../core/programs/rule-parser.js';
import { createAreas } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { featuresOf, registerSmallSet, type Registered } from '../assessment/fixtures.js';

type F = ReturnType<typeof featuresOf>;

// each rule next to the same predicate written in JS
const CASES: [string, (f: F) => boolean][] = [
  ['children == 3', (f) => f.children === 3],
  ['children != 0', (f) => f.children !== 0],
  ['household_size < 3', (f) => f.household_size < 3],
  ['household_size <= 3', (f) => f.household_size <= 3],
  ['elderly > 0', (f) => f.elderly > 0],
  ['rooms >= 3', (f) => (f.rooms ?? -1) >= 3],
  ['household_size / rooms > 1.5', (f) => f.rooms !== undefined && f.rooms !== 0 && f.household_size / f.rooms > 1.5],
  ['children * 2 + elderly - 1 >= 3', (f) => f.children * 2 + f.elderly - 1 >= 3],
  ['-children < -2', (f) => -f.children < -2],
  ['children > 0 && elderly > 0', (f) => f.children > 0 && f.elderly > 0],
  ['children > 3 || disabled > 0', (f) => f.children > 3 || f.disabled > 0],
  ['!(household_size > 2)', (f) => !(f.household_size > 2)],
  ['head_female == true', (f) => f.head_female],
  ['!head_female', (f) => !f.head_female],
  ['dwelling_wall == "mud"', (f) => f.dwelling_wall === 'mud'],
  ["dwelling_wall != 'brick'", (f) => f.dwelling_wall !== undefined && f.dwelling_wall !== 'brick'],
  ['dwelling_wall in ["mud", "wood", "other"]', (f) => ['mud', 'wood', 'other'].includes(f.dwelling_wall ?? '')],
  ['household_size in [2, 3]', (f) => [2, 3].includes(f.household_size)],
  ['"phone" in assets', (f) => f.assets.includes('phone')],
  ['!("salary" in income_sources) && asset_count <= 1', (f) => !f.income_sources.includes('salary') && f.assets.length <= 1],
  ['meals_skipped == "often" || meals_skipped == "sometimes"', (f) => f.meals_skipped === 'often' || f.meals_skipped === 'sometimes'],
  ['in_area("AM-R1")', (f) => f.area.startsWith('AM-R1-')],
  ['in_area("AM-R1-D2", "AM-R2-D2")', (f) => ['AM-R1-D2', 'AM-R2-D2'].includes(f.area)],
  ['area_code == "AM-R2-D1"', (f) => f.area === 'AM-R2-D1'],
  ['dependency_ratio >= 1', (f) => f.dependency_ratio >= 1],
];

describe('the rule parser and compiler', () => {
  it('refuses what is not the language, naming the column', () => {
    const refused = (rule: string) => {
      try {
        compileRule(rule, { hasScore: false }, new SqlParams());
      } catch (err) {
        expect(err).toBeInstanceOf(RuleError);
        return `${(err as RuleError).pos}: ${(err as RuleError).message}`;
      }
      throw new Error(`accepted: ${rule}`);
    };
    expect(refused("children > 1; drop table person")).toBe('13: unexpected character ";"');
    expect(refused("dwelling_wall == 'mud' or 1=1")).toBe('28: unexpected character "="');
    expect(refused("dwelling_wall == 'mud' or true")).toBe('24: unexpected or');
    expect(refused('pg_sleep(10)')).toMatch(/unknown function pg_sleep/);
    expect(refused('h.id == 1')).toMatch(/unexpected character "\."/);
    expect(refused('password_hash == "x"')).toMatch(/unknown field password_hash/);
    expect(refused('children')).toMatch(/must be true or false/);
    expect(refused('dwelling_wall == 3')).toMatch(/compares a text with a number/);
    expect(refused('dwelling_wall == "marble"')).toMatch(/"marble" is not an answer of dwelling_wall/);
    expect(refused('"spaceship" in assets')).toMatch(/not an answer of assets/);
    expect(refused('score < 10')).toMatch(/needs the program to have an assessment model/);
    expect(refused('children > 1 &&')).toMatch(/unexpected the end of the rule/);
    expect(refused('"unclosed')).toMatch(/not closed/);
    expect(refused('"a\\x"')).toMatch(/escapes/);
  });

  it('refuses huge and deeply nested rules before compiling them', () => {
    expect(() => parseRule('children > 1 && '.repeat(200) + 'true')).toThrow(/longer than|more than .* tokens/);
    expect(() => parseRule('('.repeat(RULE_LIMITS.maxDepth + 1) + 'true' + ')'.repeat(RULE_LIMITS.maxDepth + 1))).toThrow(/nested deeper/);
    expect(() => parseRule('!'.repeat(RULE_LIMITS.maxDepth + 2) + 'true')).toThrow(/nested deeper/);
    expect(() => parseRule(`household_size in [${Array.from({ length: RULE_LIMITS.maxListItems + 1 }, (_, i) => i).join(',')}]`)).toThrow(/more than/);
    expect(() => parseRule('x'.repeat(RULE_LIMITS.maxLength + 1))).toThrow(/longer than/);
  });

  it('binds every literal as a parameter: nothing from the rule is in the SQL text', () => {
    const params = new SqlParams();
    const { sql } = compileRule(`area_code == "mud'); drop table person; --" || "tv" in assets || in_area("X'Y")`, { hasScore: false }, params);
    expect(sql).not.toMatch(/drop table|mud|X'Y|"tv"/);
    expect(params.values).toEqual(["mud'); drop table person; --", 'tv', ["X'Y"]]);
  });
});

describe.each(dbEngines())('rules evaluated on %s', (db) => {
  let t: TestHub;
  let households: Registered[];

  beforeAll(async () => {
    t = await startTestHub({ db });
    await createAreas(t);
    households = await registerSmallSet(t);
    // registering the set through the API takes a while on a busy machine
  }, 180_000);
  afterAll(() => t.stop());

  it.each(CASES)('%s selects exactly the households the JS predicate does', async (rule, predicate) => {
    const params = new SqlParams();
    const compiled = compileRule(rule, { hasScore: false }, params);
    const rows = await t.hub.db.query<{ household_id: string }>(`select f.household_id from (${featuresSql()}) f where ${compiled.sql}`, params.values);
    const want = households
      .filter((h) => predicate(featuresOf(h)))
      .map((h) => h.id)
      .sort();
    expect(rows.map((r) => r.household_id).sort()).toEqual(want);
  });

  it('answers 422 naming the rule and the column for an injection attempt, a huge rule and an unknown area', async () => {
    const res = await t.post('/api/v1/programs', {
      code: 'evil',
      name: 'Evil',
      rules: [
        { name: 'inject', expression: "dwelling_wall == 'mud' ; delete from household" },
        { name: 'huge', expression: '(children > 1) && '.repeat(100) + 'true' },
        { name: 'nowhere', expression: 'in_area("ZZ-NOWHERE")' },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('program.invalid');
    expect(res.body.errors).toEqual([
      { field: 'body.rules[0].expression', message: 'column 24: unexpected character ";"' },
      { field: 'body.rules[1].expression', message: expect.stringMatching(/more than 400 tokens/) },
      { field: 'body.rules', message: 'in_area names unknown areas: ZZ-NOWHERE' },
    ]);
    expect(await t.hub.db.query(`select 1 from program where code = 'evil'`)).toEqual([]);
    expect((await t.hub.db.query<{ n: number }>('select count(*)::int as n from household'))[0].n).toBe(households.length);
  });
});
