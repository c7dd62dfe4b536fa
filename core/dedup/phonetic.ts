// A phonetic code for one name token (already transliterated and folded by normalise.ts): a simplified Metaphone
// that keeps the first letter's sound and the consonant skeleton. Simpler than Double Metaphone, and tuned for the
// registry's names rather than English: 'Mohamed'/'Muhammad', 'Otieno'/'Otyeno', 'Kouassi'/'Kuasi' share a code.
// Written here because fuzzystrmatch (dmetaphone) is not on every engine and mishandles UTF-8.

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);

// rewrites before the letter walk, in order (each inside the token)
const REWRITES: [RegExp, string][] = [
  [/[^a-z]/g, ''],
  [/^[kgp]n/, 'n'],
  [/^wr/, 'r'],
  [/^ps/, 's'],
  [/^x/, 's'],
  [/x/g, 'ks'],
  [/^wh/, 'w'],
  // no w in Cyrillic (в) and many languages read it v: one sound
  [/w/g, 'v'],
  [/tch/g, 'ch'],
  [/sch/g, 'sh'],
  [/ch/g, 'x'],
  [/sh/g, 'x'],
  [/th/g, 't'],
  [/ph/g, 'f'],
  [/gh/g, 'h'],
  [/dg(?=[eiy])/g, 'j'],
  [/c(?=[eiy])/g, 's'],
  [/c/g, 'k'],
  [/q/g, 'k'],
  [/z/g, 's'],
  [/v/g, 'f'],
  [/dj|dz/g, 'j'],
  [/g(?=[eiy])/g, 'j'],
  [/d$/g, 't'],
];

/** The phonetic code of one token: its first sound (a vowel as 'A'), then consonants, repeats collapsed; at most 6. */
export function phoneticCode(token: string): string {
  let s = token.toLowerCase();
  for (const [from, to] of REWRITES) s = s.replace(from, to);
  if (!s) return '';
  let code = VOWELS.has(s[0]) ? 'A' : s[0].toUpperCase();
  let previous = s[0];
  for (let i = 1; i < s.length && code.length < 6; i++) {
    const c = s[i];
    if (VOWELS.has(c)) {
      previous = c;
      continue;
    }
    // h sounds only before a vowel
    if (c === 'h' && !VOWELS.has(s[i + 1] ?? '')) continue;
    if (c === previous) continue;
    // 'd' and 't', 'b' and 'p' are confused across languages: one code each
    const sound = c === 'd' ? 't' : c === 'b' ? 'p' : c;
    if (code.endsWith(sound.toUpperCase())) {
      previous = c;
      continue;
    }
    code += sound.toUpperCase();
    previous = c;
  }
  return code;
}

/** The phonetic key of a name's tokens: each token's code, sorted, joined by one space (order-independent). */
export function phoneticKey(tokens: string[]): string {
  return tokens.map(phoneticCode).filter(Boolean).sort().join(' ');
}
