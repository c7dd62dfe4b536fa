// The stored household features (household_features) equal the features computed from the members (featuresSql), as
// registered, after every kind of registry change (the triggers mark what changed, a refresh recomputes it), after a
// member's age crosses a boundary (valid_until), and after a full rebuild.
import { rebuildFeatures, refreshFeatures } from '../../../core/assessment/features-store.js';
import { featuresSql, STORED_FEATURE_COLUMNS } from '../../../core/assessment/features.js';
import { createAreas } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { featuresOf, registerSmallSet, type Registered } from './fixtures.js';

const COLUMNS = STORED_FEATURE_COLUMNS.join(', ');

describe.each(dbEngines())('stored household features on %s', (db) => {
  let t: TestHub;
  let households: Registered[];

  beforeAll(async () => {
    t = await startTestHub({ db });
    await createAreas(t);
    households = await registerSmallSet(t);
  }, 180_000);
  afterAll(() => t.stop());

  const refresh = () => t.hub.db.transaction((tx) => refreshFeatures(tx));
  const stored = () => t.hub.db.query<Record<string, unknown>>(`select ${COLUMNS} from household_features order by household_id`);
  const computed = () => t.hub.db.query<Record<string, unknown>>(`select ${COLUMNS} from (${featuresSql('true', undefined, { stored: true })}) f order by household_id`);
  const row = async (id: string) => (await t.hub.db.query<Record<string, unknown>>('select * from household_features where household_id = $1', [id]))[0];
  const memberIds = async (householdId: string) =>
    (await t.hub.db.query<{ person_id: string }>('select person_id from membership where household_id = $1 and end_date is null order by person_id', [householdId])).map((r) => r.person_id);

  it('holds every registered household with the features computed from its members', async () => {
    await refresh();
    const rows = await stored();
    expect(rows).toEqual(await computed());
    expect(rows).toHaveLength(households.length);
    // and the plain features relation the compilers read, column for column
    const plain = STORED_FEATURE_COLUMNS.filter((c) => c !== 'deceased_members' && c !== 'valid_until');
    const withoutExtras = rows.map((r) => Object.fromEntries(plain.map((c) => [c, r[c]])));
    expect(withoutExtras).toEqual(await t.hub.db.query(`select ${plain.join(', ')} from (${featuresSql()}) f order by household_id`));
    // against the JS reference too
    for (const h of households) {
      const f = featuresOf(h);
      expect(await row(h.id)).toMatchObject({ household_size: f.household_size, children: f.children, elderly: f.elderly, disabled: f.disabled,
        females: f.females, head_female: f.head_female, area_code: h.area, deceased_members: 0 });
    }
  });

  it('follows every kind of change: persons, deaths, memberships ended and added, answers, heads, deregistrations', async () => {
    const [h0, h1, h2, h3, h4, h5] = households;
    const q = (sql: string, params: unknown[]) => t.hub.db.query(sql, params);
    const [firstOf1] = await memberIds(h1.id);
    await q(`update person set sex = 'female', disabilities = '["MOB_SS"]', birth_date = '1950-01-01' where id = $1`, [firstOf1]);
    const [firstOf2] = await memberIds(h2.id);
    await q('update person set death_date = current_date where id = $1', [firstOf2]);
    const members3 = await memberIds(h3.id);
    await q('update membership set end_date = current_date where person_id = $1 and end_date is null', [members3[0]]);
    await q(`insert into membership (id, household_id, person_id, relationship, start_date) values (gen_random_uuid(), $1, $2, 'OTHER', current_date)`, [h0.id, members3[0]]);
    await q(`update household set attributes = attributes || '{"assets": ["car"], "dwelling_wall": "brick"}' where id = $1`, [h4.id]);
    const members5 = await memberIds(h5.id);
    await q('update household set head_person_id = $2 where id = $1', [h5.id, members5[members5.length - 1]]);
    await q(`update household set deregistered_at = now(), deregistration_reason = 'duplicate' where id = $1`, [households[6].id]);
    // a change no feature reads leaves the stored row as it is, and is harmless
    await q(`update person set given_name = 'Renamed' where id = $1`, [members5[0]]);

    // the coverage report refreshes before it counts: its totals are the registry's now, nothing drained or refreshed
    const [expected] = await t.hub.db.query<{ households: number; persons: number }>(
      `select count(*)::int as households, sum(household_size)::int as persons from (${featuresSql()}) f`);
    const coverage = await t.get('/api/v1/reports/coverage');
    expect(coverage.status).toBe(200);
    expect(coverage.body.totals).toMatchObject({ households: expected.households, persons: expected.persons });
    // one household deregistered, one member dead; the member who moved is counted once
    expect(expected).toEqual({ households: households.length - 1, persons: households.reduce((n, h) => n + h.members.length, 0) - 1 - households[6].members.length });

    await refresh();
    expect(await stored()).toEqual(await computed());
    expect(await row(households[6].id)).toBeUndefined();
    expect(await row(h2.id)).toMatchObject({ household_size: h2.members.length - 1, deceased_members: 1 });
    expect(await row(h3.id)).toMatchObject({ household_size: h3.members.length - 1 });
    expect(await row(h0.id)).toMatchObject({ household_size: h0.members.length + 1 });
    expect(await row(h4.id)).toMatchObject({ dwelling_wall: 'brick', assets: ['car'], asset_count: 1 });
    expect(await row(h1.id)).toMatchObject({ disabled: 1, elderly: 1, females: 2 });
  });

  it('recomputes a household on the day an age-derived feature changes (valid_until)', async () => {
    const [{ turns18, turns40 }] = await t.hub.db.query<{ turns18: string; turns40: string }>(
      `select (current_date - interval '18 years' + interval '1 day')::date::text as turns18,
              (current_date - interval '40 years' + interval '1 day')::date::text as turns40`,
    );
    const res = await t.post('/api/v1/households', {
      area_code: 'AM-R1-D1',
      members: [
        { relationship: 'SELF', person: { given_name: 'Head', family_name: 'Birthday', sex: 'female', birth_date: turns40 } },
        { relationship: 'SON', person: { given_name: 'Nearly', family_name: 'Adult', sex: 'male', birth_date: turns18 } },
      ],
    });
    expect(res.status).toBe(201);
    await refresh();
    const [{ tomorrow }] = await t.hub.db.query<{ tomorrow: string }>(`select (current_date + 1)::text as tomorrow`);
    expect(await row(res.body.id)).toMatchObject({ children: 1, head_age: 39, valid_until: tomorrow });
    // a row whose day has come is recomputed by the next refresh, whatever it held
    await t.hub.db.query('update household_features set valid_until = current_date, children = 99 where household_id = $1', [res.body.id]);
    expect((await refresh()).recomputed).toBeGreaterThanOrEqual(1);
    expect(await row(res.body.id)).toMatchObject({ children: 1, valid_until: tomorrow });
    expect(await stored()).toEqual(await computed());
  });

  it('rebuilds everyone to the same rows (a bulk load that bypassed the triggers calls it)', async () => {
    await t.hub.db.query(`delete from household_features`);
    await t.hub.db.transaction((tx) => rebuildFeatures(tx));
    expect(await stored()).toEqual(await computed());
    expect((await t.hub.db.query<{ n: number }>('select count(*)::int as n from household_features_stale'))[0].n).toBe(0);
  });
});
