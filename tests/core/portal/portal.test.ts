// The portal's API: one-time codes (same answer for unknown phones, wrong, expired and exhausted codes, limits per
// phone and per address), person-scoped tokens that reach only the person's own data, corrections through the
// workflow, the access log without the person's own reads, and online registration by an applicant.
import { randomUUID } from 'node:crypto';
import { requestCode } from '../../../core/portal/otp.js';
import { systemContext } from '../../../core/server/context.js';
import { OPEN_ACCESS_PRINCIPAL } from '../../../core/server/principal.js';
import { anAnsweredHousehold } from '../forms/form-data.js';
import { aHousehold, aPerson } from '../../helpers/registry-data.js';
import { startPortalHub, type PortalHub } from './setup.js';

describe('portal API', () => {
  let h: PortalHub;
  let household: any;
  let other: any;
  const phone = '+254 722 100 200';
  const otherPhone = '+254722300400';

  beforeAll(async () => {
    h = await startPortalHub();
    household = (await h.t.post('/api/v1/households', aHousehold('AM-R1-D1', {
      members: [
        { relationship: 'SELF', person: aPerson({ given_name: 'Mercy', phone }) },
        { relationship: 'SON', person: aPerson({ given_name: 'Otieno', sex: 'male', birth_date: '2012-01-01', phone: '+254722999888' }) },
      ],
    }), { headers: h.officer })).body;
    other = (await h.t.post('/api/v1/households', aHousehold('AM-R1-D1', {
      members: [{ relationship: 'SELF', person: aPerson({ given_name: 'Halima', phone: otherPhone }) }],
    }), { headers: h.officer })).body;
    expect(other.id).toBeDefined();
  }, 120_000);
  afterAll(() => h?.stop());

  const ask = (p: string, purpose = 'sign_in') => h.t.post('/api/v1/portal/otp', { phone: p, purpose });
  const exchange = (challengeId: string, code: string) => h.t.post('/api/v1/portal/session', { challenge_id: challengeId, code });
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  // at most 3 codes per phone in 15 minutes: each person signs in once and keeps the session
  const sessions = new Map<string, Promise<any>>();
  const signIn = (p: string, purpose = 'sign_in') => {
    if (!sessions.has(`${purpose}:${p}`)) sessions.set(`${purpose}:${p}`, freshSignIn(p, purpose));
    return sessions.get(`${purpose}:${p}`)!;
  };
  async function freshSignIn(p: string, purpose: string) {
    await h.clearMessages();
    const challenge = (await ask(p, purpose)).body;
    const code = await h.codeSentTo(p);
    const session = await exchange(challenge.challenge_id, code);
    expect(session.status).toBe(200);
    return { ...session.body, headers: { authorization: `Bearer ${session.body.access_token}` } };
  }

  it('answers an unknown phone exactly like a registered one, and sends a code only to the registered one', async () => {
    await h.clearMessages();
    const known = await ask(phone);
    const unknown = await ask('+254700000404');
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(Object.keys(unknown.body).sort()).toEqual(Object.keys(known.body).sort());
    expect({ ...unknown.body, challenge_id: 'x' }).toEqual({ ...known.body, challenge_id: 'x' });
    const code = await h.codeSentTo(phone);
    expect(await h.messagesTo('+254700000404')).toEqual([]);
    // the code is not stored: only a keyed hash bound to the challenge
    const [row] = await h.t.hub.db.query<{ code_hash: string }>('select code_hash from portal_otp_challenge where id = $1', [known.body.challenge_id]);
    expect(row.code_hash).not.toContain(code);
    // a guess at the unknown phone's challenge is refused like any wrong code
    const guess = await exchange(unknown.body.challenge_id, '123456');
    expect(guess.status).toBe(400);
    expect(['otp.wrong', 'otp.invalid']).toContain(guess.body.code);
  });

  it('turns the right code into a token for that person, once', async () => {
    await h.clearMessages();
    const challenge = (await ask(phone)).body;
    const code = await h.codeSentTo(phone);
    const session = await exchange(challenge.challenge_id, code);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ token_type: 'Bearer', subject_kind: 'person', person_id: household.members[0].person_id });
    expect(session.body.scope.split(' ').sort()).toEqual(['consent.self', 'registry.self']);
    expect(session.body.expires_in).toBeLessThanOrEqual(900);
    const me = await h.t.get('/api/v1/me/record', { headers: { authorization: `Bearer ${session.body.access_token}` } });
    expect(me.status).toBe(200);
    expect(me.body.person).toMatchObject({ id: household.members[0].person_id, given_name: 'Mercy', phone });
    expect(me.body.household).toMatchObject({ id: household.id, my_relationship: 'SELF' });
    const son = me.body.household.members.find((m: any) => !m.me);
    expect(son).toEqual({ person_id: household.members[1].person_id, relationship: 'SON', me: false, given_name: 'Otieno', family_name: 'Okello', sex: 'male', birth_date: '2012-01-01' });
    expect(JSON.stringify(me.body.household)).not.toContain('999888'); // the son's phone is his
    const again = await exchange(challenge.challenge_id, code);
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('otp.invalid');
  });

  it('counts wrong codes: 5 attempts, then even the right code is refused', async () => {
    await h.clearMessages();
    const challenge = (await ask(otherPhone)).body;
    const code = await h.codeSentTo(otherPhone);
    const first = await exchange(challenge.challenge_id, wrongCode(code));
    expect(first.status).toBe(400);
    expect(first.body).toMatchObject({ code: 'otp.wrong', attempts_left: 4, errors: [{ field: 'body.code' }] });
    for (let i = 0; i < 3; i += 1) await exchange(challenge.challenge_id, wrongCode(code));
    expect((await exchange(challenge.challenge_id, wrongCode(code))).body).toMatchObject({ code: 'otp.attempts_exhausted', attempts_left: 0 });
    expect((await exchange(challenge.challenge_id, code)).body.code).toBe('otp.attempts_exhausted');
  });

  it('refuses an expired code', async () => {
    await h.clearMessages();
    const challenge = (await ask(otherPhone)).body;
    const code = await h.codeSentTo(otherPhone);
    await h.t.hub.db.query("update portal_otp_challenge set expires_at = now() - interval '1 second' where id = $1", [challenge.challenge_id]);
    const res = await exchange(challenge.challenge_id, code);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('otp.expired');
  });

  it('limits codes per phone (3 in 15 minutes) whether or not the phone is registered, and per address', async () => {
    const unknown = '+254700000777';
    for (let i = 0; i < 3; i += 1) expect((await ask(unknown)).status).toBe(202);
    const limited = await ask(unknown);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('otp.rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await ask('+254700000778')).status).toBe(202); // another phone is not held up

    // per address: an address asking for many phones is stopped at its limit
    const ctx = systemContext({ ...h.t.hub.config, portal: { otpPerPhone: 100, otpPerAddress: 2 } }, h.t.hub.db, h.t.hub.secrets, h.t.hub.log, OPEN_ACCESS_PRINCIPAL, { audit: h.t.hub.audit, keys: h.t.hub.keys, cache: h.t.hub.cache });
    const from = { ...ctx, ip: `10.9.${Math.floor(Math.random() * 250)}.1` };
    await requestCode(from, { phone: '+254700001001', purpose: 'sign_in' });
    await requestCode(from, { phone: '+254700001002', purpose: 'sign_in' });
    await expect(requestCode(from, { phone: '+254700001003', purpose: 'sign_in' })).rejects.toMatchObject({ status: 429, code: 'otp.rate_limited' });
    await expect(requestCode({ ...ctx, ip: '10.8.0.1' }, { phone: '+254700001003', purpose: 'sign_in' })).resolves.toBeDefined();
  });

  it('lets a person reach only their own data', async () => {
    const mercy = await signIn(phone);
    const halima = await signIn(otherPhone);
    const halimaId = other.members[0].person_id;
    // staff operations are out of reach
    expect((await h.t.get(`/api/v1/persons/${halimaId}`, { headers: mercy.headers })).status).toBe(403);
    expect((await h.t.get(`/api/v1/households/${other.id}`, { headers: mercy.headers })).status).toBe(403);
    expect((await h.t.get(`/api/v1/persons/${halimaId}/access-log`, { headers: mercy.headers })).status).toBe(403);
    expect((await h.t.post('/api/v1/change-requests', { household_id: other.id, kind: 'update_household', changes: { address: 'x' } }, { headers: mercy.headers })).status).toBe(403);
    expect((await h.t.post('/api/v1/portal/registrations', { household: anAnsweredHousehold('AM-R1-D1'), form: { id: 'household-socioeconomic', version: 1 } }, { headers: mercy.headers })).status).toBe(403);
    // /me is each person's own
    expect((await h.t.get('/api/v1/me/record', { headers: halima.headers })).body.person.id).toBe(halimaId);
    // another person's consent is not found through /me
    const agreement = await h.t.post('/api/v1/consent/agreements', {
      code: `cash-${randomUUID().slice(0, 6)}`, purpose_code: 'cash-transfer', purpose_text: { en: 'Cash transfer' }, lawful_basis: 'consent',
      categories: ['name'], recipients: ['prog-a'], controller: { name: 'Ministry' }, retention_days: 30, max_validity_days: 365,
    }, { headers: h.admin });
    await h.t.post(`/api/v1/consent/agreements/${agreement.body.id}/publish`, {}, { headers: h.admin });
    const granted = await h.t.post('/api/v1/me/consents', { agreement_id: agreement.body.id }, { headers: halima.headers });
    expect(granted.status).toBe(201);
    expect((await h.t.get(`/api/v1/me/consents/${granted.body.consent.id}`, { headers: mercy.headers })).status).toBe(404);
    expect((await h.t.post(`/api/v1/me/consents/${granted.body.consent.id}/withdraw`, {}, { headers: mercy.headers })).status).toBe(404);
    expect((await h.t.get(`/api/v1/me/consents/${granted.body.consent.id}/receipt`, { headers: halima.headers })).status).toBe(200);
  });

  it('sends a correction through the workflow for review, and lists it for its author only', async () => {
    const mercy = await signIn(phone);
    const res = await h.t.post('/api/v1/me/change-requests', { kind: 'update_person', changes: { given_name: 'Mercie' }, reason: 'Spelling of my name' }, { headers: mercy.headers });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'change', change_kind: 'update_person', status: 'needs_review', household_id: household.id });
    const review = await h.t.get(`/api/v1/reviews/${res.body.id}`, { headers: h.officer });
    expect(review.body).toMatchObject({ channel: 'online', source: 'beneficiary_portal', person_id: household.members[0].person_id, reasons: ['review_required'] });
    const mine = await h.t.get('/api/v1/me/change-requests', { headers: mercy.headers });
    expect(mine.body.items.map((c: any) => c.id)).toContain(res.body.id);
    const halima = await signIn(otherPhone);
    expect((await h.t.get('/api/v1/me/change-requests', { headers: halima.headers })).body.items.map((c: any) => c.id)).not.toContain(res.body.id);
    // a field the registry does not have is named
    const bad = await h.t.post('/api/v1/me/change-requests', { kind: 'update_person', changes: { shoe_size: 42 } }, { headers: mercy.headers });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toContain('shoe_size');
  });

  it('shows who else read the data and why, without the person\'s own reads', async () => {
    const mercy = await signIn(phone);
    const personId = household.members[0].person_id;
    await h.t.get(`/api/v1/persons/${personId}`, { headers: { ...h.officer, 'x-purpose': 'eligibility-review' } });
    await h.t.get('/api/v1/me/record', { headers: mercy.headers });
    const log = await h.t.get('/api/v1/me/access-log?limit=50', { headers: mercy.headers });
    expect(log.status).toBe(200);
    expect(log.body.items[0]).toMatchObject({ action: 'read', entity: 'person', purpose: 'eligibility-review', actor_kind: 'user' });
    expect(log.body.items.every((e: any) => !e.actor.startsWith('person:'))).toBe(true);
    const page = await h.t.get('/api/v1/me/access-log?limit=1', { headers: mercy.headers });
    expect(page.body.next_cursor).toEqual(expect.any(String));
    const next = await h.t.get(`/api/v1/me/access-log?limit=1&cursor=${page.body.next_cursor}`, { headers: mercy.headers });
    expect(next.body.items[0]).toEqual(log.body.items[1]);
  });

  it('lets an applicant with a verified phone register online, and nothing else', async () => {
    const applicantPhone = '+254733555666';
    const applicant = await signIn(applicantPhone, 'register');
    expect(applicant).toMatchObject({ subject_kind: 'applicant', scope: 'registration.apply' });
    expect(applicant.person_id).toBeUndefined();
    expect((await h.t.get('/api/v1/me/record', { headers: applicant.headers })).status).toBe(403);
    expect((await h.t.get('/api/v1/me/consents', { headers: applicant.headers })).status).toBe(403);

    const { form, areas } = (await h.t.get('/api/v1/portal/registration-form', { headers: applicant.headers })).body;
    expect(form).toMatchObject({ id: 'household-socioeconomic', version: expect.any(Number) });
    expect(areas.map((a: any) => a.code)).toEqual(['AM-R1', 'AM-R1-D1']);
    const data = anAnsweredHousehold('AM-R1-D1');
    (data.members[0].person as Record<string, unknown>).phone = applicantPhone;
    const submitted = await h.t.post('/api/v1/portal/registrations', { household: data, form: { id: form.id, version: form.version }, client_ref: randomUUID() }, { headers: applicant.headers });
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({ kind: 'registration', status: 'submitted', reference: submitted.body.id.slice(-8).toUpperCase() });
    await h.t.hub.workflow.settle();
    const queued = await h.t.get(`/api/v1/reviews/${submitted.body.id}`, { headers: h.officer });
    expect(queued.body).toMatchObject({ status: 'needs_review', channel: 'online', source: 'beneficiary_portal', reasons: ['self_registered'] });
    const list = (await h.t.get('/api/v1/reviews?kind=registration', { headers: h.officer })).body.items.map((c: any) => c.id);
    expect(list).toContain(submitted.body.id);

    // the same phone verified again is the same applicant; another phone sees nothing of it
    const again = await freshSignIn(applicantPhone, 'register');
    expect((await h.t.get('/api/v1/portal/registrations', { headers: again.headers })).body.items).toEqual([expect.objectContaining({ id: submitted.body.id, status: 'needs_review' })]);
    const stranger = await signIn('+254733000111', 'register');
    expect((await h.t.get('/api/v1/portal/registrations', { headers: stranger.headers })).body.items).toEqual([]);
    // an applicant's token reaches no registry data
    expect((await h.t.get(`/api/v1/households/${household.id}`, { headers: applicant.headers })).status).toBe(403);
  });
});
