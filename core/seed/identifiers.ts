// Identifier numbers for synthetic people, unique by construction so generating needs no lookups.
// The seed picks one of 1,000 blocks of 10^7 numbers and a counter walks the block; a keyed permutation of
// [0, 10^10) then scrambles the number so it looks random but can never repeat.
// Limitation: seeds equal modulo 1,000 (e.g. 7 and 1007, or the same seed twice) share a block and collide;
// seedPersons refuses such a seed on a database that already used the block.
import { luhnCheckDigit } from '../ids.js';

export const ID_BLOCKS = 1000;
export const IDS_PER_BLOCK = 10_000_000;
const HALF = 100_000; // the permutation works on two 5-digit halves

// fixed for ever: changing them would break uniqueness against data seeded before the change
const UIN_KEYS = [0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c];
const BRN_KEYS = [0x1f83d9ab, 0x5be0cd19, 0x6a09e667, 0xbb67ae85];
const SRID_KEYS = [0xcbbb9d5d, 0x629a292a, 0x9159015a, 0x152fecd8];

export function idBlock(seed: number): number {
  return ((seed % ID_BLOCKS) + ID_BLOCKS) % ID_BLOCKS;
}

/** A balanced Feistel network on decimal halves: a bijection of [0, 10^10), whatever the round function. */
export function permute(n: number, keys: readonly number[]): number {
  let left = Math.floor(n / HALF);
  let right = n % HALF;
  for (const key of keys) {
    [left, right] = [right, (left + round(right, key)) % HALF];
  }
  return left * HALF + right;
}

function round(half: number, key: number): number {
  let z = Math.imul(half ^ key, 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return ((z ^ (z >>> 16)) >>> 0) % HALF;
}

const tenDigits = (n: number) => String(n).padStart(10, '0');

/** Hands out the UINs and birth registration numbers of one generator run. */
export class IdentifierSequence {
  private readonly base: number;
  private uins = 0;
  private brns = 0;
  private srids = 0;

  constructor(seed: number) {
    this.base = idBlock(seed) * IDS_PER_BLOCK;
  }

  /** The first UIN a run with this seed hands out: present in a registry once the seed (block) was used. */
  static firstUin(seed: number): string {
    return new IdentifierSequence(seed).nextUin();
  }

  nextUin(): string {
    return tenDigits(permute(this.base + this.take('uins'), UIN_KEYS));
  }

  /** District, year of registration and a unique number, as a civil registry might write it. */
  nextBrn(areaCode: string, year: number): string {
    return `${areaCode}/${year}/${tenDigits(permute(this.base + this.take('brns'), BRN_KEYS))}`;
  }

  /**
   * A registry ID (the hub's own type: 10 digits and a Luhn check digit, as ids.ts issues them) for the fast seeder's
   * people without an identifier: unique within the seed's block like the others, so seeding needs no random draws.
   */
  nextRegistryId(): string {
    const digits = tenDigits(permute(this.base + this.take('srids'), SRID_KEYS));
    return digits + luhnCheckDigit(digits);
  }

  private take(counter: 'uins' | 'brns' | 'srids'): number {
    const n = this[counter];
    if (n >= IDS_PER_BLOCK) {
      throw new RangeError(`a seed run can hand out ${IDS_PER_BLOCK} identifiers of a type; generate fewer persons per run`);
    }
    this[counter] = n + 1;
    return n;
  }
}
