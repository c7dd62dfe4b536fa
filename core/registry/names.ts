// Names as search keys: lower case, accents and marks removed, spaces folded. Done in the application because
// PostgreSQL's unaccent is not on every engine and fuzzystrmatch mishandles UTF-8.

const SPECIAL_LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

export function normaliseName(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  const folded = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (c) => SPECIAL_LETTERS[c])
    .replace(/['’`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return folded || null;
}

/** A LIKE prefix pattern that matches the text literally. */
export function likePrefix(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}
