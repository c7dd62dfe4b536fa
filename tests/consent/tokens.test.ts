// Consent tokens from outside: verified with the published JWKS and the status list only (OfflineVerifier imports
// nothing of the hub), revocation seen by a verifier with a cached list once its ttl passed, and each way a token can
// fail refused with its reason, offline and by POST /api/v1/consent/verify.
import { inflateSync, gunzipSync } from 'node:zlib';
import { decodeJwt, decodeProtectedHeader, SignJWT, generateKeyPair } from 'jose';
import { OfflineVerifier } from './offline-verifier.js';
import { cacheEngines } from '../helpers/services.js';
import { startConsentHub, type ConsentHub } from './setup.js';

// the signed status lists are cached (Redis or memory): a withdrawal must clear the hub's copy on both
describe.each(cacheEngines())('consent tokens (cache: %s)', (cache) => {
  let h: ConsentHub;
  let agreementId: string;
  let personId: string;
  let skew = 0; // ms the verifier's clock runs ahead: lets a cached list's ttl pass
  let verifier: OfflineVerifier;

  beforeAll(async () => {
    h = await startConsentHub({ cache });
    agreementId = await h.agreement({ recipients: ['prog-a', 'prog-b'] });
    personId = (await h.household()).memberIds[0];
    verifier = new OfflineVerifier(`${h.t.url}/.well-known/jwks.json`, h.t.hub.config.tokenIssuer, () => Date.now() + skew);
  });
  afterAll(() => h.stop());

  async function grant(body: Record<string, unknown> = {}) {
    const res = await h.t.post('/api/v1/consent/consents', { agreement_id: agreementId, person_id: personId, ...body }, { headers: h.officer });
    expect(res.status).toBe(201);
    return res.body as { consent: { id: string; status: { idx: number; uri: string } }; token: string; credential: string };
  }

  it('issues a token any party verifies offline with the JWKS and the status list', async () => {
    const { token, consent } = await grant();
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'consent+jwt' });
    const { result, claims } = await verifier.verify(token, { audience: 'prog-a', purpose: 'cash-transfer' });
    expect(result).toBe('valid');
    expect(claims).toMatchObject({
      iss: h.t.hub.config.tokenIssuer,
      aud: ['prog-a', 'prog-b'],
      purposes: ['cash-transfer'],
      data_categories: ['name', 'area'],
      agreement: { id: agreementId },
      status: { status_list: { idx: consent.status.idx, uri: consent.status.uri } },
    });
    expect(claims!.status).toEqual({ status_list: { idx: consent.status.idx, uri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/consent\/status-lists\/\d+$/) } });
    for (const claim of ['jti', 'iat', 'nbf', 'exp']) expect(claims![claim]).toBeDefined();
  });

  it('gives a pairwise subject: never the person id, the same for the same recipients, another for others', async () => {
    const a = decodeJwt((await grant()).token);
    const b = decodeJwt((await grant()).token);
    expect(a.sub).toBe(b.sub);
    expect(a.sub).not.toContain(personId);
    const otherAgreement = await h.agreement({ recipients: ['prog-c'] });
    const c = decodeJwt((await grant({ agreement_id: otherAgreement })).token);
    expect(c.sub).not.toBe(a.sub);
  });

  it('revokes at withdrawal: the bit is set, the hub answers revoked at once, a cached verifier after the ttl', async () => {
    const { token, consent } = await grant();
    expect((await verifier.verify(token, { audience: 'prog-a', purpose: 'cash-transfer' })).result).toBe('valid'); // list now cached
    const withdrawn = await h.t.post(`/api/v1/consent/consents/${consent.id}/withdraw`, { note: 'asked by phone' }, { headers: h.officer });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.state).toBe('withdrawn');

    // the signed list has the bit set (LSB-first), and the VC form too (MSB-first, gzip, multibase)
    const listJwt = await fetch(consent.status.uri, { headers: { accept: 'application/statuslist+jwt' } });
    expect(listJwt.headers.get('content-type')).toContain('application/statuslist+jwt');
    const text = await listJwt.text();
    expect(decodeProtectedHeader(text).typ).toBe('statuslist+jwt');
    const payload = decodeJwt(text) as { ttl: number; sub: string; status_list: { bits: number; lst: string } };
    expect(payload.sub).toBe(consent.status.uri);
    const bytes = inflateSync(Buffer.from(payload.status_list.lst, 'base64url'));
    expect((bytes[consent.status.idx >> 3] >> (consent.status.idx & 7)) & 1).toBe(1);
    const byAccept = await fetch(consent.status.uri, { headers: { accept: 'application/vc+jwt' } });
    expect(byAccept.headers.get('content-type')).toContain('application/vc+jwt');
    const vc = await fetch(`${consent.status.uri}?format=vc`).then((r) => r.text());
    expect(decodeProtectedHeader(await byAccept.text()).typ).toBe('vc+jwt');
    expect((await fetch(`${h.t.url}/api/v1/consent/status-lists/999`)).status).toBe(404);
    const credential = decodeJwt(vc) as { type: string[]; credentialSubject: { encodedList: string; statusPurpose: string } };
    expect(credential.type).toContain('BitstringStatusListCredential');
    const msb = gunzipSync(Buffer.from(credential.credentialSubject.encodedList.slice(1), 'base64url'));
    expect((msb[consent.status.idx >> 3] >> (7 - (consent.status.idx & 7))) & 1).toBe(1);

    // the hub itself: revoked now
    const hubSays = await h.t.post('/api/v1/consent/verify', { token, audience: 'prog-a', purpose: 'cash-transfer' });
    expect(hubSays.body).toMatchObject({ result: 'revoked', valid: false });
    // a verifier within the ttl of its cached list still sees it valid; after the ttl it fetches and sees it revoked
    expect((await verifier.verify(token, { audience: 'prog-a', purpose: 'cash-transfer' })).result).toBe('valid');
    skew += payload.ttl * 1000;
    expect((await verifier.verify(token, { audience: 'prog-a', purpose: 'cash-transfer' })).result).toBe('revoked');
  });

  it('refuses an expired token, a wrong purpose, a wrong recipient and a forged one, each with its reason', async () => {
    const past = new Date(Date.now() - 3 * 86_400_000);
    const expired = (await grant({ valid_from: past.toISOString(), valid_until: new Date(past.getTime() + 86_400_000).toISOString() })).token;
    const { token } = await grant();
    const forged = await (async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const claims = decodeJwt(token);
      return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'consent+jwt', kid: decodeProtectedHeader(token).kid }).sign(privateKey);
    })();
    const cases: [string, string, string, string][] = [
      [expired, 'prog-a', 'cash-transfer', 'expired'],
      [token, 'prog-a', 'school-feeding', 'wrong_purpose'],
      [token, 'prog-z', 'cash-transfer', 'wrong_audience'],
      [forged, 'prog-a', 'cash-transfer', 'invalid_signature'],
    ];
    for (const [t, audience, purpose, reason] of cases) {
      expect({ reason, offline: (await verifier.verify(t, { audience, purpose })).result }).toEqual({ reason, offline: reason });
      const hub = await h.t.post('/api/v1/consent/verify', { token: t, audience, purpose });
      expect({ reason, hub: hub.body.result, valid: hub.body.valid }).toEqual({ reason, hub: reason, valid: false });
    }
    expect((await h.t.post('/api/v1/consent/verify', { token: 'x.y.z' })).body.result).toBe('malformed');
  });

  it('refuses a token signed by a key rotated out of the JWKS', async () => {
    const { token } = await grant();
    expect((await verifier.verify(token, { audience: 'prog-a', purpose: 'cash-transfer' })).result).toBe('valid');
    // kept for a while: still valid; then the old key's time runs out and it leaves the JWKS
    await h.t.hub.keys.rotate(1);
    expect((await verifier.verify(token, { audience: 'prog-a', purpose: 'cash-transfer' })).result).toBe('valid');
    const kid = decodeProtectedHeader(token).kid;
    await h.t.hub.db.query(`update signing_key set expires_at = now() - interval '1 second' where kid = $1`, [kid]);
    const jwks = await fetch(`${h.t.url}/.well-known/jwks.json`).then((r) => r.json() as Promise<{ keys: { kid: string }[] }>);
    expect(jwks.keys.map((k) => k.kid)).not.toContain(kid);
    expect((await verifier.verify(token, { audience: 'prog-a', purpose: 'cash-transfer' })).result).toBe('invalid_signature');
    expect((await h.t.post('/api/v1/consent/verify', { token, audience: 'prog-a', purpose: 'cash-transfer' })).body.result).toBe('invalid_signature');
    // what the new key signs verifies
    const fresh = (await grant()).token;
    expect(decodeProtectedHeader(fresh).kid).not.toBe(kid);
    expect((await verifier.verify(fresh, { audience: 'prog-a', purpose: 'cash-transfer' })).result).toBe('valid');
  });

  it('offers the consent as a vc+jwt Verifiable Credential with a BitstringStatusListEntry', async () => {
    const { credential, consent } = await grant();
    expect(decodeProtectedHeader(credential)).toMatchObject({ typ: 'vc+jwt', alg: 'ES256' });
    const vc = decodeJwt(credential) as Record<string, any>;
    expect(vc['@context']).toEqual(['https://www.w3.org/ns/credentials/v2']);
    expect(vc.type).toEqual(['VerifiableCredential', 'ConsentCredential']);
    expect(vc.credentialStatus).toEqual({
      id: `${consent.status.uri}#${consent.status.idx}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(consent.status.idx),
      statusListCredential: `${consent.status.uri}?format=vc`,
    });
    expect(vc.credentialSubject.purposes).toEqual(['cash-transfer']);
  });
});
