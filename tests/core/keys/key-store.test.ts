// The hub's key pairs: ES256 for tokens, Ed25519 for DCI signatures, P-256 ECDH for DCI encryption; created once,
// sealed at rest, rotated together, published while valid.
import { randomBytes, sign, verify, KeyObject, type webcrypto } from 'node:crypto';
import { FlattenedEncrypt, flattenedDecrypt, importJWK, type JWK } from 'jose';
import type { Db } from '../../../core/db/db.js';
import { KeyStore } from '../../../core/keys/key-store.js';
import { openTestDb } from '../../helpers/databases.js';
import { dbEngines } from '../../helpers/services.js';

describe.each(dbEngines())('key store on %s', (engine) => {
  let db: Db;
  const masterKey = randomBytes(32);
  beforeEach(async () => {
    db = await openTestDb(engine);
  });
  afterEach(() => db.close());

  it('keeps ES256 as the default signing key, and adds an Ed25519 signing key and a P-256 encryption key', async () => {
    const keys = new KeyStore(db, masterKey);
    expect((await keys.signingKey()).alg).toBe('ES256');
    const ed = await keys.signingKey('EdDSA');
    expect(ed.alg).toBe('EdDSA');
    const enc = await keys.encryptionKey();
    expect(enc.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: enc.kid, alg: 'ECDH-ES+A256KW', use: 'enc' });
    expect(enc.publicJwk.d).toBeUndefined();

    const jwks = await keys.jwks();
    const byAlg = Object.fromEntries(jwks.keys.map((k) => [k.alg, k]));
    expect(Object.keys(byAlg).sort()).toEqual(['ECDH-ES+A256KW', 'ES256', 'EdDSA']);
    expect(byAlg.EdDSA).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: ed.kid, use: 'sig' });
    expect(byAlg.ES256).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
    for (const key of jwks.keys) for (const part of ['d', 'p', 'q', 'k']) expect(key).not.toHaveProperty(part);

    // the published Ed25519 key verifies what the private one signs
    const data = Buffer.from('signed by the hub');
    const signature = sign(null, data, KeyObject.from(ed.privateKey as unknown as webcrypto.CryptoKey));
    expect(verify(null, data, KeyObject.from((await importJWK(byAlg.EdDSA, 'EdDSA')) as unknown as webcrypto.CryptoKey), signature)).toBe(true);
  });

  it('creates one key of each kind even when instances start together, and seals the private parts', async () => {
    const [a, b] = [new KeyStore(db, masterKey), new KeyStore(db, masterKey)];
    const [ka, kb] = await Promise.all([a.signingKey('EdDSA'), b.signingKey('EdDSA')]);
    expect(ka.kid).toBe(kb.kid);
    const [ea, eb] = await Promise.all([a.encryptionKey(), b.encryptionKey()]);
    expect(ea.kid).toBe(eb.kid);
    const rows = await db.query<{ alg: string; private_jwk: string }>('select alg, private_jwk from signing_key');
    expect(rows.map((r) => r.alg).sort()).toEqual(['ECDH-ES+A256KW', 'EdDSA']);
    for (const row of rows) {
      expect(row.private_jwk).not.toContain('"');
      expect(() => JSON.parse(row.private_jwk)).toThrow();
    }
    // another master key cannot open them
    await expect(new KeyStore(db, randomBytes(32)).signingKey('EdDSA')).rejects.toThrow();
  });

  it('finds verification keys among signing keys only', async () => {
    const keys = new KeyStore(db, masterKey);
    const ed = await keys.signingKey('EdDSA');
    const enc = await keys.encryptionKey();
    expect(await keys.verificationKey(ed.kid)).toBeDefined();
    expect(await keys.verificationKey(enc.kid)).toBeUndefined();
    expect(await keys.decryptionKey(ed.kid)).toBeUndefined();
    expect(await keys.decryptionKey(enc.kid)).toBeDefined();
  });

  it('rotates every kind; retired keys stay published and usable until they expire', async () => {
    const keys = new KeyStore(db, masterKey);
    const before = { es: (await keys.signingKey()).kid, ed: (await keys.signingKey('EdDSA')).kid, enc: await keys.encryptionKey() };
    // a message encrypted to the key that is about to be retired
    const sealed = await new FlattenedEncrypt(new TextEncoder().encode('{"ok":true}'))
      .setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: before.enc.kid })
      .encrypt(await importJWK(before.enc.publicJwk, 'ECDH-ES+A256KW'));

    const kids = await keys.rotateAll(30);
    expect(kids.ES256).not.toBe(before.es);
    expect((await keys.signingKey()).kid).toBe(kids.ES256);
    expect((await keys.signingKey('EdDSA')).kid).toBe(kids.EdDSA);
    expect((await keys.encryptionKey()).kid).toBe(kids['ECDH-ES+A256KW']);
    const published = (await keys.jwks()).keys.map((k: JWK) => k.kid);
    expect(published).toEqual(expect.arrayContaining([before.es, before.ed, before.enc.kid, ...Object.values(kids)]));
    expect(await keys.verificationKey(before.ed)).toBeDefined();
    const old = await keys.decryptionKey(before.enc.kid);
    expect(new TextDecoder().decode((await flattenedDecrypt(sealed, old!)).plaintext)).toBe('{"ok":true}');

    // rotate() keeps its old contract: every kind rotates, the answer is the new token key
    const next = await keys.rotate(30);
    expect((await keys.signingKey()).kid).toBe(next);
    expect((await keys.signingKey('EdDSA')).kid).not.toBe(kids.EdDSA);

    await db.query(`update signing_key set expires_at = now() - interval '1 second' where kid = any($1)`, [[before.ed, before.enc.kid]]);
    const after = (await keys.jwks()).keys.map((k: JWK) => k.kid);
    expect(after).not.toContain(before.ed);
    expect(after).not.toContain(before.enc.kid);
    expect(await keys.decryptionKey(before.enc.kid)).toBeUndefined();
  });
});
