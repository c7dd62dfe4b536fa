// DCI message signatures (docs/dci.md, "Signatures and encryption"). The spec's `signature` string follows a draft
// HTTP-Signatures layout without a canonical form (spdci README, defect 7); the hub uses the common reading:
//   digest         = base64(sha256(canonicalJson({header, message})))
//   signing string = "(created): <created>\n(expires): <expires>\ndigest: <digest>"
//   signature      = base64(Ed25519(signing string))
// Incoming messages may instead carry a detached JWS ("protected..signature") over the same canonical JSON.
import { createHash, createPublicKey, KeyObject, sign, verify, type JsonWebKey, type webcrypto } from 'node:crypto';
import { base64url, flattenedVerify, importJWK, type JWK, type ProtectedHeaderParameters } from 'jose';
import { DCI_SIGNING_ALG, type KeyStore } from '../keys/key-store.js';
import { canonicalJson } from './canonical.js';

export { canonicalJson } from './canonical.js';

export interface DciEnvelope {
  signature?: string;
  /** Any header object (typed header interfaces without an index signature fit too). */
  header: Record<string, unknown> | object;
  message: unknown;
}

export type SignatureCheck =
  | { ok: true; kid: string; form: 'http-signature' | 'detached-jws' }
  /** No signature, and none was required. */
  | { ok: true; kid: null; form: 'none' }
  | { ok: false; code: 'err.signature.missing' | 'err.signature.invalid'; message: string };

/** The parts of the spec's signature string. */
export interface SignatureParams {
  namespace?: string;
  senderId: string;
  kid: string;
  algorithm: string;
  created: number;
  expires: number;
  headers: string;
  signature: string;
}

export const DEFAULT_SIGNATURE_TTL_SECONDS = 3600;
/** Clocks of the sender and the hub may differ this much (seconds) for `created` and `expires`. */
export const CLOCK_SKEW_SECONDS = 30;
const SIGNED_HEADERS = '(created) (expires) digest';
// algorithms a detached JWS may use (never "none", never HMAC: the sender's keys are public)
const JWS_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'PS256', 'RS256'];
const DETACHED_JWS = /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)$/;

/** base64(sha256(canonical JSON of {header, message})): what both signature forms cover. */
export function envelopeDigest(header: unknown, message: unknown): string {
  return digestOf(canonicalJson({ header, message }));
}

const digestOf = (canonical: string) => createHash('sha256').update(canonical, 'utf8').digest('base64');

export function signingString(created: number, expires: number, digest: string): string {
  return `(created): ${created}\n(expires): ${expires}\ndigest: ${digest}`;
}

/** The spec's signature string over {header, message}, with the hub's Ed25519 key. */
export async function signEnvelope(
  keys: KeyStore,
  senderId: string,
  header: object,
  message: unknown,
  ttlSeconds = DEFAULT_SIGNATURE_TTL_SECONDS,
): Promise<string> {
  return signCanonical(keys, senderId, canonicalJson({ header, message }), ttlSeconds);
}

/** signEnvelope for a caller that has written canonicalJson({header, message}) already (to send the same text). */
export async function signCanonical(keys: KeyStore, senderId: string, canonical: string, ttlSeconds = DEFAULT_SIGNATURE_TTL_SECONDS): Promise<string> {
  const key = await keys.signingKey(DCI_SIGNING_ALG);
  const created = Math.floor(Date.now() / 1000);
  const expires = created + ttlSeconds;
  const data = Buffer.from(signingString(created, expires, digestOf(canonical)), 'utf8');
  const signature = sign(null, data, keyObjectOf(key.privateKey as unknown as webcrypto.CryptoKey)).toString('base64');
  return formatSignature({ namespace: 'dci', senderId, kid: key.kid, algorithm: 'ed25519', created, expires, headers: SIGNED_HEADERS, signature });
}

// KeyObject.from costs about as much as the Ed25519 signature itself; the key store hands out the same CryptoKey
// until a rotation, so its KeyObject is made once
const keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();
function keyObjectOf(key: webcrypto.CryptoKey): KeyObject {
  let object = keyObjects.get(key);
  if (!object) keyObjects.set(key, (object = KeyObject.from(key)));
  return object;
}

export function formatSignature(p: SignatureParams): string {
  return [
    `namespace="${p.namespace ?? 'dci'}"`,
    `kidId="${p.senderId}|${p.kid}|${p.algorithm}"`,
    `algorithm="${p.algorithm}"`,
    `created="${p.created}"`,
    `expires="${p.expires}"`,
    `headers="${p.headers}"`,
    `signature="${p.signature}"`,
  ].join(', ');
}

