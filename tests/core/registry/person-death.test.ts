// Recording a person's death: PATCH death_date (set, corrected, cleared), the rules (not in the future, not before
// birth, never at registration), the history, and the outbox events (person.deceased once, with no date or name).
import { aHousehold, aPerson, createAreas } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

describe.each(apiEngines())('a person\'s death on %s', (db) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ db });
    await createAreas(t);
  });
  afterAll(() => t.stop());

  const eventsOf = (personId: string) =>
    t.hub.db.query<{ topic: string; payload: Record<string, unknown> }>(
      `select topic, payload from outbox_event where aggregate_type = 'person' and aggregate_id = $1 order by id`,
      [personId],
    );
  const topics = async (personId: string) => (await eventsOf(personId)).map((e) => e.topic);

  it('records a death with PATCH, shows it in the record and its history, and emits person.deceased once', async () => {
    const household = (await t.post('/api/v1/households', aHousehold('AM-R1-D1'))).body;
    const personId: string = household.members[1].person_id;
    const before = (await t.get(`/api/v1/persons/${personId}`)).body;
    expect(before.death_date).toBeNull();

    const died = await t.patch(`/api/v1/persons/${personId}`, { death_date: '2024-03-01' }, { ifMatch: before.version });
    expect(died.status).toBe(200);
    expect(died.headers.get('etag')).toBe(`"${before.version + 1}"`);
    expect(died.body).toMatchObject({ death_date: '2024-03-01', version: before.version + 1, given_name: before.given_name });
    expect((await t.get(`/api/v1/persons/${personId}`)).body.death_date).toBe('2024-03-01');

    const [latest] = (await t.get(`/api/v1/persons/${personId}/history`)).body.items;
    expect(latest).toMatchObject({ version: before.version + 1, changes: { death_date: { from: null, to: '2024-03-01' } } });

    const events = await eventsOf(personId);
    expect(events.map((e) => e.topic)).toEqual(['person.registered', 'person.updated', 'person.deceased']);
    const deceased = events[2];
    expect(deceased.payload).toEqual({ fields: ['death_date'], household_id: household.id });
    // ids and field names only: never the date or the names
    expect(JSON.stringify(deceased.payload)).not.toContain('2024');
    expect(JSON.stringify(deceased.payload)).not.toContain(before.given_name);

    // the record outside: the registry's own read of the household member shows it too
    const inHousehold = (await t.get(`/api/v1/households/${household.id}`)).body.members[1].person;
    expect(inHousehold.death_date).toBe('2024-03-01');
  });

  it('treats a correction as an update only, a clearing too, and a death set again as a new death', async () => {
    const person = (await t.post('/api/v1/persons', aPerson())).body;
    await t.patch(`/api/v1/persons/${person.id}`, { death_date: '2023-05-05' }, { ifMatch: 1 });
    const corrected = await t.patch(`/api/v1/persons/${person.id}`, { death_date: '2023-05-04' }, { ifMatch: 2 });
    expect(corrected.status).toBe(200);
    expect(corrected.body.death_date).toBe('2023-05-04');
    expect(await topics(person.id)).toEqual(['person.registered', 'person.updated', 'person.deceased', 'person.updated']);

    // the same date again changes nothing: no version, no event
    const same = await t.patch(`/api/v1/persons/${person.id}`, { death_date: '2023-05-04' }, { ifMatch: 3 });
    expect(same.body.version).toBe(3);
    expect(await topics(person.id)).toHaveLength(4);

    // a merge patch null clears it (a death recorded in error): an update
    const cleared = await t.patch(`/api/v1/persons/${person.id}`, { death_date: null }, { ifMatch: 3 });
    expect(cleared.status).toBe(200);
    expect(cleared.body.death_date).toBeNull();
    const history = (await t.get(`/api/v1/persons/${person.id}/history`)).body.items;
    expect(history.slice(0, 3).map((h: { changes: unknown }) => h.changes)).toEqual([
      { death_date: { from: '2023-05-04', to: null } },
      { death_date: { from: '2023-05-05', to: '2023-05-04' } },
      { death_date: { from: null, to: '2023-05-05' } },
    ]);
    expect((await topics(person.id)).filter((x) => x === 'person.deceased')).toHaveLength(1);

    // recorded again after being cleared: null -> a date is a death recorded
    await t.patch(`/api/v1/persons/${person.id}`, { death_date: '2023-05-04' }, { ifMatch: 4 });
    expect((await topics(person.id)).filter((x) => x === 'person.deceased')).toHaveLength(2);
  });

  it('does not emit person.deceased for other changes of a deceased or living person', async () => {
    const person = (await t.post('/api/v1/persons', aPerson())).body;
    await t.patch(`/api/v1/persons/${person.id}`, { given_name: 'Neema' }, { ifMatch: 1 });
    await t.patch(`/api/v1/persons/${person.id}`, { death_date: '2022-01-01', family_name: 'Otieno' }, { ifMatch: 2 });
    await t.patch(`/api/v1/persons/${person.id}`, { given_name: 'Neema Grace' }, { ifMatch: 3 });
    expect(await topics(person.id)).toEqual(['person.registered', 'person.updated', 'person.updated', 'person.deceased', 'person.updated']);
    const [, , , deceased] = await eventsOf(person.id);
    expect(deceased.payload).toEqual({ fields: ['family_name', 'death_date'], household_id: null });
  });

  it('refuses a death date in the future or before the birth date with 422 naming body.death_date, changing nothing', async () => {
    const person = (await t.post('/api/v1/persons', aPerson({ birth_date: '1985-04-12' }))).body;
    const future = await t.patch(`/api/v1/persons/${person.id}`, { death_date: '2999-01-01' }, { ifMatch: 1 });
    expect(future.status).toBe(422);
    expect(future.body.errors).toEqual([{ field: 'body.death_date', message: expect.stringContaining('future') }]);

    const beforeBirth = await t.patch(`/api/v1/persons/${person.id}`, { death_date: '1985-04-11' }, { ifMatch: 1 });
    expect(beforeBirth.status).toBe(422);
    expect(beforeBirth.body.errors).toEqual([{ field: 'body.death_date', message: 'is before the birth date' }]);

    // the same day as the birth is possible
    const sameDay = await t.patch(`/api/v1/persons/${person.id}`, { death_date: '1985-04-12' }, { ifMatch: 1 });
    expect(sameDay.status).toBe(200);

    // moving the birth date after the death is refused the same way
    const laterBirth = await t.patch(`/api/v1/persons/${person.id}`, { birth_date: '1990-01-01' }, { ifMatch: 2 });
    expect(laterBirth.status).toBe(422);
    expect(laterBirth.body.errors).toEqual([{ field: 'body.death_date', message: 'is before the birth date' }]);

    expect((await t.get(`/api/v1/persons/${person.id}`)).body).toMatchObject({ version: 2, birth_date: '1985-04-12', death_date: '1985-04-12' });
    expect(await topics(person.id)).toEqual(['person.registered', 'person.updated', 'person.deceased']);
  });

  it('keeps a death before the birth out of the database itself', async () => {
    const person = (await t.post('/api/v1/persons', aPerson({ birth_date: '1985-04-12' }))).body;
    await expect(t.hub.db.query(`update person set death_date = '1985-04-11' where id = $1`, [person.id])).rejects.toThrow(/person_death_after_birth/);
  });

  it('refuses a death date at registration, alone, in a household and in a bulk batch', async () => {
    const alone = await t.post('/api/v1/persons', aPerson({ death_date: '2020-01-01' }));
    expect(alone.status).toBe(422);
    expect(alone.body.errors).toEqual([{ field: 'body.death_date', message: expect.stringContaining('registered alive') }]);

    const household = aHousehold('AM-R1-D1');
    (household.members[1].person as Record<string, unknown>).death_date = '2020-01-01';
    const inHousehold = await t.post('/api/v1/households', household);
    expect(inHousehold.status).toBe(422);
    expect(inHousehold.body.errors).toEqual([expect.objectContaining({ field: 'body.members[1].person.death_date' })]);

    const bulk = await t.post('/api/v1/households:bulk', { households: [household] });
    expect(bulk.status).toBe(422);
    expect(JSON.stringify(bulk.body.errors)).toContain('person.death_date');

    const added = (await t.post('/api/v1/households', aHousehold('AM-R1-D1'))).body;
    const member = await t.post(`/api/v1/households/${added.id}/members`, { relationship: 'DAU', person: aPerson({ death_date: '2020-01-01' }) }, { ifMatch: added.version });
    expect(member.status).toBe(422);
    expect(member.body.errors).toEqual([expect.objectContaining({ field: 'body.person.death_date' })]);
  });
});
