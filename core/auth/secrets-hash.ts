// Passwords and client secrets are stored only as slow, salted hashes (scrypt, no native module needed).
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 2 ** costLog2(process.env.SRHUB_SECRET_HASH_COST);
const R = 8;
const P = 1;
const KEY_BYTES = 32;

/** log2 of scrypt's N for new hashes: 15 by default; the test suite lowers it (a stored hash keeps its own N). */
function costLog2(value: string | undefined): number {
  if (value === undefined || value === '') return 15;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10 || n > 20) throw new Error(`SRHUB_SECRET_HASH_COST: must be an integer from 10 to 20, not ${value}`);
  return n;
}

function scrypt(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  const memory = 128 * (options.N ?? N) * (options.r ?? R) * 2;
  return new Promise((resolve, reject) =>
    scryptCallback(secret, salt, KEY_BYTES, { ...options, maxmem: memory }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** 'scrypt$N$r$p$salt$hash' (base64url parts). */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A random secret for a client or a one-time password (URL-safe, ~190 bits for clients, ~96 for passwords). */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

// a fixed hash to compare against when the user does not exist, so the answer takes as long either way
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  return (decoy ??= hashSecret(newSecret()));
}
