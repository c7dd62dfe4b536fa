// DCI message encryption: EncryptedMessage (flattened JWE) with ECDH-ES+A256KW or RSA-OAEP-256 and A256GCM.
// The other party's side is written with jose directly.
import { randomBytes } from 'node:crypto';
import { CompactEncrypt, exportJWK, FlattenedEncrypt, flattenedDecrypt, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK } from 'jose';
import { decryptMessage, encryptMessage, DciSecurityError } from '../../../core/dci/encryption.js';
import type { Db } from '../../../core/db/db.js';
import { KeyStore } from '../../../core/keys/key-store.js';
import { openTestDb } from '../../helpers/databases.js';

const message = {
  transaction_id: 'txn-1',
  search_response: [{ reference_id: 'ref-1', status: 'succ', data: { reg_records: [{ name: { given_name: 'Amina', surname: 'Otieno' }, sex: 'female' }] } }],
};

const encoder = new TextEncoder();
const plain = (value: unknown) => encoder.encode(JSON.stringify(value));

/** The spec's EncryptedMessage: header {alg, enc, kid}, ciphertext, encrypted_key, tag, iv (all strings). */
function expectSpecShape(encrypted: any, alg: string, kid: string) {
  expect(encrypted.header).toEqual({ alg, enc: 'A256GCM', kid });
  for (const part of ['ciphertext', 'encrypted_key', 'tag', 'iv']) expect(encrypted[part]).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(JSON.stringify(encrypted)).not.toContain('Amina');
}

async function expectRefused(promise: Promise<unknown>, pattern?: RegExp) {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DciSecurityError);
  expect((err as DciSecurityError).code).toBe('err.encryption.invalid');
  if (pattern) expect((err as Error).message).toMatch(pattern);
}

describe('DCI message encryption', () => {
  let db: Db;
  let keys: KeyStore;
  let hubKey: JWK;
  beforeAll(async () => {
    db = await openTestDb('pglite');
    keys = new KeyStore(db, randomBytes(32));
    hubKey = (await keys.jwks()).keys.find((k) => k.use === 'enc')!;
  });
  afterAll(() => db.close());

  it('round trip to the hub: the published enc key encrypts, decryptMessage opens', async () => {
    const encrypted = await encryptMessage(message, hubKey);
    expectSpecShape(encrypted, 'ECDH-ES+A256KW', hubKey.kid!);
    expect(await decryptMessage(JSON.parse(JSON.stringify(encrypted)), keys)).toEqual(message);
  });

  it("opens what a client encrypts with jose alone, in flattened or compact form", async () => {
    const key = await importJWK(hubKey, 'ECDH-ES+A256KW');
    const flattened = await new FlattenedEncrypt(plain(message)).setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: hubKey.kid }).encrypt(key);
    expect(await decryptMessage(flattened, keys)).toEqual(message);
    const allProtected = await new FlattenedEncrypt(plain(message)).setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: hubKey.kid }).encrypt(key);
    expect(await decryptMessage(allProtected, keys)).toEqual(message);
    const compact = await new CompactEncrypt(plain(message)).setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: hubKey.kid }).encrypt(key);
    expect(await decryptMessage(compact, keys)).toEqual(message);
  });

  it('encrypts to a client with RSA-OAEP-256 or ECDH-ES+A256KW (P-256, X25519); the client opens it with jose', async () => {
    const rsa = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    const rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'spmis-rsa' };
    const toRsa = await encryptMessage(message, rsaJwk);
    expectSpecShape(toRsa, 'RSA-OAEP-256', 'spmis-rsa');
    const opened = await flattenedDecrypt(toRsa as any, rsa.privateKey, { keyManagementAlgorithms: ['RSA-OAEP-256'], contentEncryptionAlgorithms: ['A256GCM'] });
    expect(JSON.parse(new TextDecoder().decode(opened.plaintext))).toEqual(message);

    for (const crv of ['P-256', 'X25519']) {
      const ec = await generateKeyPair('ECDH-ES+A256KW', { crv, extractable: true });
      const ecJwk = await exportJWK(ec.publicKey); // registered without a kid: the thumbprint names it
      const toEc = await encryptMessage(message, ecJwk);
      expectSpecShape(toEc, 'ECDH-ES+A256KW', await calculateJwkThumbprint(ecJwk));
      const openedEc = await flattenedDecrypt(toEc as any, ec.privateKey, { keyManagementAlgorithms: ['ECDH-ES+A256KW'] });
      expect(JSON.parse(new TextDecoder().decode(openedEc.plaintext))).toEqual(message);
    }
  });

  it('refuses keys it cannot encrypt to', async () => {
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    await expectRefused(encryptMessage(message, await exportJWK(ed.publicKey)));
    const rsa = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    await expectRefused(encryptMessage(message, { ...(await exportJWK(rsa.publicKey)), alg: 'RSA1_5' }), /RSA1_5/);
  });

  it('refuses a tampered ciphertext, tag, iv or encrypted key', async () => {
    const encrypted = (await encryptMessage(message, hubKey)) as Record<string, any>;
    for (const part of ['ciphertext', 'tag', 'iv', 'encrypted_key']) {
      const bytes = Buffer.from(encrypted[part], 'base64url');
      bytes[0] ^= 1;
      await expectRefused(decryptMessage({ ...encrypted, [part]: bytes.toString('base64url') }, keys));
    }
    // the protected header (ECDH-ES's ephemeral key) is covered by the tag too
    await expectRefused(decryptMessage({ ...encrypted, protected: Buffer.from('{"epk":{}}').toString('base64url') }, keys));
  });

  it('refuses a message for another recipient, an unknown kid, an algorithm the hub does not take, and non-JSON', async () => {
    const other = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    // encrypted to someone else's key, but claiming the hub's kid
    const wrong = await new FlattenedEncrypt(plain(message)).setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: hubKey.kid }).encrypt(other.publicKey);
    await expectRefused(decryptMessage(wrong, keys));
    const unknownKid = await new FlattenedEncrypt(plain(message)).setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'not-ours' }).encrypt(other.publicKey);
    await expectRefused(decryptMessage(unknownKid, keys), /not-ours/);
    const cbc = await new FlattenedEncrypt(plain(message)).setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256CBC-HS512', kid: hubKey.kid }).encrypt(await importJWK(hubKey, 'ECDH-ES+A256KW'));
    await expectRefused(decryptMessage(cbc, keys));
    const text = await new FlattenedEncrypt(encoder.encode('not json')).setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: hubKey.kid }).encrypt(await importJWK(hubKey, 'ECDH-ES+A256KW'));
    await expectRefused(decryptMessage(text, keys), /not JSON/);
    await expectRefused(decryptMessage({ header: { alg: 'ECDH-ES+A256KW' } }, keys));
  });

  it('still opens messages encrypted to the previous key after a rotation', async () => {
    const before = await encryptMessage(message, hubKey);
    await keys.rotateAll(30);
    const current = (await keys.encryptionKey()).publicJwk;
    expect(current.kid).not.toBe(hubKey.kid);
    expect(await decryptMessage(before, keys)).toEqual(message);
    expect(await decryptMessage(await encryptMessage(message, current), keys)).toEqual(message);
  });
});
