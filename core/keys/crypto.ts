// Application-level encryption (AES-256-GCM) and keyed blind indexes (HMAC-SHA-256), with keys derived from the
// master key per purpose (HKDF), so one purpose's key never serves another.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export type KeyPurpose = 'key-store' | 'identifier-encryption' | 'blind-index' | 'backup';

export function deriveKey(masterKey: Buffer, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `srhub/${purpose}/v1`, 32));
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 1;

// IVs are cut from a block of random bytes drawn at once: one randomBytes call per value cost about as much as the AES-GCM itself
// (bulk registration seals thousands per batch). Every IV is still 96 fresh random bits, none handed out twice.
const IV_POOL_BYTES = IV_BYTES * 1024;
let ivPool = Buffer.alloc(0);
let ivNext = 0;
function nextIv(): Buffer {
  if (ivNext + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_POOL_BYTES);
    ivNext = 0;
  }
  ivNext += IV_BYTES;
  return ivPool.subarray(ivNext - IV_BYTES, ivNext);
}

/** version (1 byte) | iv (12) | tag (16) | ciphertext, base64. `context` binds the value to where it belongs. */
export function encrypt(key: Buffer, plaintext: string | Buffer, context = ''): string {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]).toString('base64');
}

export function decrypt(key: Buffer, sealed: string, context = ''): Buffer {
  const raw = Buffer.from(sealed, 'base64');
  if (raw[0] !== VERSION) throw new Error('unknown ciphertext version');
  const iv = raw.subarray(1, 1 + IV_BYTES);
  const tag = raw.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
}

export function decryptText(key: Buffer, sealed: string, context = ''): string {
  return decrypt(key, sealed, context).toString('utf8');
}

/** A keyed hash for exact-match lookups of encrypted values; the same input always gives the same index. */
export function blindIndex(key: Buffer, ...parts: string[]): string {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(`${part.length}:${part}`);
  return hmac.digest('base64url');
}
