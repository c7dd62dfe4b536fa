// What follows a person through a merge (core/dedup/follow.ts, docs/dedup.md "What a merge moves"): the merged
// record's consents move to the survivor with their hash chains, a given one ends (never a grant for the survivor),
// a later refusal on the merged record withdraws the survivor's own consent, an older one does not; verifications
// move; a deregistered duplicate household's program participation stays and is reported.
import { randomUUID } from 'node:crypto';
import { decideDisclosure } from '../../../consent/policy.js';
import { recordDuplicatePairs } from '../../../core/dedup/index.js';
import { participationStore } from '../../../core/participation/store.js';
import { verificationStore } from '../../../core/verification/store.js';
import { startConsentHub, type ConsentHub } from '../../consent/setup.js';
import { aPerson } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';

describe.each(dbEngines())('what a merge moves, on %s', (engine) => {
  let h: ConsentHub;
  beforeAll(async () => {
    h = await startConsentHub({ db: engine });
  }, 120_000);
  afterAll(() => h?.stop());

  async function register(person: Record<string, unknown>): Promise<{ personId: string; householdId: string }> {
    const res = await h.t.post('/api/v1/households', { area_code: 'CA', members: [{ relationship: 'SELF', person }] }, { headers: h.admin });
    expect(res.status).toBe(201);
    return { personId: res.body.members[0].person_id, householdId: res.body.id };
  }

  async function consent(agreementId: string, personId: string, decision: 'given' | 'refused' = 'given'): Promise<string> {
    const res = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: personId, decision }, { headers: h.officer });
    expect(res.status).toBe(201);
    return res.body.consent.id;
  }

  async function withdraw(consentId: string): Promise<void> {
    const res = await h.t.post(`/api/v1/consent/consents/${consentId}/withdraw`, { note: 'changed her mind' }, { headers: h.officer });
    if (res.status !== 200) throw new Error(`withdraw: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async function merge(survivorId: string, mergedId: string): Promise<Record<string, any>> {
    await h.t.hub.db.transaction((tx) =>
      recordDuplicatePairs(tx, [{ personA: survivorId, personB: mergedId, score: 25, decision: 'match', reasons: ['name:exact'] }], 'manual'),
    );
    const [pair] = await h.t.hub.db.query<{ id: string }>(
      'select id from duplicate_pair where $1::uuid in (person_a, person_b) and $2::uuid in (person_a, person_b)',
      [survivorId, mergedId],
    );
    const res = await h.t.post(`/api/v1/dedup/pairs/${pair.id}/merge`, { survivor_id: survivorId }, { headers: h.admin });
    expect(res.status).toBe(200);
    return res.body;
  }

  const decide = async (personId: string, purpose: string) =>
    (await decideDisclosure(h.ctxAs({ id: 'client:prog-a' }), { purpose, recipient: 'client:prog-a', personIds: [personId] })).get(personId)!;

  test('consents move with their history; a given one ends and grants the survivor nothing; a later refusal withdraws the survivor\'s', async () => {
    const survivor = await register(aPerson({ given_name: 'Halima', family_name: 'Mrema', birth_date: '1979-03-03' }));
    const merged = await register(aPerson({ given_name: 'Halima', family_name: 'Mremma', birth_date: '1979-03-03' }));
    const cash = await h.agreement({ purpose_code: 'cash-transfer' });
    const school = await h.agreement({ purpose_code: 'school-feeding' });
    const health = await h.agreement({ purpose_code: 'health-insurance' });
    const nutrition = await h.agreement({ purpose_code: 'nutrition' });

    // given only on the merged record
    const givenOnMerged = await consent(cash, merged.personId);
    // the survivor gave school feeding; later, on the other record, the person refused it: the latest word is no
    const survivorSchool = await consent(school, survivor.personId);
    const refusedLater = await consent(school, merged.personId, 'refused');
    // the merged record refused health insurance first; the survivor's consent to it came after: it stands
    const refusedEarlier = await consent(health, merged.personId, 'refused');
    const survivorHealth = await consent(health, survivor.personId);
    // a consent the person gave and withdrew on the merged record: history only
    const withdrawnOnMerged = await consent(nutrition, merged.personId);
    await withdraw(withdrawnOnMerged);
    expect(await decide(merged.personId, 'cash-transfer')).toMatchObject({ allowed: true });
    expect(await decide(survivor.personId, 'cash-transfer')).toMatchObject({ allowed: false });

    const body = await merge(survivor.personId, merged.personId);
    expect(body.changed).toBe(true);
    expect([...body.moved.consents_moved].sort()).toEqual([givenOnMerged, refusedLater, refusedEarlier, withdrawnOnMerged].sort());
    expect(body.moved.consents_ended).toEqual([givenOnMerged]);
    expect(body.moved.survivor_consents_withdrawn).toEqual([survivorSchool]);

    const rows = await h.t.hub.db.query<{ id: string; person_id: string; state: string; merged_from: string | null; status_list_id: number; status_idx: number }>(
      'select id, person_id, state, merged_from, status_list_id, status_idx from consent where id = any($1::uuid[])',
      [[givenOnMerged, refusedLater, refusedEarlier, withdrawnOnMerged, survivorSchool, survivorHealth]],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(rows.filter((r) => r.person_id !== survivor.personId)).toEqual([]);
    expect(byId.get(givenOnMerged)).toMatchObject({ state: 'withdrawn', merged_from: merged.personId });
    expect(byId.get(refusedLater)).toMatchObject({ state: 'refused', merged_from: merged.personId });
    expect(byId.get(refusedEarlier)).toMatchObject({ state: 'refused', merged_from: merged.personId });
    expect(byId.get(withdrawnOnMerged)).toMatchObject({ state: 'withdrawn', merged_from: merged.personId });
    expect(byId.get(survivorSchool)).toMatchObject({ state: 'withdrawn', merged_from: null });
    expect(byId.get(survivorHealth)).toMatchObject({ state: 'given', merged_from: null });

    // what may be disclosed about the survivor: never more than before the merge
    expect(await decide(survivor.personId, 'cash-transfer')).toMatchObject({ allowed: false });
    expect(await decide(survivor.personId, 'school-feeding')).toMatchObject({ allowed: false, reason: 'consent.withdrawn' });
    expect(await decide(survivor.personId, 'health-insurance')).toMatchObject({ allowed: true, consentId: survivorHealth });
    // the ended consent's token is revoked on its status list
    const given = byId.get(givenOnMerged)!;
    const [bit] = await h.t.hub.db.query<{ bit: number }>('select get_bit(bits, $2) as bit from consent_status_list where id = $1', [given.status_list_id, given.status_idx]);
    expect(bit.bit).toBe(1);

    // each moved consent keeps an unbroken hash chain, its last revision saying why
    for (const id of [givenOnMerged, refusedLater, survivorSchool]) {
      const read = await h.t.get(`/api/v1/consent/consents/${id}`, { headers: h.officer });
      expect(read.status).toBe(200);
      expect(read.body.chain_intact).toBe(true);
      expect(read.body.revisions[read.body.revisions.length - 1].note).toMatch(/^merge: /);
    }
    // and every change is audited against the survivor
    const [audited] = await h.t.hub.db.query<{ n: number }>(
      `select count(*)::int as n from audit_log where entity = 'consent' and action = 'update' and subject_person_id = $1
       and details->>'merged_from' = $2`,
      [survivor.personId, merged.personId],
    );
    expect(audited.n).toBe(5);
  }, 120_000);

  test('verifications move to the survivor; a deregistered duplicate household keeps its program participation, reported for review', async () => {
    const survivor = await register(aPerson({ given_name: 'Saida', family_name: 'Komba', birth_date: '1990-09-09' }));
    const merged = await register(aPerson({ given_name: 'Saida', family_name: 'Kombaa', birth_date: '1990-09-09' }));
    const db = h.t.hub.db;
    const verification = randomUUID();
    await db.transaction(async (tx) => {
      await verificationStore.insert(tx, {
        id: verification, person_id: merged.personId, case_id: null, member_index: null, method: 'national_id', system: 'national-id/test',
        result: 'match', details: { matched: ['name', 'birth_date'] }, recorded_by: 'test', dedupe_key: `t-${verification}`,
      });
      await participationStore.upsert(tx, {
        household_id: merged.householdId, program_code: 'CASH', external_enrolment_id: `E-${verification}`, status: 'active',
        status_changed_at: null, source: 'program-mis',
      });
    });

    const body = await merge(survivor.personId, merged.personId);
    expect(body.moved.verifications_moved).toEqual([verification]);
    expect(body.moved.participation_to_review).toEqual([{ household_id: merged.householdId, program_code: 'CASH', status: 'active' }]);
    expect(body.moved.consents_moved).toEqual([]);
    const [v] = await db.query<{ person_id: string; merged_from: string }>('select person_id, merged_from from person_verification where id = $1', [verification]);
    expect(v).toEqual({ person_id: survivor.personId, merged_from: merged.personId });
    // the enrolment is the program's to exit or transfer: it stays with the (now deregistered) household
    expect(await participationStore.ofHousehold(db, merged.householdId)).toMatchObject([{ program_code: 'CASH', status: 'active' }]);
    expect(await participationStore.ofHousehold(db, survivor.householdId)).toEqual([]);
    const [household] = await db.query<{ deregistration_reason: string }>('select deregistration_reason from household where id = $1', [merged.householdId]);
    expect(household.deregistration_reason).toBe('duplicate');

    // a retry moves nothing more and reports nothing
    const [pair] = await db.query<{ id: string }>('select id from duplicate_pair where status = $1 and survivor_id = $2', ['merged', survivor.personId]);
    const again = await h.t.post(`/api/v1/dedup/pairs/${pair.id}/merge`, { survivor_id: survivor.personId }, { headers: h.admin });
    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(false);
    expect(again.body.moved).toBeUndefined();
  }, 120_000);
});
