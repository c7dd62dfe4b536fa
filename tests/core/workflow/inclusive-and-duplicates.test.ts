// Inclusive registration (no ID document, estimated birth date, no fixed address, proxy, witness, language,
// accessibility, disability) goes through the same checks as anyone's; the duplicate check finds people registered
// already, without treating everyone who has no document as the same person. Direct registrations get a case too.
import { uin } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';
import type { TestHub } from '../../helpers/test-hub.js';
import { aDistinctHousehold, caseTopics, someone, workflowHub } from './setup.js';

describe.each(apiEngines())('inclusive registration and duplicates on %s', (db) => {
  let t: TestHub;
  let officer: Record<string, string>;
  beforeAll(async () => {
    t = await workflowHub({ db });
    officer = (await t.as(['registry_officer'])).headers;
  }, 180_000);
  afterAll(() => t.stop(), 60_000);

  const submitAndSettle = async (body: Record<string, unknown>) => {
    const res = await t.post('/api/v1/registrations', body, { headers: officer });
    expect(res.status).toBe(202);
    await t.hub.workflow.settle();
    return (await t.get(`/api/v1/registrations/${res.body.id}`, { headers: officer })).body;
  };

  it('registers a household with no documents, no fixed address, by a proxy with a witness, as a full record', async () => {
    const head = someone({ birth_date: '1950-01-01', birth_date_estimated: true, preferred_language: 'swa', disabilities: ['VIS_SS'], attributes: { accessibility_needs: ['large_print', 'assistance_at_pay_point'] } });
    const child = someone({ birth_date: '2019-07-01', birth_date_estimated: true });
    const c = await submitAndSettle({
      channel: 'mobile',
      household: {
        area_code: 'AM-R2-D1',
        location: { latitude: -1.1, longitude: 36.9 },
        attributes: { no_fixed_address: true, location_description: 'Under the big fig tree behind the bus stage' },
        members: [
          { relationship: 'SELF', person: head },
          { relationship: 'GRNDCHILD', person: child },
        ],
      },
      proxy: { name: 'Grace Wanjiru', relationship: 'neighbour', reason: 'the head cannot walk to the office', members: [0, 1] },
      witness: { name: 'Peter Otieno', role: 'community_leader' },
    });
    // the same checks as anyone, and registered like anyone
    expect(c).toMatchObject({ status: 'registered', by_proxy: true, assisted: true, reasons: [] });
    expect(c.checks.map((r: { check: string; outcome: string }) => `${r.check}:${r.outcome}`)).toEqual(['form-validation:skipped', 'duplicates:passed', 'self-registration:skipped']);
    expect(c.data.proxy).toMatchObject({ name: 'Grace Wanjiru', relationship: 'neighbour' });
    expect(c.data.witness).toMatchObject({ name: 'Peter Otieno' });

    const household = (await t.get(`/api/v1/households/${c.household_id}`, { headers: officer })).body;
    expect(household).toMatchObject({ address: null, location: { latitude: -1.1, longitude: 36.9 }, attributes: { no_fixed_address: true, location_description: expect.stringContaining('fig tree') } });
    const [headPerson, childPerson] = household.members.map((m: { person: Record<string, unknown> }) => m.person);
    expect(headPerson).toMatchObject({ birth_date: '1950-01-01', birth_date_estimated: true, preferred_language: 'swa', disabilities: ['VIS_SS'], attributes: { accessibility_needs: ['large_print', 'assistance_at_pay_point'] } });
    // no document: the hub issues a registry ID (SRID), visible and usable to find the person
    for (const p of [headPerson, childPerson]) {
      expect(p.identifiers).toEqual([{ type: 'SRID', value: expect.stringMatching(/^\d{11}$/), issued_by_hub: true }]);
    }
    const found = await t.get(`/api/v1/persons?identifier_type=SRID&identifier_value=${headPerson.identifiers[0].value}`, { headers: officer });
    expect(found.body.items.map((p: { id: string }) => p.id)).toEqual([headPerson.id]);
  });

  it('does not take people without documents for duplicates of each other', async () => {
    const cases = [];
    for (let i = 0; i < 4; i++) {
      cases.push(await submitAndSettle({ household: { area_code: 'AM-R2-D2', address: 'Camp B', members: [{ relationship: 'SELF', person: someone() }] } }));
    }
    expect(cases.map((c) => `${c.status}:${c.reasons.join(',')}`)).toEqual(['registered:', 'registered:', 'registered:', 'registered:']);
  });

  it('sends a person registered already to review as a duplicate; the officer rejects it as such', async () => {
    const first = aDistinctHousehold('AM-R1-D1', uin());
    expect((await submitAndSettle({ household: first })).status).toBe('registered');
    // the same head again, without the document this time, in another household
    const { identifiers: _ignored, ...sameHead } = first.members[0].person as Record<string, unknown>;
    const again = await submitAndSettle({ household: { area_code: 'AM-R1-D1', address: 'Elsewhere', members: [{ relationship: 'SELF', person: sameHead }] } });
    expect(again.status).toBe('needs_review');
    expect(again.reasons.some((r: string) => r === 'duplicate' || r === 'possible_duplicate')).toBe(true);
    const dup = again.checks.find((r: { check: string }) => r.check === 'duplicates');
    expect(dup.details.candidates[0]).toMatchObject({ member_index: 0, person_id: expect.any(String) });
    expect((await t.get(`/api/v1/reviews?reason=${again.reasons[0]}`, { headers: officer })).body.items.map((c: { id: string }) => c.id)).toContain(again.id);
    const rejected = await t.post(`/api/v1/reviews/${again.id}/reject`, { reasons: ['duplicate'], comment: 'Registered in March' }, { headers: officer });
    expect(rejected.body).toMatchObject({ status: 'rejected', reasons: ['duplicate'] });
    expect(await caseTopics(t, again.id)).toEqual(['registration.submitted', 'registration.needs_review', 'registration.rejected']);
  });

  it('records a registered case for a direct registration and flags (not blocks) a duplicate after it', async () => {
    const household = aDistinctHousehold('AM-R1-D2', uin());
    const direct = await t.post('/api/v1/households', household, { headers: officer });
    expect(direct.status).toBe(201);
    await t.hub.workflow.settle();
    const cases = (await t.get(`/api/v1/registrations?limit=500`, { headers: officer })).body.items.filter((c: { household_id: string }) => c.household_id === direct.body.id);
    expect(cases).toEqual([expect.objectContaining({ status: 'registered', channel: 'online', reasons: [] })]);

    // the same head registered directly again (the officer did not look): registered, and flagged for the dedup queue
    const { identifiers: _ignored, ...sameHead } = household.members[0].person as Record<string, unknown>;
    const twice = await t.post('/api/v1/households', { area_code: 'AM-R1-D2', members: [{ relationship: 'SELF', person: sameHead }] }, { headers: officer });
    expect(twice.status).toBe(201);
    await t.hub.workflow.settle();
    const [flagged] = (await t.get(`/api/v1/registrations?limit=500`, { headers: officer })).body.items.filter((c: { household_id: string }) => c.household_id === twice.body.id);
    expect(flagged.status).toBe('registered');
    expect(flagged.reasons.some((r: string) => r === 'duplicate' || r === 'possible_duplicate')).toBe(true);
    const pairs = await t.hub.db.query<{ person_a: string; person_b: string }>('select person_a, person_b from duplicate_pair where status = $1', ['open']);
    const newHead = twice.body.members[0].person_id;
    const oldHead = direct.body.members[0].person_id;
    expect(pairs.some((p) => [p.person_a, p.person_b].sort().join() === [newHead, oldHead].sort().join())).toBe(true);
  });
});
