// DCI message signatures: the spec's signature string (Ed25519 over the canonical digest of {header, message})
// and the detached JWS form. The hub's signatures are checked here with jose and WebCrypto only, against the JWKS
// fetched over HTTP, as a receiving SPMIS would.
import { createHash, webcrypto } from 'node:crypto';
import { base64url, exportJWK, FlattenedSign, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { canonicalJson } from '../../../core/dci/canonical.js';
import { parseSignature, signEnvelope, verifyEnvelope, type DciEnvelope } from '../../../core/dci/signature.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

const subtle = webcrypto.subtle;

// the canonical form, written again here so the hub's own module is not checking itself
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const digestOf = (header: unknown, message: unknown) => createHash('sha256').update(canonical({ header, message })).digest('base64');
const signingInput = (created: number, expires: number, digest: string) => new TextEncoder().encode(`(created): ${created}\n(expires): ${expires}\ndigest: ${digest}`);

function fields(signature: string): Record<string, string> {
  return Object.fromEntries([...signature.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

/** A client's own signature string, made without the hub's code. */
async function clientSignature(key: CryptoKey, sender: string, kid: string, header: unknown, message: unknown, created: number, expires: number): Promise<string> {
  const signature = Buffer.from(await subtle.sign('Ed25519', key as webcrypto.CryptoKey, signingInput(created, expires, digestOf(header, message)))).toString('base64');
  return `namespace="dci", kidId="${sender}|${kid}|ed25519", algorithm="ed25519", created="${created}", expires="${expires}", headers="(created) (expires) digest", signature="${signature}"`;
}

/** A detached JWS over the canonical JSON of {header, message}. */
async function detachedJws(key: CryptoKey, alg: string, kid: string, header: unknown, message: unknown, extra: Record<string, unknown> = {}): Promise<string> {
  const jws = await new FlattenedSign(new TextEncoder().encode(canonical({ header, message }))).setProtectedHeader({ alg, kid, ...extra }).sign(key);
  return `${jws.protected}..${jws.signature}`;
}

const now = () => Math.floor(Date.now() / 1000);

const header = {
  version: '1.0.0',
  message_id: 'msg-1',
  message_ts: '2026-11-25T10:00:00.000Z',
  action: 'search',
  sender_id: 'spmis.example.org',
  receiver_id: 'srhub',
  total_count: 1,
  is_msg_encrypted: false,
};
// what the hub sends: its own header
const hubHeader = { ...header, action: 'on-search', sender_id: 'srhub', receiver_id: 'spmis.example.org' };
const message = {
  transaction_id: 'txn-1',
  search_request: [{ reference_id: 'ref-1', timestamp: '2026-11-25T10:00:00.000Z', search_criteria: { reg_type: 'SocialRegistry', query_type: 'idtype-value', query: { type: 'UIN', value: '4234567890' } } }],
};

describe('canonical JSON', () => {
  it('sorts keys at every depth, keeps array order, writes no spaces', () => {
    expect(canonicalJson({ b: 1, a: [{ z: true, y: null }, 'x'], c: { e: 'é', d: 1.5 } })).toBe('{"a":[{"y":null,"z":true},"x"],"b":1,"c":{"d":1.5,"e":"é"}}');
  });
  it('sorts integer-like keys as strings, and leaves undefined out', () => {
    expect(canonicalJson({ 10: 'a', 9: 'b', a: undefined, B: 'c' })).toBe('{"10":"a","9":"b","B":"c"}');
    expect(canonicalJson([undefined, 1e21, -0, 'line\nbreak'])).toBe('[null,1e+21,0,"line\\nbreak"]');
  });
  it('leaves out an undefined first member, escapes keys, and writes what toJSON gives', () => {
    expect(canonicalJson({ a: undefined, c: 2, b: 1 })).toBe('{"b":1,"c":2}');
    expect(canonicalJson({ 'q"uote': 1, 'line\nkey': 2 })).toBe('{"line\\nkey":2,"q\\"uote":1}');
    expect(canonicalJson({ at: new Date('2026-01-02T03:04:05.000Z'), f: () => 1 })).toBe('{"at":"2026-01-02T03:04:05.000Z"}');
    // a key seen before and a long key (not remembered) are written the same as any other
    const long = 'k'.repeat(100);
    expect(canonicalJson([{ [long]: 1 }, { [long]: 2 }])).toBe(`[{"${long}":1},{"${long}":2}]`);
  });
  it('is the same for the same value whatever order its keys came in', () => {
    expect(canonicalJson({ header, message })).toBe(canonicalJson(JSON.parse(JSON.stringify({ message, header: { ...header } }))));
    expect(canonicalJson({ header, message })).toBe(canonical({ header, message }));
  });
});

describe('DCI signatures', () => {
  let t: TestHub;
  let hubJwks: { keys: JWK[] };
  let client: { privateKey: CryptoKey; publicJwk: JWK };
  let clientKeys: { keys: JWK[] };
  const fetchJwks = async () => (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };

  beforeAll(async () => {
    t = await startTestHub();
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    client = { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid: 'spmis-key-1', use: 'sig' } };
    clientKeys = { keys: [client.publicJwk] };
    // prime the hub's EdDSA key, then read the published set over HTTP
    await signEnvelope(t.hub.keys, 'srhub', hubHeader, message);
    hubJwks = await fetchJwks();
  });
  afterAll(() => t.stop());

  it("signs with the spec's signature string, whose fields parse as the spec says", async () => {
    const before = now();
    const signature = await signEnvelope(t.hub.keys, 'srhub', hubHeader, message, 600);
    const f = fields(signature);
    expect(Object.keys(f)).toEqual(['namespace', 'kidId', 'algorithm', 'created', 'expires', 'headers', 'signature']);
    expect(f.namespace).toBe('dci');
    expect(f.algorithm).toBe('ed25519');
    expect(f.headers).toBe('(created) (expires) digest');
    const [sender, kid, alg] = f.kidId.split('|');
    expect([sender, alg]).toEqual(['srhub', 'ed25519']);
    expect(hubJwks.keys.find((k) => k.kid === kid)).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(Number(f.created)).toBeGreaterThanOrEqual(before);
    expect(Number(f.expires) - Number(f.created)).toBe(600);
    expect(Buffer.from(f.signature, 'base64')).toHaveLength(64);
  });

  it('verifies with only the published JWKS, fetched over HTTP, using jose and WebCrypto', async () => {
    const signature = await signEnvelope(t.hub.keys, 'srhub', hubHeader, message);
    // what travels is JSON: verify what the receiver parses
    const received = JSON.parse(JSON.stringify({ signature, header: hubHeader, message }));
    const f = fields(received.signature);
    const jwk = (await fetchJwks()).keys.find((k) => k.kid === f.kidId.split('|')[1])!;
    const key = (await importJWK(jwk, 'EdDSA')) as webcrypto.CryptoKey;
    const data = signingInput(Number(f.created), Number(f.expires), digestOf(received.header, received.message));
    expect(await subtle.verify('Ed25519', key, Buffer.from(f.signature, 'base64'), data)).toBe(true);
    // the same check fails for another message
    const other = signingInput(Number(f.created), Number(f.expires), digestOf(received.header, { ...received.message, transaction_id: 'txn-2' }));
    expect(await subtle.verify('Ed25519', key, Buffer.from(f.signature, 'base64'), other)).toBe(false);
    // and the hub's own verifier agrees
    expect(await verifyEnvelope(received, { keys: hubJwks.keys })).toMatchObject({ ok: true, form: 'http-signature', kid: jwk.kid });
  });

  it("accepts a client's signature string, with or without the spec example's \"Signature:\" prefix", async () => {
    const signature = await clientSignature(client.privateKey, header.sender_id, 'spmis-key-1', header, message, now(), now() + 300);
    expect(await verifyEnvelope({ signature, header, message }, clientKeys, { required: true })).toEqual({ ok: true, kid: 'spmis-key-1', form: 'http-signature' });
    expect((await verifyEnvelope({ signature: `Signature:  ${signature.replace('namespace="dci"', 'namespace="spdci"')}`, header, message }, clientKeys)).ok).toBe(true);
    const parsed = parseSignature(signature)!;
    expect(parsed).toMatchObject({ senderId: header.sender_id, kid: 'spmis-key-1', algorithm: 'ed25519', headers: '(created) (expires) digest' });
  });

  it('refuses a tampered header or message', async () => {
    const signature = await clientSignature(client.privateKey, header.sender_id, 'spmis-key-1', header, message, now(), now() + 300);
    const tamperedHeader = await verifyEnvelope({ signature, header: { ...header, message_id: 'msg-2' }, message }, clientKeys);
    expect(tamperedHeader).toMatchObject({ ok: false, code: 'err.signature.invalid' });
    const tamperedMessage = await verifyEnvelope({ signature, header, message: { ...message, transaction_id: 'txn-9' } }, clientKeys);
    expect(tamperedMessage).toMatchObject({ ok: false, code: 'err.signature.invalid' });
    const f = fields(signature);
    const otherTime = signature.replace(`expires="${f.expires}"`, `expires="${Number(f.expires) + 60}"`);
    expect(await verifyEnvelope({ signature: otherTime, header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });
  });

  it('refuses a missing signature when one is required, and lets it pass otherwise', async () => {
    expect(await verifyEnvelope({ header, message }, clientKeys, { required: true })).toMatchObject({ ok: false, code: 'err.signature.missing' });
    expect(await verifyEnvelope({ signature: '', header, message }, clientKeys, { required: true })).toMatchObject({ ok: false, code: 'err.signature.missing' });
    expect(await verifyEnvelope({ header, message }, clientKeys)).toEqual({ ok: true, kid: null, form: 'none' });
    // a signature that is present is checked even when none is required
    expect(await verifyEnvelope({ signature: 'not a signature', header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });
  });

  it('refuses expired and not yet valid signatures', async () => {
    const expired = await clientSignature(client.privateKey, header.sender_id, 'spmis-key-1', header, message, now() - 7200, now() - 3600);
    const result = await verifyEnvelope({ signature: expired, header, message }, clientKeys);
    expect(result).toMatchObject({ ok: false, code: 'err.signature.invalid' });
    expect((result as { message: string }).message).toMatch(/expired/);
    const future = await clientSignature(client.privateKey, header.sender_id, 'spmis-key-1', header, message, now() + 3600, now() + 7200);
    expect(await verifyEnvelope({ signature: future, header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });
    const hubExpired = await signEnvelope(t.hub.keys, 'srhub', hubHeader, message, -3600);
    expect(await verifyEnvelope({ signature: hubExpired, header: hubHeader, message }, hubJwks)).toMatchObject({ ok: false, code: 'err.signature.invalid' });
  });

  it('refuses an unknown kid, a key of the wrong type, another sender, and a key of someone else', async () => {
    const unknown = await clientSignature(client.privateKey, header.sender_id, 'no-such-key', header, message, now(), now() + 300);
    const result = await verifyEnvelope({ signature: unknown, header, message }, clientKeys);
    expect(result).toMatchObject({ ok: false, code: 'err.signature.invalid' });
    expect((result as { message: string }).message).toMatch(/no-such-key/);

    const ec = await generateKeyPair('ES256', { extractable: true });
    const ecKeys = { keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'spmis-key-1' }] };
    const signature = await clientSignature(client.privateKey, header.sender_id, 'spmis-key-1', header, message, now(), now() + 300);
    expect(await verifyEnvelope({ signature, header, message }, ecKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });

    const asOther = await clientSignature(client.privateKey, 'someone.else', 'spmis-key-1', header, message, now(), now() + 300);
    expect(await verifyEnvelope({ signature: asOther, header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });

    const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const forged = await clientSignature(stranger.privateKey, header.sender_id, 'spmis-key-1', header, message, now(), now() + 300);
    expect(await verifyEnvelope({ signature: forged, header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });
  });

  it('keeps verifying what the hub signed before a key rotation', async () => {
    const signature = await signEnvelope(t.hub.keys, 'srhub', hubHeader, message);
    await t.hub.keys.rotateAll(30);
    const after = await fetchJwks();
    expect(await verifyEnvelope({ signature, header: hubHeader, message }, after)).toMatchObject({ ok: true, form: 'http-signature' });
    const fresh = fields(await signEnvelope(t.hub.keys, 'srhub', hubHeader, message)).kidId.split('|')[1];
    expect(fresh).not.toBe(fields(signature).kidId.split('|')[1]);
    expect(after.keys.map((k) => k.kid)).toContain(fresh);
  });

  describe('detached JWS', () => {
    it('accepts one over the canonical JSON, with EdDSA or ES256, and with an unencoded payload (b64: false)', async () => {
      const ed = await detachedJws(client.privateKey, 'EdDSA', 'spmis-key-1', header, message);
      expect(ed).toMatch(/^[\w-]+\.\.[\w-]+$/);
      expect(await verifyEnvelope({ signature: ed, header, message }, clientKeys, { required: true })).toEqual({ ok: true, kid: 'spmis-key-1', form: 'detached-jws' });

      const ec = await generateKeyPair('ES256', { extractable: true });
      const keys = { keys: [...clientKeys.keys, { ...(await exportJWK(ec.publicKey)), kid: 'spmis-ec' }] };
      const es = await detachedJws(ec.privateKey, 'ES256', 'spmis-ec', header, message);
      expect(await verifyEnvelope({ signature: es, header, message }, keys)).toMatchObject({ ok: true, kid: 'spmis-ec', form: 'detached-jws' });

      const unencodedJws = await new FlattenedSign(new TextEncoder().encode(canonical({ header, message })))
        .setProtectedHeader({ alg: 'EdDSA', kid: 'spmis-key-1', b64: false, crit: ['b64'] }).sign(client.privateKey);
      const unencoded = `${unencodedJws.protected}..${unencodedJws.signature}`;
      expect(await verifyEnvelope({ signature: unencoded, header, message }, clientKeys)).toMatchObject({ ok: true, form: 'detached-jws' });
    });

    it('refuses one over another message, by another key, expired, or with a forbidden algorithm', async () => {
      const other = await detachedJws(client.privateKey, 'EdDSA', 'spmis-key-1', header, { ...message, transaction_id: 'txn-2' });
      expect(await verifyEnvelope({ signature: other, header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });

      const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const forged = await detachedJws(stranger.privateKey, 'EdDSA', 'spmis-key-1', header, message);
      expect(await verifyEnvelope({ signature: forged, header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });

      const expired = await detachedJws(client.privateKey, 'EdDSA', 'spmis-key-1', header, message, { exp: now() - 3600 });
      expect(await verifyEnvelope({ signature: expired, header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });

      const unknownKid = await detachedJws(client.privateKey, 'EdDSA', 'other-kid', header, message);
      expect(await verifyEnvelope({ signature: unknownKid, header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });

      const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid: 'spmis-key-1' }))}..${base64url.encode('x')}`;
      expect(await verifyEnvelope({ signature: none, header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });
      // HMAC with the public key as the secret (the classic algorithm confusion) is not an algorithm we take
      const hs = await new FlattenedSign(new TextEncoder().encode(canonical({ header, message })))
        .setProtectedHeader({ alg: 'HS256', kid: 'spmis-key-1' }).sign(new TextEncoder().encode(client.publicJwk.x!));
      expect(await verifyEnvelope({ signature: `${hs.protected}..${hs.signature}`, header, message }, clientKeys)).toMatchObject({ ok: false, code: 'err.signature.invalid' });
    });
  });

  it('sees the envelope as received: a signed envelope posted as JSON still verifies', async () => {
    const envelope: DciEnvelope = { header: hubHeader, message, signature: await signEnvelope(t.hub.keys, 'srhub', hubHeader, message) };
    const wire = JSON.parse(JSON.stringify(envelope, null, 2));
    expect(await verifyEnvelope(wire, await fetchJwks(), { required: true })).toMatchObject({ ok: true });
  });
});
