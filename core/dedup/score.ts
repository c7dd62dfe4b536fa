// Scoring a pair of records Fellegi–Sunter style: each field's comparison level adds log2(m/u) (settings.ts); a
// field missing on either side adds nothing. The reasons name the level of each field compared (no values).
import type { MatchDecision } from './index.js';
import type { DedupSettings, Level } from './settings.js';
import { tokenSimilarity } from './similarity.js';

/** What scoring compares: derived values only (tokens, blind indexes), so no personal data need be opened. */
export interface MatchRecord {
  /** Name tokens (normalise.ts nameTokens: given, family and other names). */
  tokens: string[];
  birthDate: string | null;
  /** An estimated date (1 January, 1 July): agreeing on it says no more than agreeing on the year. */
  birthDateEstimated?: boolean;
  sex: string | null;
  areaCode: string | null;
  phoneIndex: string | null;
  /** Identifier type -> blind indexes of the values (a merged record may hold two of a type). */
  identifiers: Map<string, string[]>;
}

export interface Score {
  score: number;
  decision: MatchDecision | 'distinct';
  reasons: string[];
}

const weight = (l: Level) => Math.log2(l.m / l.u);

export function scorePair(a: MatchRecord, b: MatchRecord, settings: DedupSettings): Score {
  const { levels } = settings;
  let score = 0;
  const reasons: string[] = [];
  const add = (field: string, name: string, l: Level) => {
    score += weight(l);
    reasons.push(`${field}:${name}`);
  };

  const name = nameLevel(a.tokens, b.tokens);
  if (name) add('name', name.level, levels.name[name.level]);
  if (name?.swapped) reasons.push('name:order_differs');

  if (a.birthDate && b.birthDate) {
    let l = birthDateLevel(a.birthDate, b.birthDate);
    if ((a.birthDateEstimated || b.birthDateEstimated) && (l === 'exact' || l === 'close')) l = 'same_year';
    add('birth_date', l, levels.birth_date[l]);
  }
  if (known(a.sex) && known(b.sex)) add('sex', a.sex === b.sex ? 'agree' : 'disagree', a.sex === b.sex ? levels.sex.agree : levels.sex.disagree);
  if (a.areaCode && b.areaCode) {
    const agree = sameArea(a.areaCode, b.areaCode);
    add('area', agree ? 'agree' : 'disagree', agree ? levels.area.agree : levels.area.disagree);
  }
  if (a.phoneIndex && b.phoneIndex) {
    const agree = a.phoneIndex === b.phoneIndex;
    add('phone', agree ? 'agree' : 'disagree', agree ? levels.phone.agree : levels.phone.disagree);
  }
  for (const [type, indexes] of a.identifiers) {
    const other = b.identifiers.get(type);
    if (other === undefined) continue;
    const agree = indexes.some((i) => other.includes(i));
    add(`identifier.${type}`, agree ? 'agree' : 'disagree', agree ? levels.identifier.agree : levels.identifier.disagree);
  }

  score = Math.round(score * 100) / 100;
  const decision = score >= settings.thresholds.match ? 'match' : score >= settings.thresholds.possible_match ? 'possible_match' : 'distinct';
  return { score, decision, reasons };
}

const known = (sex: string | null): sex is string => sex === 'male' || sex === 'female';

/** The same area, or one inside the other (area codes nest: AM-R1 holds AM-R1-D2). */
function sameArea(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}-`) || b.startsWith(`${a}-`);
}

type NameLevel = 'exact' | 'close' | 'similar' | 'different';

function nameLevel(a: string[], b: string[]): { level: NameLevel; swapped: boolean } | undefined {
  if (!a.length || !b.length) return undefined;
  const sortedA = [...a].sort().join(' ');
  const sortedB = [...b].sort().join(' ');
  const swapped = sortedA === sortedB && a.join(' ') !== b.join(' ');
  if (sortedA === sortedB) return { level: 'exact', swapped };
  const s = tokenSimilarity(a, b);
  // one name a subset of the other (an other name given once only): exact when at least two tokens agree
  if (s === 1) return { level: Math.min(a.length, b.length) >= 2 ? 'exact' : 'close', swapped: false };
  return { level: s >= 0.93 ? 'close' : s >= 0.85 ? 'similar' : 'different', swapped: false };
}

function birthDateLevel(a: string, b: string): 'exact' | 'close' | 'same_year' | 'within_one_year' | 'different' {
  if (a === b) return 'exact';
  const [ya, ma, da] = a.split('-');
  const [yb, mb, db] = b.split('-');
  const differing = [ya !== yb, ma !== mb, da !== db].filter(Boolean).length;
  // a typo touches one part; day and month swapped is the other common slip
  if (differing === 1 || (ya === yb && ma === db && da === mb)) return 'close';
  if (ya === yb) return 'same_year';
  return Math.abs(Number(ya) - Number(yb)) <= 1 ? 'within_one_year' : 'different';
}
