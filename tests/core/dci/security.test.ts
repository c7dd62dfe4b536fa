// Signed and encrypted DCI messages through the API: a client that must sign is refused when it does not or when
// its signature is tampered with or expired; its signed messages (both forms) are accepted; a message encrypted to the
// hub's key is decrypted; answers are encrypted to a client that asks for it and still verify.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { exportJWK, flattenedDecrypt, FlattenedSign, generateKeyPair } from 'jose';
import { canonicalJson } from '../../../core/dci/canonical.js';
import { encryptMessage } from '../../../core/dci/encryption.js';
import { envelopeDigest, formatSignature, signingString, verifyEnvelope } from '../../../core/dci/signature.js';
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aClient, dciPost, idQuery, publicTask, searchItem, searchMessage } from './dci-helpers.js';

function signAs(senderId: string, kid: string, key: KeyObject, envelope: { header: object; message: unknown }, created = Math.floor(Date.now() / 1000), ttl = 600) {
  const data = signingString(created, created + ttl, envelopeDigest(envelope.header, envelope.message));
  const signature = sign(null, Buffer.from(data, 'utf8'), key).toString('base64');
  return formatSignature({ namespace: 'dci', senderId, kid, algorithm: 'ed25519', created, expires: created + ttl, headers: '(created) (expires) digest', signature });
}

describe('DCI signatures and encryption through the API', () => {
  let t: TestHub;
  let client: Awaited<ReturnType<typeof aClient>>;
  let id: string;
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = 'spmis-key-1';

  beforeAll(async () => {
    t = await startTestHub({ env: { SRHUB_AUTH: 'on' } });
    const admin = (await t.as(['administrator'])).headers;
    await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' }, { headers: admin });
    await t.post('/api/v1/admin-areas', { code: 'AM-R1-D1', name: 'D1', parent_code: 'AM-R1' }, { headers: admin });
    id = uin();
    await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person: aPerson({ identifiers: [{ type: 'UIN', value: id }] }) }] }), { headers: admin });
    client = await aClient(t);
    await publicTask(t, 'ELIG', [client.clientId]);
    const jwk = { ...(publicKey.export({ format: 'jwk' }) as object), kid, alg: 'EdDSA', use: 'sig' };
    await t.hub.db.query('insert into dci_client (client_id, jwks, require_signature, updated_by) values ($1, $2, true, $3)', [client.clientId, JSON.stringify({ keys: [jwk] }), 'test']);
  });
  afterAll(() => t.stop());

  it('refuses missing, tampered and expired signatures, and accepts good ones in both forms', async () => {
    const body = () => searchMessage(client.clientId, [searchItem('s', idQuery(id))]);
    const missing = await dciPost(t, '/registry/sync/search', body(), client.headers);
    expect(missing.status).toBe(401);
    expect(missing.body.errors[0].code).toBe('err.signature.missing');

    const signed = body();
    const good = await dciPost(t, '/registry/sync/search', { ...signed, signature: signAs(client.clientId, kid, privateKey, signed) }, client.headers);
    expect(good.status).toBe(200);
    expect(good.body.header.status).toBe('succ');

    const tampered = body();
    const signature = signAs(client.clientId, kid, privateKey, tampered);
    (tampered.message.search_request[0] as { reference_id: string }).reference_id = 'changed';
    const bad = await dciPost(t, '/registry/sync/search', { ...tampered, signature }, client.headers);
    expect(bad.status).toBe(401);
    expect(bad.body.errors[0].code).toBe('err.signature.invalid');

    const old = body();
    const expired = await dciPost(t, '/registry/sync/search', { ...old, signature: signAs(client.clientId, kid, privateKey, old, Math.floor(Date.now() / 1000) - 7200, 600) }, client.headers);
    expect(expired.body.errors[0].code).toBe('err.signature.invalid');

    // the detached JWS other implementations send, over the same canonical JSON
    const jws = body();
    const flat = await new FlattenedSign(new TextEncoder().encode(canonicalJson({ header: jws.header, message: jws.message })))
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .sign(privateKey);
    const detached = await dciPost(t, '/registry/sync/search', { ...jws, signature: `${flat.protected}..${flat.signature}` }, client.headers);
    expect(detached.body.header.status).toBe('succ');
  });

  it('decrypts a message encrypted to the hub and encrypts the answer for a client that asks for it', async () => {
    const { publicKey: encPublic, privateKey: encPrivate } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const clientEncJwk = { ...(await exportJWK(encPublic)), kid: 'spmis-enc-1', alg: 'ECDH-ES+A256KW', use: 'enc' };
    await t.hub.db.query('update dci_client set encryption_jwk = $2, encrypt_responses = true where client_id = $1', [client.clientId, JSON.stringify(clientEncJwk)]);
    try {
      const plain = searchMessage(client.clientId, [searchItem('e', idQuery(id, 'UIN', { response_entity: 'Member' }))], { is_msg_encrypted: true });
      const hubKey = (await t.hub.keys.encryptionKey()).publicJwk;
      const envelope = { header: plain.header, message: await encryptMessage(plain.message, hubKey) };
      const res = await dciPost(t, '/registry/sync/search', { ...envelope, signature: signAs(client.clientId, kid, privateKey, envelope) }, client.headers);
      expect(res.status).toBe(200);
      expect(res.body.header).toMatchObject({ status: 'succ', is_msg_encrypted: true });
      expect(res.body.message.search_response).toBeUndefined();
      // the answer is signed over the encrypted message
      expect(await verifyEnvelope(res.body, (await t.get('/.well-known/jwks.json')).body, { required: true })).toMatchObject({ ok: true });
      const { plaintext } = await flattenedDecrypt(res.body.message, encPrivate);
      const answer = JSON.parse(new TextDecoder().decode(plaintext));
      expect(answer.transaction_id).toBe(plain.message.transaction_id);
      expect(answer.search_response[0].data.reg_records).toHaveLength(1);

      // a message that is not the hub's to decrypt
      const stranger = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
      const wrong = { header: { ...plain.header, message_id: `${plain.header.message_id}-2` }, message: await encryptMessage(plain.message, { ...(await exportJWK(stranger.publicKey)), kid: 'not-the-hub' }) };
      const refused = await dciPost(t, '/registry/sync/search', { ...wrong, signature: signAs(client.clientId, kid, privateKey, wrong) }, client.headers);
      expect(refused.status).toBe(400);
      expect(refused.body.message.error.code).toBe('err.encryption.invalid');
    } finally {
      await t.hub.db.query('update dci_client set encryption_jwk = null, encrypt_responses = false where client_id = $1', [client.clientId]);
    }
  });

  it('holds a person signed in with a one-time password to changing it, as the hub API does', async () => {
    const admin = (await t.as(['administrator'])).headers;
    const created = await t.post('/api/v1/users', { username: `otp-${uin()}`, roles: ['program_officer'] }, { headers: admin });
    expect(created.status).toBe(201);
    const signIn = await fetch(`${t.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: created.body.username, password: created.body.one_time_password }).toString(),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const res = await t.post('/registry/sync/search', searchMessage(created.body.username, [searchItem('s', idQuery(id))]), { headers: { authorization: `Bearer ${signIn.access_token}` } });
    expect(res.status).toBe(403);
    expect(res.body.errors[0]).toMatchObject({ code: 'err.request.forbidden', message: expect.stringMatching(/one-time password/) });
  });
});
