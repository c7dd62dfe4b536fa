// Name vocabularies of a realistic size. A real registry of a million people holds tens of thousands of family names:
// a few shared by many, thousands shared by a few households each. A vocabulary of ~33 names per list makes every
// name block (a name in one birth year and district) grow with the registry, which no real registry does, and turns
// deduplication quadratic. So each list is the tradition's common names (traditions.ts) at the head, drawn evenly,
// plus a long tail of names composed from the tradition's own sounds, drawn with frequencies falling with rank
// (Zipf-like). The tails are fixed (built from a constant seed), so the same generator seed gives the same people.
import { Random } from './random.js';

/** How a tradition's names sound: first syllables, the consonants inside a name, vowels, endings. */
export interface NameSounds {
  initials: readonly string[];
  medials: readonly string[];
  vowels: readonly string[];
  /** Endings of family names, and of given names by sex. */
  familyEndings: readonly string[];
  maleEndings: readonly string[];
  femaleEndings: readonly string[];
}

/** A list of names and how often each is drawn: the head evenly with `headShare`, the tail by rank. */
export interface NamePool {
  head: readonly string[];
  tail: readonly string[];
  headShare: number;
  /** Cumulative weights of the tail (rank r weighs 1 / (r + TAIL_FLATTENING)), the last one 1. */
  tailCumulative: Float64Array;
}

// the tail's first ranks weigh about what one head name weighs, not ten times more
const TAIL_FLATTENING = 30;

/** A pool: `head` (the common names), then `tailSize` composed names that sound like the tradition. */
export function namePool(head: readonly string[], sounds: NameSounds, kind: 'family' | 'male' | 'female', tailSize: number, headShare: number): NamePool {
  const endings = kind === 'family' ? sounds.familyEndings : kind === 'male' ? sounds.maleEndings : sounds.femaleEndings;
  // a constant seed per list: the vocabulary is part of the tradition, not of a generator run
  const rng = new Random(hash(`${kind}:${head[0]}:${tailSize}`));
  const taken = new Set(head.map(fold));
  const tail: string[] = [];
  for (let attempts = 0; tail.length < tailSize && attempts < tailSize * 50; attempts++) {
    const name = compose(rng, sounds, endings);
    const key = fold(name);
    if (key.length < 3 || key.length > 12 || taken.has(key)) continue;
    taken.add(key);
    tail.push(name);
  }
  const cumulative = new Float64Array(tail.length);
  let sum = 0;
  for (let r = 0; r < tail.length; r++) cumulative[r] = sum += 1 / (r + TAIL_FLATTENING);
  for (let r = 0; r < tail.length; r++) cumulative[r] /= sum;
  return { head, tail, headShare: tail.length ? headShare : 1, tailCumulative: cumulative };
}

/** One name from the pool with a single draw of the generator (so the draws after it stay where they were). */
export function drawName(rng: Random, pool: NamePool): string {
  const u = rng.next();
  if (u < pool.headShare) return pool.head[Math.floor((u / pool.headShare) * pool.head.length)];
  const v = (u - pool.headShare) / (1 - pool.headShare);
  // the first rank whose cumulative weight passes v
  let lo = 0;
  let hi = pool.tail.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pool.tailCumulative[mid] > v) hi = mid;
    else lo = mid + 1;
  }
  return pool.tail[lo];
}

/** One to two syllables after the first, then an ending; capitalised. */
function compose(rng: Random, sounds: NameSounds, endings: readonly string[]): string {
  let name = rng.pick(sounds.initials) + rng.pick(sounds.vowels);
  const inner = rng.int(0, 2);
  for (let i = 0; i < inner; i++) name += rng.pick(sounds.medials) + rng.pick(sounds.vowels);
  name += rng.pick(endings);
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function fold(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z]/g, '');
}

/** FNV-1a of a string, a whole number for Random. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
