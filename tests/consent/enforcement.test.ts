// Enforcement: registry reads by an API client disclose only what a covering consent allows, refuse (403 with a
// reason) or leave out the rest, and stop at once on withdrawal or expiry; decideDisclosure's reasons, lawful bases,
// household consent, presented tokens, its SQL form, its audit trail, and failing closed.
import { randomUUID } from 'node:crypto';
import { coveringConsentCondition, decideDisclosure } from '../../consent/policy.js';
import type { Db } from '../../core/db/index.js';
import { aPerson, uin } from '../helpers/registry-data.js';
import { dbEngines } from '../helpers/services.js';
import { startConsentHub, type ConsentHub } from './setup.js';

const PHONE = '+254711222333';
const EMAIL = 'amina@example.org';

describe.each(dbEngines())('consent enforcement on %s', (db) => {
  let h: ConsentHub;
  let progA: Record<string, string>;
  let progB: Record<string, string>;
  let agreementId: string;

  beforeAll(async () => {
    h = await startConsentHub({ db });
    agreementId = await h.agreement(); // cash-transfer, prog-a, name + area
    progA = await h.client('prog-a');
    progB = await h.client('prog-b');
  });
  afterAll(() => h.stop());

  const purpose = (code: string, headers: Record<string, string>) => ({ headers: { ...headers, 'x-purpose': code } });

  /** A household whose members all have a phone and an email, registered by the administrator. */
  async function householdWithContacts() {
    const member = (relationship: string, given: string) => ({
      relationship,
      person: aPerson({ given_name: given, phone: PHONE, email: EMAIL, identifiers: [{ type: 'UIN', value: uin() }], vulnerabilities: ['chronic_illness'] }),
    });
    const res = await h.t.post('/api/v1/households', {
      area_code: 'CA', address: 'Plot 7', household_type: 'family', members: [member('SELF', 'Amina'), member('SON', 'Baraka')],
    }, { headers: h.admin });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, memberIds: res.body.members.map((m: { person_id: string }) => m.person_id) as string[] };
  }

  async function grant(personId: string, body: Record<string, unknown> = {}) {
    const res = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: personId, ...body }, { headers: h.officer });
    expect(res.status).toBe(201);
    return res.body.consent.id as string;
  }

  it('refuses a client without a covering consent, with the reason', async () => {
    const { id: householdId, memberIds: [person] } = await householdWithContacts();
    const none = await h.t.get(`/api/v1/persons/${person}`, purpose('cash-transfer', progA));
    expect(none.status).toBe(403);
    expect(none.body).toMatchObject({ code: 'disclosure.refused', reason: 'consent.none' });
    const noPurpose = await h.t.get(`/api/v1/persons/${person}`, { headers: progA });
    expect(noPurpose.body.reason).toBe('purpose.missing');
    // history holds every old value: never for clients, consent or not
    await grant(person);
    for (const path of [`/api/v1/persons/${person}/history`, `/api/v1/households/${householdId}/history`]) {
      const history = await h.t.get(path, purpose('cash-transfer', progA));
      expect(history.status).toBe(403);
      expect(history.body.reason).toBe('history.not_disclosed');
    }
    // staff keep their scope-based access
    const officer = await h.t.get(`/api/v1/persons/${person}`, { headers: h.officer });
    expect(officer.status).toBe(200);
    expect(officer.body.phone).toBe(PHONE);
  });

  it('lets an agreement covering only name and area never let a phone number out, through any registry API', async () => {
    const household = await householdWithContacts();
    for (const id of household.memberIds) await grant(id);
    const reads = [
      await h.t.get(`/api/v1/persons/${household.memberIds[0]}`, purpose('cash-transfer', progA)),
      await h.t.get(`/api/v1/persons?family_name=Okello&limit=500`, purpose('cash-transfer', progA)),
      await h.t.get(`/api/v1/households/${household.id}`, purpose('cash-transfer', progA)),
      await h.t.get(`/api/v1/households?limit=500`, purpose('cash-transfer', progA)),
    ];
    for (const read of reads) {
      expect(read.status).toBe(200);
      const text = JSON.stringify(read.body);
      for (const secret of [PHONE, EMAIL, 'chronic_illness', 'UIN', 'birth_date', 'Plot 7']) expect(text).not.toContain(secret);
    }
    const [person, people, householdRead] = reads.map((r) => r.body);
    expect(Object.keys(person).sort()).toEqual(
      ['channel', 'created_at', 'created_by', 'family_name', 'given_name', 'id', 'other_names', 'updated_at', 'updated_by', 'version']);
    expect(people.items.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(household.memberIds));
    for (const item of people.items) expect(Object.keys(item).sort()).toEqual(Object.keys(person).sort());
    expect(householdRead).toMatchObject({ id: household.id, area_code: 'CA' });
    expect(householdRead.members).toBeUndefined();

    const ctx = h.ctxAs({ id: 'client:prog-a' });
    const decisions = await decideDisclosure(ctx, { purpose: 'cash-transfer', recipient: 'client:prog-a', personIds: household.memberIds });
    for (const d of decisions.values()) expect({ allowed: d.allowed, categories: [...d.categories].sort(), reason: d.reason }).toEqual({ allowed: true, categories: ['area', 'name'], reason: 'consent.given' });
  });

  it('stops disclosing at the very next request after a withdrawal', async () => {
    const { memberIds: [person] } = await householdWithContacts();
    const consentId = await grant(person);
    expect((await h.t.get(`/api/v1/persons/${person}`, purpose('cash-transfer', progA))).status).toBe(200);
    expect((await h.t.post(`/api/v1/consent/consents/${consentId}/withdraw`, {}, { headers: h.officer })).status).toBe(200);
    const after = await h.t.get(`/api/v1/persons/${person}`, purpose('cash-transfer', progA));
    expect(after.status).toBe(403);
    expect(after.body.reason).toBe('consent.withdrawn');
    const list = await h.t.get('/api/v1/persons?family_name=Okello&limit=500', purpose('cash-transfer', progA));
    expect(list.body.items.map((p: { id: string }) => p.id)).not.toContain(person);
    const decision = (await decideDisclosure(h.ctxAs({ id: 'client:prog-a' }), { purpose: 'cash-transfer', recipient: 'client:prog-a', personIds: [person] })).get(person)!;
    expect(decision).toMatchObject({ allowed: false, reason: 'consent.withdrawn' });
    expect(decision.categories.size).toBe(0);
  });

  it('refuses an expired consent at once (before the daily job), a wrong purpose and a wrong recipient', async () => {
    const { memberIds: [expiredPerson, person] } = await householdWithContacts();
    const past = Date.now() - 5 * 86_400_000;
    await grant(expiredPerson, { valid_from: new Date(past).toISOString(), valid_until: new Date(past + 86_400_000).toISOString() });
    await grant(person);
    expect((await h.t.get(`/api/v1/persons/${expiredPerson}`, purpose('cash-transfer', progA))).body.reason).toBe('consent.expired');
    expect((await h.t.get(`/api/v1/persons/${person}`, purpose('school-feeding', progA))).body.reason).toBe('purpose.mismatch');
    expect((await h.t.get(`/api/v1/persons/${person}`, purpose('cash-transfer', progB))).body.reason).toBe('recipient.mismatch');
  });

  it('lets a lawful basis other than consent cover everyone, in its categories only', async () => {
    await h.agreement({ purpose_code: 'fraud-check', lawful_basis: 'legal_obligation', recipients: ['prog-b'], categories: ['identifiers'] });
    const { memberIds: [person] } = await householdWithContacts();
    const read = await h.t.get(`/api/v1/persons/${person}`, purpose('fraud-check', progB));
    expect(read.status).toBe(200);
    expect(read.body.identifiers).toHaveLength(1);
    expect(read.body.given_name).toBeUndefined();
    const d = (await decideDisclosure(h.ctxAs({ id: 'client:prog-b' }), { purpose: 'fraud-check', recipient: 'prog-b', personIds: [person] })).get(person)!;
    expect(d).toMatchObject({ allowed: true, reason: 'lawful_basis.legal_obligation' });
    const condition = await coveringConsentCondition(h.ctxAs({ id: 'client:prog-b' }), { purpose: 'fraud-check', recipient: 'prog-b' }, 'p.id', () => '$1');
    expect(condition).toBeNull();
  });

  it('lets a household head\'s consent cover the members where the agreement allows it', async () => {
    const householdAgreement = await h.agreement({ purpose_code: 'household-survey', household_consent: true, categories: ['name', 'household'] });
    const household = await householdWithContacts();
    const [head, son] = household.memberIds;
    await h.t.post('/api/v1/consent/consents', { agreement_id: householdAgreement, person_id: head, for_household_id: household.id }, { headers: h.officer });
    const read = await h.t.get(`/api/v1/households/${household.id}`, purpose('household-survey', progA));
    expect(read.status).toBe(200);
    expect(read.body.members.map((m: { person_id: string }) => m.person_id).sort()).toEqual([head, son].sort());
    expect(read.body.members.every((m: { person: Record<string, unknown> }) => m.person.phone === undefined && typeof m.person.given_name === 'string')).toBe(true);
    const ctx = h.ctxAs({ id: 'client:prog-a' });
    const decisions = await decideDisclosure(ctx, { purpose: 'household-survey', recipient: 'client:prog-a', personIds: [son] });
    expect(decisions.get(son)).toMatchObject({ allowed: true, reason: 'consent.given' });
  });

  it('gives the same answer as a set-based SQL condition', async () => {
    const household = await householdWithContacts();
    await grant(household.memberIds[0]);
    const ctx = h.ctxAs({ id: 'client:prog-a' });
    const params: unknown[] = [household.memberIds];
    const condition = await coveringConsentCondition(ctx, { purpose: 'cash-transfer', recipient: 'client:prog-a' }, 'p.id', (v) => `$${params.push(v)}`);
    expect(typeof condition).toBe('string');
    const rows = await h.t.hub.db.query<{ id: string }>(`select p.id from person p where p.id = any($1::uuid[]) and ${condition}`, params);
    expect(rows.map((r) => r.id)).toEqual([household.memberIds[0]]);
    expect(await coveringConsentCondition(ctx, { purpose: 'no-such-purpose', recipient: 'client:prog-a' }, 'p.id', () => '$1')).toBe('none');
    expect(await coveringConsentCondition(h.ctxAs({ id: 'client:x', scopes: new Set(['consent.self']) }), { purpose: 'cash-transfer', recipient: 'client:x' }, 'p.id', () => '$1')).toBe('none');
  });

  it('refuses a person whose presented token is revoked, even with another consent in force', async () => {
    const { memberIds: [person] } = await householdWithContacts();
    const first = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: person }, { headers: h.officer });
    await h.t.post(`/api/v1/consent/consents/${first.body.consent.id}/withdraw`, {}, { headers: h.officer });
    await grant(person);
    const ctx = h.ctxAs({ id: 'client:prog-a' });
    const withToken = await decideDisclosure(ctx, { purpose: 'cash-transfer', recipient: 'client:prog-a', personIds: [person], presentedTokens: [first.body.token] });
    expect(withToken.get(person)).toMatchObject({ allowed: false, reason: 'token.revoked' });
    const without = await decideDisclosure(ctx, { purpose: 'cash-transfer', recipient: 'client:prog-a', personIds: [person] });
    expect(without.get(person)).toMatchObject({ allowed: true });
  });

  it('refuses everyone when the caller lacks the scopes, and audits every decision', async () => {
    const { memberIds: [person] } = await householdWithContacts();
    await grant(person);
    const ctx = h.ctxAs({ id: 'client:prog-a', scopes: new Set(['consent.self']) });
    expect((await decideDisclosure(ctx, { purpose: 'cash-transfer', recipient: 'client:prog-a', personIds: [person] })).get(person)).toMatchObject({ allowed: false, reason: 'scope.missing' });
    await decideDisclosure(h.ctxAs({ id: 'client:prog-a' }), { purpose: 'cash-transfer', recipient: 'client:prog-a', personIds: [person] });
    const entries = await h.t.hub.db.query<{ outcome: string; details: { reason: string; purpose: string }; actor: string; fields: string[] }>(
      `select outcome, details, actor, fields from audit_log where entity = 'consent_decision' and subject_person_id = $1 order by id`, [person]);
    expect(entries.map((e) => [e.actor, e.outcome, e.details.reason, e.details.purpose])).toEqual([
      ['client:prog-a', 'denied', 'scope.missing', 'cash-transfer'],
      ['client:prog-a', 'success', 'consent.given', 'cash-transfer'],
    ]);
    expect(entries[1].fields).toEqual(['area', 'name']);
  });

  it('writes a client read\'s own entry in the same audit write as its decision, and discloses nothing if that fails', async () => {
    const { memberIds: [person, other] } = await householdWithContacts();
    await grant(person);
    expect((await h.t.get(`/api/v1/persons/${person}`, purpose('cash-transfer', progA))).status).toBe(200);
    // xmin: the transaction that wrote the row
    const entries = await h.t.hub.db.query<{ id: number; entity: string; outcome: string; fields: string[]; tx: string }>(
      `select id, entity, outcome, fields, xmin::text as tx from audit_log where subject_person_id = $1 and actor = 'client:prog-a' order by id`, [person]);
    expect(entries.map((e) => [e.entity, e.outcome])).toEqual([['consent_decision', 'success'], ['person', 'success']]);
    expect(entries[1].id).toBe(entries[0].id + 1);
    expect(entries[1].tx).toBe(entries[0].tx);
    expect(entries[1].fields).toEqual(expect.arrayContaining(['given_name', 'family_name']));
    expect(entries[1].fields).not.toContain('phone');
    // a refused read writes its decision only
    expect((await h.t.get(`/api/v1/persons/${other}`, purpose('cash-transfer', progA))).status).toBe(403);
    const refusedEntries = await h.t.hub.db.query<{ entity: string }>(`select entity from audit_log where subject_person_id = $1 and actor = 'client:prog-a'`, [other]);
    expect(refusedEntries.map((e) => e.entity)).toEqual(['consent_decision']);
    // entries that cannot be made refuse everyone, as an audit that cannot be written does
    const decisions = await decideDisclosure(h.ctxAs({ id: 'client:prog-a' }), {
      purpose: 'cash-transfer', recipient: 'client:prog-a', personIds: [person], alsoAudit: () => { throw new Error('no entry'); },
    });
    expect(decisions.get(person)).toMatchObject({ allowed: false, reason: 'error' });
  });

  it('fails closed: a database error refuses everyone', async () => {
    const { memberIds: [person] } = await householdWithContacts();
    await grant(person);
    const ctx = h.ctxAs({ id: 'client:prog-a' });
    const broken: Db = { ...ctx.db, query: async () => { throw new Error('connection lost'); } };
    const decisions = await decideDisclosure({ ...ctx, db: broken }, { purpose: 'cash-transfer', recipient: 'client:prog-a', personIds: [person, randomUUID()] });
    expect([...decisions.values()].map((d) => [d.allowed, d.reason, d.categories.size])).toEqual([[false, 'error', 0], [false, 'error', 0]]);
    // an audit that cannot be written discloses nothing either
    const noAudit = { ...ctx, audit: { ...ctx.audit, recordReads: async () => { throw new Error('audit down'); } } };
    const refused = await decideDisclosure(noAudit, { purpose: 'cash-transfer', recipient: 'client:prog-a', personIds: [person] });
    expect(refused.get(person)).toMatchObject({ allowed: false, reason: 'error' });
  });
});