/** Reads the spec's signature string (a leading "Signature:" as in the spec's example is allowed); undefined when it is not one. */
export function parseSignature(value: string): SignatureParams | undefined {
  const text = value.trim().replace(/^Signature:\s*/i, '');
  const params = new Map<string, string>();
  for (const m of text.matchAll(/([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,\s"]+))/g)) params.set(m[1], m[2] ?? m[3]);
  const kidId = params.get('kidId')?.split('|');
  const created = Number(params.get('created'));
  const expires = Number(params.get('expires'));
  const signature = params.get('signature');
  if (!kidId || kidId.length < 3 || !signature || !Number.isInteger(created) || !Number.isInteger(expires)) return undefined;
  // sender ids may contain "|": the key id and algorithm are the last two parts
  const [alg, kid] = [kidId[kidId.length - 1], kidId[kidId.length - 2]];
  return {
    namespace: params.get('namespace'),
    senderId: kidId.slice(0, -2).join('|'),
    kid,
    algorithm: (params.get('algorithm') ?? alg).toLowerCase(),
    created,
    expires,
    headers: (params.get('headers') ?? SIGNED_HEADERS).trim().replace(/\s+/g, ' '),
    signature,
  };
}

/** The key id a signature names (either form), to look the sender's key up before verifying. */
export function signatureKid(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const jws = DETACHED_JWS.exec(value.trim());
  if (jws) return protectedHeader(jws[1])?.kid;
  return parseSignature(value)?.kid;
}

/**
 * Verifies either form against the sender's keys. A signature that is present is always checked, required or not;
 * a missing one passes (form 'none') unless `required`. Expired or not yet valid (beyond CLOCK_SKEW_SECONDS),
 * an unknown kid, a key of the wrong type or a digest that does not match -> err.signature.invalid.
 */
export async function verifyEnvelope(
  envelope: DciEnvelope,
  senderKeys: { keys: JWK[] },
  options: { required: boolean } = { required: false },
): Promise<SignatureCheck> {
  const value: unknown = envelope.signature;
  if (value === undefined || value === null || value === '') {
    return options.required ? { ok: false, code: 'err.signature.missing', message: 'The message must be signed: send the signature of {header, message}.' } : { ok: true, kid: null, form: 'none' };
  }
  if (typeof value !== 'string') return invalid('The signature must be a string.');
  const jws = DETACHED_JWS.exec(value.trim());
  return jws ? verifyDetachedJws(envelope, jws[1], jws[2], senderKeys.keys) : verifyHttpSignature(envelope, value, senderKeys.keys);
}

async function verifyHttpSignature(envelope: DciEnvelope, value: string, keys: JWK[]): Promise<SignatureCheck> {
  const p = parseSignature(value);
  if (!p) return invalid('The signature is neither the spec\'s signature string (kidId, created, expires, signature) nor a detached JWS.');
  if (p.algorithm !== 'ed25519') return invalid(`The signature algorithm ${p.algorithm} is not supported; use ed25519.`);
  if (p.headers !== SIGNED_HEADERS) return invalid(`The signature must cover headers="${SIGNED_HEADERS}".`);
  const sender = (envelope.header as Record<string, unknown> | undefined)?.sender_id;
  if (typeof sender === 'string' && sender !== p.senderId) return invalid('The kidId of the signature names another sender than header.sender_id.');
  const timing = checkTimes(p.created, p.expires);
  if (timing) return invalid(timing);
  const jwk = keys.find((k) => k.kid === p.kid && k.use !== 'enc');
  if (!jwk) return invalid(`The sender has no key ${p.kid}.`);
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || jwk.d !== undefined) return invalid(`The key ${p.kid} is not an Ed25519 public key.`);
  const data = Buffer.from(signingString(p.created, p.expires, envelopeDigest(envelope.header, envelope.message)), 'utf8');
  let good = false;
  try {
    good = verify(null, data, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }), Buffer.from(p.signature, 'base64'));
  } catch {
    good = false;
  }
  return good ? { ok: true, kid: p.kid, form: 'http-signature' } : invalid('The signature does not match the header and message.');
}

async function verifyDetachedJws(envelope: DciEnvelope, encodedHeader: string, signature: string, keys: JWK[]): Promise<SignatureCheck> {
  const header = protectedHeader(encodedHeader);
  if (!header) return invalid('The JWS protected header is not base64url JSON.');
  if (!header.alg || !JWS_ALGORITHMS.includes(header.alg)) return invalid(`The JWS algorithm must be one of ${JWS_ALGORITHMS.join(', ')}.`);
  if (typeof header.kid !== 'string') return invalid('The JWS protected header must name the key (kid).');
  const timing = checkTimes(numberOr(header.iat, header.nbf), numberOr(header.exp));
  if (timing) return invalid(timing);
  const jwk = keys.find((k) => k.kid === header.kid && k.use !== 'enc');
  if (!jwk) return invalid(`The sender has no key ${header.kid}.`);
  const payload = canonicalJson({ header: envelope.header, message: envelope.message });
  try {
    const key = await importJWK(jwk, header.alg);
    // b64: false (RFC 7797) signs the JSON itself; otherwise its base64url form
    const unencoded = header.b64 === false;
    await flattenedVerify({ protected: encodedHeader, payload: unencoded ? payload : base64url.encode(payload), signature }, key, { algorithms: JWS_ALGORITHMS });
    return { ok: true, kid: header.kid, form: 'detached-jws' };
  } catch {
    return invalid('The detached JWS does not match the header and message, or the key does not fit its algorithm.');
  }
}

/** Why the validity window fails, or undefined when now is inside it. */
function checkTimes(created: number | undefined, expires: number | undefined): string | undefined {
  const now = Math.floor(Date.now() / 1000);
  if (created !== undefined && created > now + CLOCK_SKEW_SECONDS) return 'The signature is not valid yet (created is in the future).';
  if (expires !== undefined && expires < now - CLOCK_SKEW_SECONDS) return 'The signature has expired; sign the message again.';
  if (created !== undefined && expires !== undefined && expires < created) return 'The signature expires before it was created.';
  return undefined;
}

function numberOr(...values: unknown[]): number | undefined {
  return values.find((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

function protectedHeader(encoded: string): (ProtectedHeaderParameters & { iat?: unknown; nbf?: unknown; exp?: unknown }) | undefined {
  try {
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(encoded)));
    return header && typeof header === 'object' && !Array.isArray(header) ? header : undefined;
  } catch {
    return undefined;
  }
}

function invalid(message: string): SignatureCheck {
  return { ok: false, code: 'err.signature.invalid', message };
}
