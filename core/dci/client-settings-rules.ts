// What the DCI settings of a client may hold: callback and JWKS URLs the hub will call, and public keys only.
import { importJWK, type JWK } from 'jose';
import type { FieldError } from '../server/errors.js';
import { keyManagementFor } from './encryption.js';

const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
// members that only a private or symmetric key has
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MIN_RSA_MODULUS_CHARS = 342; // 2048 bits, base64url
export const MAX_VERIFICATION_KEYS = 20;

/** An https URL (http only for this machine, or anywhere when demos allow it), without credentials. */
export function checkUrl(field: string, value: string, allowHttp: boolean): FieldError | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { field, message: 'is not a URL' };
  }
  if (url.username || url.password) return { field, message: 'must not carry a user name or password' };
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && (allowHttp || LOCAL_HOSTS.includes(url.hostname))) return undefined;
  return { field, message: 'must be an https URL (http only for localhost, or with SRHUB_DCI_ALLOW_HTTP_CALLBACKS on)' };
}

function privateMember(jwk: JWK): string | undefined {
  return PRIVATE_MEMBERS.find((m) => m in jwk);
}

function weakRsa(jwk: JWK): boolean {
  return jwk.kty === 'RSA' && (typeof jwk.n !== 'string' || jwk.n.length < MIN_RSA_MODULUS_CHARS);
}

/** The key's signature algorithm: its own alg, else the usual one for its type and curve. */
function signatureAlgFor(jwk: JWK): string | undefined {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384';
  if (jwk.kty === 'RSA') return 'PS256';
  return undefined;
}

const SIGNATURE_ALGS = ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'PS256', 'RS256'];

/** The sender's verification keys: public Ed25519, EC P-256/P-384 or RSA (2048 bits or more) keys, each with its own kid. */
export async function checkVerificationJwks(field: string, jwks: { keys?: unknown }): Promise<FieldError[]> {
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) return [{ field: `${field}.keys`, message: 'must list at least one key' }];
  if (jwks.keys.length > MAX_VERIFICATION_KEYS) return [{ field: `${field}.keys`, message: `may list at most ${MAX_VERIFICATION_KEYS} keys` }];
  const errors: FieldError[] = [];
  const kids = new Set<string>();
  for (const [i, key] of (jwks.keys as JWK[]).entries()) {
    const at = `${field}.keys[${i}]`;
    const leaked = privateMember(key);
    if (leaked) {
      errors.push({ field: at, message: `is a private key (it has "${leaked}"): register the public key only` });
      continue;
    }
    if (typeof key.kid !== 'string' || !key.kid) errors.push({ field: `${at}.kid`, message: 'is required: signatures name their key by kid' });
    else if (kids.has(key.kid)) errors.push({ field: `${at}.kid`, message: 'is used by another key of the set' });
    else kids.add(key.kid);
    if (key.use === 'enc') continue; // a set may carry the sender's encryption keys too; they verify nothing
    const alg = signatureAlgFor(key);
    if (!alg || !SIGNATURE_ALGS.includes(alg) || weakRsa(key)) {
      errors.push({ field: at, message: 'must be an Ed25519, EC P-256/P-384 or RSA (2048 bits or more) signing key' });
      continue;
    }
    if (!(await importable(key, alg))) errors.push({ field: at, message: `is not a valid ${alg} public key` });
  }
  return errors;
}

/** The key responses are encrypted to: a public RSA (RSA-OAEP-256), EC P-256/P-384/P-521 or X25519 (ECDH-ES+A256KW) key. */
export async function checkEncryptionJwk(field: string, jwk: JWK): Promise<FieldError[]> {
  const leaked = privateMember(jwk);
  if (leaked) return [{ field, message: `is a private key (it has "${leaked}"): register the public key only` }];
  if (jwk.use !== undefined && jwk.use !== 'enc') return [{ field: `${field}.use`, message: 'must be "enc" (or absent) for an encryption key' }];
  let alg: string;
  try {
    alg = keyManagementFor(jwk);
  } catch (err) {
    return [{ field, message: (err as Error).message }];
  }
  if (weakRsa(jwk)) return [{ field, message: 'must be an RSA key of 2048 bits or more' }];
  return (await importable(jwk, alg)) ? [] : [{ field, message: `is not a valid ${alg} public key` }];
}

async function importable(jwk: JWK, alg: string): Promise<boolean> {
  try {
    await importJWK(jwk, alg);
    return true;
  } catch {
    return false;
  }
}
