// DCI message encryption (docs/dci.md, "Signatures and encryption"). When header.is_msg_encrypted is true the
// `message` is the spec's EncryptedMessage: a JWE in the flattened JSON serialization, whose unprotected `header`
// carries alg, enc and kid as the spec's schema requires. Key management is ECDH-ES+A256KW (EC or X25519 keys) or
// RSA-OAEP-256 (RSA keys), content encryption A256GCM. ECDH-ES adds its ephemeral key (epk) in `protected`, so it
// is covered by the GCM tag; the whole envelope, encrypted message included, is covered by the signature.
import {
  calculateJwkThumbprint,
  compactDecrypt,
  FlattenedEncrypt,
  flattenedDecrypt,
  importJWK,
  type FlattenedJWE,
  type JWK,
} from 'jose';
import type { KeyStore } from '../keys/key-store.js';
import { DciSecurityError } from './security-error.js';

export { DciSecurityError } from './security-error.js';

export const CONTENT_ENCRYPTION = 'A256GCM';
export type KeyManagementAlg = 'ECDH-ES+A256KW' | 'RSA-OAEP-256';
const KEY_MANAGEMENT: readonly string[] = ['ECDH-ES+A256KW', 'RSA-OAEP-256'];
const ECDH_CURVES = ['P-256', 'P-384', 'P-521', 'X25519'];

/** The key management algorithm for a recipient's key: its own `alg` when it names one we support, else by key type. */
export function keyManagementFor(jwk: JWK): KeyManagementAlg {
  if (jwk.alg !== undefined) {
    if (KEY_MANAGEMENT.includes(jwk.alg)) return jwk.alg as KeyManagementAlg;
    throw new DciSecurityError('err.encryption.invalid', `Messages cannot be encrypted to a key with alg ${jwk.alg}; use ECDH-ES+A256KW or RSA-OAEP-256.`);
  }
  if (jwk.kty === 'RSA') return 'RSA-OAEP-256';
  if ((jwk.kty === 'EC' || jwk.kty === 'OKP') && ECDH_CURVES.includes(jwk.crv ?? '')) return 'ECDH-ES+A256KW';
  throw new DciSecurityError('err.encryption.invalid', 'Messages can be encrypted only to RSA, EC (P-256/P-384/P-521) or X25519 keys.');
}

/** message -> EncryptedMessage (flattened JWE) to the recipient's public key. */
export async function encryptMessage(message: unknown, recipientKey: JWK): Promise<object> {
  const alg = keyManagementFor(recipientKey);
  // the spec requires a kid; a key registered without one is named by its RFC 7638 thumbprint
  const kid = recipientKey.kid ?? (await calculateJwkThumbprint(recipientKey));
  const key = await importJWK(publicPart(recipientKey), alg);
  const jwe: FlattenedJWE = await new FlattenedEncrypt(new TextEncoder().encode(JSON.stringify(message)))
    .setUnprotectedHeader({ alg, enc: CONTENT_ENCRYPTION, kid })
    .encrypt(key);
  return jwe;
}

/**
 * An EncryptedMessage addressed to the hub (flattened JWE object, or a compact JWE string) -> the plain message.
 * The key is the hub's encryption key named by kid (a retired one still decrypts until it expires; without a kid,
 * the active one). Unknown kid, wrong key, altered parts or a plaintext that is not JSON -> DciSecurityError.
 */
export async function decryptMessage(encrypted: unknown, keys: KeyStore): Promise<unknown> {
  const getKey = async (header: { kid?: string } | undefined, token: { header?: { kid?: string } }) => {
    // a flattened JWE carries kid in its unprotected header, a compact one in its protected header
    const kid = header?.kid ?? token.header?.kid;
    const key = kid ? await keys.decryptionKey(kid) : (await keys.encryptionKey()).privateKey;
    if (!key) throw new DciSecurityError('err.encryption.invalid', `The message is encrypted to a key the hub does not have (kid ${kid}); encrypt to the "enc" key of the hub's JWKS.`);
    return key;
  };
  const options = { keyManagementAlgorithms: ['ECDH-ES+A256KW'], contentEncryptionAlgorithms: [CONTENT_ENCRYPTION] };
  let plaintext: Uint8Array;
  try {
    if (typeof encrypted === 'string') plaintext = (await compactDecrypt(encrypted, getKey, options)).plaintext;
    else if (isJwe(encrypted)) plaintext = (await flattenedDecrypt(encrypted, getKey, options)).plaintext;
    else throw new DciSecurityError('err.encryption.invalid', 'The encrypted message needs header, encrypted_key, iv, ciphertext and tag.');
  } catch (err) {
    if (err instanceof DciSecurityError) throw err;
    throw new DciSecurityError('err.encryption.invalid', `The message could not be decrypted (wrong key, unsupported algorithm, or altered): use ECDH-ES+A256KW with ${CONTENT_ENCRYPTION}.`);
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw new DciSecurityError('err.encryption.invalid', 'The decrypted message is not JSON.');
  }
}

function isJwe(value: unknown): value is FlattenedJWE {
  const v = value as Record<string, unknown> | null;
  return !!v && typeof v === 'object' && typeof v.ciphertext === 'string' && typeof v.iv === 'string' && typeof v.tag === 'string';
}

/** Only the public members of a key (a registered key never has private ones; this keeps it so). */
function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...rest } = jwk;
  return rest;
}
