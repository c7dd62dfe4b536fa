// The consent API: agreements (draft, publish, immutable, new version), a beneficiary granting and withdrawing their
// own consent (and only theirs), officers recording in person and on paper, renewal, receipts, the revision chain,
// idempotent grants, the daily expiry job and the outbox events.
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { runConsentExpiry } from '../../consent/expiry.js';
import { consentStore } from '../../consent/store.js';
import { verifyRevisions } from '../../consent/records.js';
import { SYSTEM_PRINCIPAL } from '../../core/server/principal.js';
import { startConsentHub, type ConsentHub } from './setup.js';

describe('consent API', () => {
  let h: ConsentHub;
  let agreementId: string;
  let household: { id: string; memberIds: string[] };

  beforeAll(async () => {
    h = await startConsentHub();
    agreementId = await h.agreement();
    household = await h.household();
  });
  afterAll(() => h.stop());

  it('publishes an agreement once, with a hash of its content; a change is a new version with its own hash', async () => {
    const body = {
      code: 'school-feeding', purpose_code: 'school-feeding', purpose_text: { en: 'School meals' }, lawful_basis: 'consent',
      categories: ['name', 'demographics'], recipients: ['prog-s'], controller: { name: 'Ministry of Education' },
      retention_days: 30, max_validity_days: 90,
    };
    const v1 = await h.t.post('/api/v1/consent/agreements', body, { headers: h.admin });
    expect(v1.body).toMatchObject({ version: 1, state: 'draft', hash: null });
    const published = await h.t.post(`/api/v1/consent/agreements/${v1.body.id}/publish`, undefined, { headers: h.admin });
    expect(published.body).toMatchObject({ state: 'published', hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect((await h.t.post(`/api/v1/consent/agreements/${v1.body.id}/publish`, undefined, { headers: h.admin })).status).toBe(409);
    // an officer may not change agreements
    expect((await h.t.post('/api/v1/consent/agreements', body, { headers: h.officer })).status).toBe(403);

    const v2 = await h.t.post('/api/v1/consent/agreements', { ...body, categories: ['name'] }, { headers: h.admin });
    expect(v2.body.version).toBe(2);
    const p2 = await h.t.post(`/api/v1/consent/agreements/${v2.body.id}/publish`, undefined, { headers: h.admin });
    expect(p2.body.hash).not.toBe(published.body.hash);
    // public: anyone may read what a consent means
    const listed = await h.t.get('/api/v1/consent/agreements?code=school-feeding');
    expect(listed.body.items.map((a: { version: number; hash: string }) => [a.version, a.hash])).toEqual([[1, published.body.hash], [2, p2.body.hash]]);
    expect((await h.t.post('/api/v1/consent/agreements', { ...body, categories: ['phone'] }, { headers: h.admin })).status).toBe(400);
  });

  it('lets a beneficiary grant, list, read and withdraw their own consent, and nobody else\'s', async () => {
    const [me, other] = household.memberIds;
    const mine = await h.beneficiary(me);
    const granted = await h.t.post('/api/v1/me/consents', { agreement_id: agreementId }, { headers: mine });
    expect(granted.status).toBe(201);
    expect(granted.body.consent).toMatchObject({ person_id: me, state: 'given', in_force: true, channel: 'online', collected_by: expect.stringMatching(/^user:/) });
    expect(decodeJwt(granted.body.token).aud).toEqual(['prog-a']);

    // a beneficiary cannot record for someone else, nor see or withdraw another person's consent
    expect((await h.t.post('/api/v1/me/consents', { agreement_id: agreementId, person_id: other }, { headers: mine })).status).toBe(403);
    const officers = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: other }, { headers: h.officer });
    expect(officers.status).toBe(201);
    expect((await h.t.get(`/api/v1/me/consents/${officers.body.consent.id}`, { headers: mine })).status).toBe(404);
    expect((await h.t.post(`/api/v1/me/consents/${officers.body.consent.id}/withdraw`, undefined, { headers: mine })).status).toBe(404);
    // nor use the officers' API
    expect((await h.t.get(`/api/v1/consent/consents?person_id=${me}`, { headers: mine })).status).toBe(403);

    const receipt = await h.t.get(`/api/v1/me/consents/${granted.body.consent.id}/receipt`, { headers: mine });
    expect(receipt.body.receipt).toMatchObject({ consent_id: granted.body.consent.id, person_id: me, state: 'given' });
    const renewed = await h.t.post(`/api/v1/me/consents/${granted.body.consent.id}/renew`, {}, { headers: mine });
    expect(renewed.body.consent).toMatchObject({ revision: 2, state: 'given' });
    const list = await h.t.get('/api/v1/me/consents', { headers: mine });
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([granted.body.consent.id]);
    const withdrawn = await h.t.post(`/api/v1/me/consents/${granted.body.consent.id}/withdraw`, {}, { headers: mine });
    expect(withdrawn.body).toMatchObject({ state: 'withdrawn', in_force: false, revision: 3 });
    expect((await h.t.post(`/api/v1/me/consents/${granted.body.consent.id}/withdraw`, {}, { headers: mine })).status).toBe(409);

    const detail = await h.t.get(`/api/v1/me/consents/${granted.body.consent.id}`, { headers: mine });
    expect(detail.body.chain_intact).toBe(true);
    expect(detail.body.revisions.map((r: { state: string }) => r.state)).toEqual(['given', 'given', 'withdrawn']);
    expect(detail.body.revisions[2].prev_hash).toBe(detail.body.revisions[1].hash);
  });

  it('refuses a beneficiary account that is not linked to a person', async () => {
    const unlinked = await h.t.as(['beneficiary']);
    const res = await h.t.post('/api/v1/me/consents', { agreement_id: agreementId }, { headers: unlinked.headers });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('consent.no_subject');
  });

  it('records paper consent only with an attestation, and a guardian as proxy', async () => {
    const child = household.memberIds[2];
    const noAttestation = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: child, channel: 'paper' }, { headers: h.officer });
    expect(noAttestation.status).toBe(422);
    expect(noAttestation.body.errors[0].field).toBe('body.attestation');
    const form = createHash('sha256').update('scanned form').digest('hex');
    const paper = await h.t.post('/api/v1/consent/consents', {
      agreement_id: agreementId, person_id: child, channel: 'paper',
      attestation: { form_sha256: form, witness: 'Village elder' }, proxy: { name: 'Amina Okello', relationship: 'mother', person_id: household.memberIds[0] },
    }, { headers: h.officer });
    expect(paper.status).toBe(201);
    expect(paper.body.consent).toMatchObject({ channel: 'paper', attestation: { form_sha256: form }, proxy: { relationship: 'mother' } });
    // officers record in person or on paper, not 'online'
    expect((await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: child, channel: 'online' }, { headers: h.officer })).status).toBe(422);
  });

  it('refuses a draft agreement, an expiry beyond the agreement\'s limit, and a household consent by a non-head', async () => {
    const draft = await h.t.post('/api/v1/consent/agreements', {
      code: 'draft-only', purpose_code: 'x', purpose_text: { en: 'x' }, lawful_basis: 'consent', categories: ['name'],
      recipients: ['prog-a'], controller: { name: 'c' }, retention_days: 1, max_validity_days: 10,
    }, { headers: h.admin });
    const person = household.memberIds[0];
    expect((await h.t.post('/api/v1/consent/consents', { agreement_id: draft.body.id, person_id: person }, { headers: h.officer })).status).toBe(422);
    const tooLong = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: person, valid_until: new Date(Date.now() + 400 * 86_400_000).toISOString() }, { headers: h.officer });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors[0].field).toBe('body.valid_until');
    const householdAgreement = await h.agreement({ household_consent: true });
    const notHead = await h.t.post('/api/v1/consent/consents', { agreement_id: householdAgreement, person_id: household.memberIds[1], for_household_id: household.id }, { headers: h.officer });
    expect(notHead.status).toBe(422);
    const head = await h.t.post('/api/v1/consent/consents', { agreement_id: householdAgreement, person_id: household.memberIds[0], for_household_id: household.id }, { headers: h.officer });
    expect(head.status).toBe(201);
  });

  it('answers a retried grant with the same Idempotency-Key once', async () => {
    const body = { agreement_id: agreementId, person_id: household.memberIds[1] };
    const first = await h.t.post('/api/v1/consent/consents', body, { headers: h.officer, idempotencyKey: 'grant-key-0001' });
    const again = await h.t.post('/api/v1/consent/consents', body, { headers: h.officer, idempotencyKey: 'grant-key-0001' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.consent.id).toBe(first.body.consent.id);
  });

  it('renews a consent with a new token and gives a receipt signed by the hub', async () => {
    const person = household.memberIds[1];
    const granted = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: person, valid_until: new Date(Date.now() + 86_400_000).toISOString() }, { headers: h.officer });
    const until = new Date(Date.now() + 100 * 86_400_000).toISOString();
    const renewed = await h.t.post(`/api/v1/consent/consents/${granted.body.consent.id}/renew`, { valid_until: until }, { headers: h.officer });
    expect(renewed.status).toBe(200);
    expect(renewed.body.consent).toMatchObject({ state: 'given', revision: 2, valid_until: until });
    expect(decodeJwt(renewed.body.token).jti).not.toBe(decodeJwt(granted.body.token).jti);

    const receipt = await h.t.get(`/api/v1/consent/consents/${granted.body.consent.id}/receipt`, { headers: h.officer });
    expect(receipt.body.receipt).toMatchObject({
      consent_id: granted.body.consent.id, person_id: person, state: 'given', valid_until: until,
      purpose: { code: 'cash-transfer', text: { en: expect.any(String), sw: expect.any(String) } }, revision: 2,
    });
    expect(decodeJwt(receipt.body.receipt_token)).toMatchObject({ consent_id: granted.body.consent.id, revision_hash: receipt.body.receipt.revision_hash });
    const verified = await h.t.post('/api/v1/consent/verify', { token: receipt.body.token, audience: 'prog-a', purpose: 'cash-transfer' });
    expect(verified.body.result).toBe('valid');
  });

  it('lists consents by recipient for officers', async () => {
    const other = await h.agreement({ recipients: ['prog-only'] });
    const granted = await h.t.post('/api/v1/consent/consents', { agreement_id: other, person_id: household.memberIds[2] }, { headers: h.officer });
    const byRecipient = await h.t.get('/api/v1/consent/consents?recipient=prog-only', { headers: h.officer });
    expect(byRecipient.body.items.map((c: { id: string }) => c.id)).toEqual([granted.body.consent.id]);
    expect((await h.t.get('/api/v1/consent/consents', { headers: h.officer })).status).toBe(400);
  });

  it('expires consents past valid_until in the daily job, with a revision and an outbox event, and emits given/withdrawn', async () => {
    const person = household.memberIds[2];
    const past = Date.now() - 10 * 86_400_000;
    const granted = await h.t.post('/api/v1/consent/consents', {
      agreement_id: agreementId, person_id: person, valid_from: new Date(past).toISOString(), valid_until: new Date(past + 86_400_000).toISOString(),
    }, { headers: h.officer });
    const id = granted.body.consent.id;
    expect(granted.body.consent).toMatchObject({ state: 'given', in_force: false });
    const ctx = h.ctxAs(SYSTEM_PRINCIPAL);
    expect(await runConsentExpiry(ctx)).toBeGreaterThanOrEqual(1);
    const after = await h.t.get(`/api/v1/consent/consents/${id}`, { headers: h.officer });
    expect(after.body).toMatchObject({ state: 'expired', revision: 2, chain_intact: true });
    expect(await runConsentExpiry(ctx)).toBe(0);

    const events = await h.t.hub.db.query<{ topic: string; aggregate_id: string; payload: Record<string, unknown> }>(
      `select topic, aggregate_id, payload from outbox_event where aggregate_type = 'consent' and aggregate_id = $1 order by id`, [id]);
    expect(events.map((e) => e.topic)).toEqual(['consent.given', 'consent.expired']);
    expect(events[1].payload).toMatchObject({ person_id: person, agreement_id: agreementId });
    const withdrawals = await h.t.hub.db.query(`select 1 from outbox_event where topic = 'consent.withdrawn'`);
    expect(withdrawals.length).toBeGreaterThan(0);
  });

  it('detects an edited revision', async () => {
    const granted = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: household.memberIds[0] }, { headers: h.officer });
    const id = granted.body.consent.id;
    await h.t.post(`/api/v1/consent/consents/${id}/withdraw`, {}, { headers: h.officer });
    const c = (await consentStore.consentById(h.t.hub.db, id))!;
    expect(verifyRevisions(id, c.agreement_hash, await consentStore.revisions(h.t.hub.db, id))).toBe(true);
    await h.t.hub.db.query(`update consent_revision set state = 'given' where consent_id = $1 and revision = 2`, [id]);
    expect(verifyRevisions(id, c.agreement_hash, await consentStore.revisions(h.t.hub.db, id))).toBe(false);
    expect((await h.t.get(`/api/v1/consent/consents/${id}`, { headers: h.officer })).body.chain_intact).toBe(false);
  });
});
