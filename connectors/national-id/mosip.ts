// MOSIP-style ID Authentication (IDA): demographic authentication (ID number + name + birth date -> yes/no) and
// eKYC (the same, answered with identity attributes the partner may receive). The inner request is encrypted as
// IDA expects: AES-256-GCM under a fresh session key, the key wrapped with the IDA's RSA public key (OAEP, SHA-256),
// and an HMAC (SHA-256 of the request, encrypted the same way) binding the two. The simulator holds the private key.
import { constants, createCipheriv, createDecipheriv, createHash, createPublicKey, privateDecrypt, publicEncrypt, randomBytes, randomInt } from 'node:crypto';

export const AUTH_ID = 'mosip.identity.auth';
export const KYC_ID = 'mosip.identity.kyc';

export interface Demographics {
  name: string;
  /** YYYY-MM-DD */
  birth_date: string;
  sex?: string;
}

export interface IdaRequest {
  id: typeof AUTH_ID | typeof KYC_ID;
  version: '1.0';
  specVersion: '1.0';
  individualId: string;
  individualIdType: string;
  transactionID: string;
  requestTime: string;
  consentObtained: boolean;
  requestedAuth: { demo: boolean; otp: boolean; bio: boolean };
  thumbprint: string;
  requestSessionKey: string;
  requestHMAC: string;
  request: string;
  /** eKYC only: the attributes asked for (only those the person's consent allows). */
  allowedKycAttributes?: string[];
}

export interface IdaResponse {
  id: string;
  version: string;
  responseTime: string;
  transactionID: string;
  response: { authStatus?: boolean; kycStatus?: boolean; authToken?: string; identity?: Record<string, unknown> } | null;
  errors: { errorCode: string; errorMessage: string; actionMessage?: string }[] | null;
}

/** The inner request: MOSIP's demographic identity shape (names per language, dob as YYYY/MM/DD). */
export function innerRequest(d: Demographics, at: string): object {
  return {
    timestamp: at,
    demographics: {
      name: [{ language: 'eng', value: d.name }],
      dob: d.birth_date.replace(/-/g, '/'),
      ...(d.sex ? { gender: [{ language: 'eng', value: d.sex[0].toUpperCase() + d.sex.slice(1) }] } : {}),
    },
  };
}

/** A 10-digit transaction id, as IDA wants. */
export const transactionId = () => String(randomInt(1_000_000_000, 9_999_999_999));

export function buildIdaRequest(
  idaPublicKeyPem: string,
  subject: { idValue: string; idType: string; demographics: Demographics },
  options: { kycAttributes?: string[] } = {},
): IdaRequest {
  const requestTime = new Date().toISOString();
  const inner = JSON.stringify(innerRequest(subject.demographics, requestTime));
  const sessionKey = randomBytes(32);
  const publicKey = createPublicKey(idaPublicKeyPem);
  return {
    id: options.kycAttributes ? KYC_ID : AUTH_ID,
    version: '1.0',
    specVersion: '1.0',
    individualId: subject.idValue,
    individualIdType: subject.idType,
    transactionID: transactionId(),
    requestTime,
    consentObtained: true,
    requestedAuth: { demo: true, otp: false, bio: false },
    thumbprint: createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url'),
    requestSessionKey: publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, sessionKey).toString('base64url'),
    requestHMAC: encrypt(sessionKey, createHash('sha256').update(inner).digest('hex').toUpperCase()),
    request: encrypt(sessionKey, inner),
    ...(options.kycAttributes ? { allowedKycAttributes: options.kycAttributes } : {}),
  };
}

/** The IDA side: opens the request with its private key; throws when the HMAC does not bind key and request. */
export function openIdaRequest(privateKeyPem: string, body: IdaRequest): { demographics: { name?: { value: string }[]; dob?: string; gender?: { value: string }[] } } {
  const sessionKey = privateDecrypt({ key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(body.requestSessionKey, 'base64url'));
  const inner = decrypt(sessionKey, body.request);
  const hmac = decrypt(sessionKey, body.requestHMAC);
  if (hmac !== createHash('sha256').update(inner).digest('hex').toUpperCase()) throw new Error('requestHMAC does not match the request');
  return JSON.parse(inner);
}

// ciphertext || tag || nonce, base64url (IDA appends the nonce to the cipher text)
function encrypt(key: Buffer, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([data, cipher.getAuthTag(), iv]).toString('base64url');
}

function decrypt(key: Buffer, encoded: string): string {
  const all = Buffer.from(encoded, 'base64url');
  const iv = all.subarray(all.length - 12);
  const tag = all.subarray(all.length - 28, all.length - 12);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(all.subarray(0, all.length - 28)), decipher.final()]).toString('utf8');
}

export type Outcome =
  | { result: 'match'; matched: string[]; reference?: string; identity?: Record<string, unknown> }
  | { result: 'mismatch'; matched: string[]; mismatched: string[]; reference?: string }
  | { result: 'not_found'; reference?: string }
  | { result: 'error'; error: string; reference?: string };

// IDA error codes: the ID is not known (or not active) / the demographic data did not match
const NOT_FOUND_CODES = new Set(['IDA-MLC-002', 'IDA-MLC-018', 'IDA-MLC-015']);
const MISMATCH_CODE = 'IDA-DEA-001';
const ATTRIBUTE_FIELDS: Record<string, string> = { name: 'name', dob: 'birth_date', gender: 'sex' };

/** What an IDA answer says about the identity; `sent` are the fields the request carried. */
export function readIdaResponse(body: IdaResponse, sent: string[]): Outcome {
  const reference = typeof body?.transactionID === 'string' ? body.transactionID : undefined;
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  const status = body?.response?.authStatus ?? body?.response?.kycStatus;
  if (status === true && errors.length === 0) {
    const identity = body.response?.identity;
    return { result: 'match', matched: sent, reference, ...(identity && typeof identity === 'object' ? { identity } : {}) };
  }
  if (errors.some((e) => NOT_FOUND_CODES.has(e.errorCode))) return { result: 'not_found', reference };
  const mismatches = errors.filter((e) => e.errorCode === MISMATCH_CODE);
  if (status === false && mismatches.length) {
    const mismatched = [...new Set(mismatches.map((e) => ATTRIBUTE_FIELDS[/data (\w+) did not match/.exec(e.errorMessage ?? '')?.[1] ?? ''] ?? 'demographics'))];
    return { result: 'mismatch', matched: sent.filter((f) => !mismatched.includes(f)), mismatched, reference };
  }
  const code = errors[0]?.errorCode;
  return { result: 'error', error: code && /^[A-Za-z0-9_.:-]{1,60}$/.test(code) ? code : 'unexpected_answer', reference };
}
