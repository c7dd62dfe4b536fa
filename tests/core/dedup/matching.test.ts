// The pure parts of matching: normalisation and transliteration, the phonetic code, Jaro–Winkler, and scoring levels.
import { nameTokens, normaliseForMatch, transliterate } from '../../../core/dedup/normalise.js';
import { phoneticCode, phoneticKey } from '../../../core/dedup/phonetic.js';
import { scorePair, type MatchRecord } from '../../../core/dedup/score.js';
import { DEFAULT_SETTINGS, checkSettings } from '../../../core/dedup/settings.js';
import { jaro, jaroWinkler, tokenSimilarity } from '../../../core/dedup/similarity.js';
import { toCyrillic, typo } from './corrupt.js';
import { Random } from '../../../core/seed/random.js';

const record = (overrides: Partial<MatchRecord> = {}): MatchRecord => ({
  tokens: ['amina', 'okelo'],
  birthDate: '1985-04-12',
  sex: 'female',
  areaCode: 'AM-R1-D1',
  phoneIndex: null,
  identifiers: new Map(),
  ...overrides,
});

describe('normalisation', () => {
  test('case, accents, punctuation and word order go', () => {
    expect(normaliseForMatch('Aïssatou', "N'DIAYE")).toBe('aisatu ndiaye');
    expect(normaliseForMatch('Diaye-N', 'Aissatou')).toBe(normaliseForMatch('Aissatou', 'Diaye N'));
    expect(nameTokens('  José  ', 'García-López')).toEqual(['jose', 'garcia', 'lopez']);
  });
  test('Cyrillic and Greek are transliterated; й and ё stay letters of their own', () => {
    expect(transliterate('Иван Петров')).toBe('ivan petrov');
    expect(transliterate('Йосиф')).toBe('yosif');
    expect(transliterate('Щукин')).toBe('shchukin');
    expect(transliterate('Σωκράτης Παπαδόπουλος')).toBe('sokratis papadopoulos');
    expect(normaliseForMatch('Мохамед', 'Хасан')).toBe(normaliseForMatch('Mohamed', 'Khasan'));
  });
  test('common Latin digraphs meet: ou/u, ph/f, kh/h, dj/j, doubled letters', () => {
    expect(nameTokens('Youssouf')).toEqual(nameTokens('Yusuf'));
    expect(nameTokens('Philippe')).toEqual(['filipe']);
    expect(nameTokens('Djibril')).toEqual(nameTokens('Jibril'));
    expect(nameTokens('Khalid')).toEqual(nameTokens('Halid'));
  });
  test('a name of punctuation only has no tokens', () => {
    expect(nameTokens('-- .', null, undefined)).toEqual([]);
  });
});

describe('phonetic code', () => {
  test.each([
    ['mohamed', 'muhamad'],
    ['otieno', 'otyeno'],
    ['wanjiru', 'vanjiru'],
    ['catherine', 'katerine'],
    ['stephen', 'steven'],
  ])('%s and %s share a code', (a, b) => {
    expect(phoneticCode(a)).toBe(phoneticCode(b));
  });
  test('different names differ', () => {
    expect(phoneticCode('amina')).not.toBe(phoneticCode('fatou'));
    expect(phoneticCode('kamau')).not.toBe(phoneticCode('mwangi'));
  });
  test('the key is order-free and the code at most six characters', () => {
    expect(phoneticKey(['diop', 'awa'])).toBe(phoneticKey(['awa', 'diop']));
    expect(phoneticCode('constantinopolitanus').length).toBeLessThanOrEqual(6);
    expect(phoneticCode('')).toBe('');
  });
});

describe('Jaro–Winkler', () => {
  test('the textbook values', () => {
    expect(jaro('martha', 'marhta')).toBeCloseTo(0.9444, 4);
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.9611, 4);
    expect(jaroWinkler('dixon', 'dicksonx')).toBeCloseTo(0.8133, 4);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    expect(jaroWinkler('same', 'same')).toBe(1);
  });
  test('token similarity ignores order', () => {
    expect(tokenSimilarity(['awa', 'diop'], ['diop', 'awa'])).toBe(1);
    expect(tokenSimilarity(['awa', 'diop'], ['diop', 'ava'])).toBeGreaterThan(0.85);
    expect(tokenSimilarity([], ['x'])).toBe(0);
  });
});

describe('scoring', () => {
  test('the same person with a typo is a match; a namesake with another birth date is not', () => {
    const typoed = scorePair(record(), record({ tokens: ['amina', 'okelo'.replace('k', 'kk').replace('kk', 'c')] }), DEFAULT_SETTINGS);
    expect(scorePair(record(), record(), DEFAULT_SETTINGS).decision).toBe('match');
    expect(typoed.decision).not.toBe('distinct');
    const namesake = scorePair(record(), record({ birthDate: '1962-11-30' }), DEFAULT_SETTINGS);
    expect(namesake.decision).toBe('distinct');
    expect(namesake.reasons).toContain('birth_date:different');
  });
  test('swapped names agree exactly and say so', () => {
    const s = scorePair(record(), record({ tokens: ['okelo', 'amina'] }), DEFAULT_SETTINGS);
    expect(s.reasons).toEqual(expect.arrayContaining(['name:exact', 'name:order_differs']));
    expect(s.decision).toBe('match');
  });
  test('a different identifier of the same type weighs against; the same one decides', () => {
    const ids = (v: string) => new Map([['UIN', [v]]]);
    const differ = scorePair(record({ identifiers: ids('x') }), record({ identifiers: ids('y') }), DEFAULT_SETTINGS);
    const same = scorePair(record({ identifiers: ids('x') }), record({ identifiers: ids('x') }), DEFAULT_SETTINGS);
    expect(differ.score).toBeLessThan(scorePair(record(), record(), DEFAULT_SETTINGS).score);
    expect(differ.reasons).toContain('identifier.UIN:disagree');
    expect(same.score - differ.score).toBeGreaterThan(20);
  });
  test('a missing field adds nothing; an estimated date agrees like a year', () => {
    const without = scorePair(record(), record({ birthDate: null }), DEFAULT_SETTINGS);
    expect(without.reasons.some((r) => r.startsWith('birth_date'))).toBe(false);
    const estimated = scorePair(record({ birthDate: '1985-01-01', birthDateEstimated: true }), record({ birthDate: '1985-01-01' }), DEFAULT_SETTINGS);
    expect(estimated.reasons).toContain('birth_date:same_year');
  });
  test('day and month swapped is a close birth date', () => {
    expect(scorePair(record(), record({ birthDate: '1985-12-04' }), DEFAULT_SETTINGS).reasons).toContain('birth_date:close');
  });
  test('settings are checked: probabilities, threshold order', () => {
    const bad = structuredClone(DEFAULT_SETTINGS);
    bad.levels.name.exact.m = 1;
    bad.thresholds.match = bad.thresholds.possible_match;
    expect(checkSettings(bad).map((e) => e.field)).toEqual(['body.levels.name.exact.m', 'body.thresholds.match']);
    expect(checkSettings(DEFAULT_SETTINGS)).toEqual([]);
  });
});

describe('the test generator', () => {
  test('renders Latin names in Cyrillic that transliterate back close to the original', () => {
    expect(toCyrillic('Wanjiru')).toBe('Ванджиру');
    expect(tokenSimilarity(nameTokens(toCyrillic('Khadija')), nameTokens('Khadija'))).toBe(1);
    const rng = new Random(1);
    expect(typo(rng, 'Mwangi')).not.toBe('Mwangi');
  });
});
