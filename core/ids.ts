// Identifiers the hub makes: time-ordered UUIDs for rows, check-digit registry IDs for people.
import { randomFillSync, randomInt } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

// random bytes drawn from a pool refilled 4 KiB at a time: randomBytes(16) per id was a getrandom system call per row,
// a measurable share of bulk registration's CPU (docs/benchmarks.md); each byte is still used once
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
function randomCopy(size: number): Buffer {
  if (poolOffset + size > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += size;
  return Buffer.from(pool.subarray(poolOffset - size, poolOffset));
}

/**
 * A UUIDv7 (RFC 9562): ordered by creation time, so new rows land at the end of their index. Within one
 * millisecond a 12-bit counter keeps the ids of this process in creation order (RFC 9562 method 1).
 */
export function uuidv7(): string {
  let now = Date.now();
  if (now <= lastMs) {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMs += 1; // borrow the next millisecond rather than go backwards
      sequence = 0;
    }
    now = lastMs;
  } else {
    sequence = randomCopy(1)[0]; // a random start, leaving room to count up
  }
  lastMs = now;
  const bytes = randomCopy(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A registry ID: 10 random digits and a Luhn check digit, so a mistyped ID is caught at the counter. */
export function newRegistryId(): string {
  let digits = '';
  for (let i = 0; i < 10; i++) digits += randomInt(10);
  return digits + luhnCheckDigit(digits);
}

export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidRegistryId(id: string): boolean {
  return /^\d{11}$/.test(id) && luhnCheckDigit(id.slice(0, 10)) === Number(id[10]);
}
