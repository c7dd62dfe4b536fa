// Names as match tokens: transliterated to Latin where that is simple, folded like the registry's search keys
// (core/registry/names.ts: lower case, accents and punctuation removed), split into words. Done in the
// application: unaccent is not on every engine and fuzzystrmatch mishandles UTF-8.
import { normaliseName } from '../registry/names.js';

// Cyrillic (Russian/Ukrainian, BGN-like) and Greek, letter by letter; enough to meet the Latin spelling of a name
// half way, and the phonetic code (phonetic.ts) absorbs the rest (ks/x, y/i, ...).
const CYRILLIC: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', ґ: 'g', д: 'd', е: 'e', ё: 'e', є: 'ye', ж: 'zh', з: 'z', и: 'i', і: 'i', ї: 'yi',
  й: 'y', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts',
  ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya', ў: 'u',
};
const GREEK: Record<string, string> = {
  α: 'a', β: 'v', γ: 'g', δ: 'd', ε: 'e', ζ: 'z', η: 'i', θ: 'th', ι: 'i', κ: 'k', λ: 'l', μ: 'm', ν: 'n', ξ: 'x',
  ο: 'o', π: 'p', ρ: 'r', σ: 's', ς: 's', τ: 't', υ: 'y', φ: 'f', χ: 'ch', ψ: 'ps', ω: 'o',
};
// Greek digraphs read as one sound
const GREEK_DIGRAPHS: [RegExp, string][] = [[/ου/g, 'ou'], [/αι/g, 'ai'], [/ει/g, 'ei'], [/οι/g, 'oi'], [/μπ/g, 'b'], [/ντ/g, 'd'], [/γκ/g, 'g']];

/** Cyrillic and Greek letters to Latin; other scripts are left as they are (they then match only themselves). */
export function transliterate(text: string): string {
  // letters first, on composed text: й and ё are letters of their own, not и and е with a mark
  let out = text.normalize('NFC').toLowerCase();
  if (/[\u0370-\u03ff]/.test(out)) out = out.normalize('NFKD').replace(/\p{M}/gu, '');
  if (/[\u0370-\u03ff]/.test(out)) for (const [from, to] of GREEK_DIGRAPHS) out = out.replace(from, to);
  out = out.replace(/[\u0370-\u03ff\u0400-\u04ff]/g, (c) => CYRILLIC[c] ?? GREEK[c] ?? c);
  return out.normalize('NFKD').replace(/\p{M}/gu, '');
}

// Latin spellings of one sound, so 'Mohammed'/'Muhamad' or 'Yusuf'/'Youssef' meet before the phonetic code:
// only rewrites that hold for names across the traditions the registry sees; each applies inside a word.
const LATIN_DIGRAPHS: [RegExp, string][] = [
  [/ou/g, 'u'], [/ph/g, 'f'], [/dj/g, 'j'], [/dzh/g, 'j'], [/zh/g, 'j'], [/kh/g, 'h'], [/ck/g, 'k'], [/([a-z])\1+/g, '$1'],
];

/** A name's match tokens: transliterated, folded, Latin spellings unified, split into words; [] when nothing is left. */
export function nameTokens(...parts: (string | null | undefined)[]): string[] {
  const tokens: string[] = [];
  for (const part of parts) {
    const folded = normaliseName(part ? transliterate(part) : part);
    if (!folded) continue;
    for (const word of folded.split(' ')) {
      let token = word;
      for (const [from, to] of LATIN_DIGRAPHS) token = token.replace(from, to);
      if (token) tokens.push(token);
    }
  }
  return tokens;
}

/** The name as one comparable string: tokens sorted, so 'Diop Awa' and 'Awa Diop' are equal. */
export function normaliseForMatch(...parts: (string | null | undefined)[]): string {
  return nameTokens(...parts).sort().join(' ');
}
