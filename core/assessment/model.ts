// An assessment model's definition (docs/assessment.md): an intercept plus indicators, each a feature of the household
// with a weight (numbers, yes/no) or a value mapping (answers, lists). Checked here, then compiled into one SQL
// expression per indicator over the features relation, so scoring a million households is one statement.
import type { FieldError } from '../server/errors.js';
import { FEATURES } from './features.js';
import type { SqlParams } from './sql-params.js';

export interface Indicator {
  /** Shown in the breakdown: lower case letters, digits and underscores. */
  name: string;
  /** A feature of features.ts. */
  feature: string;
  /** number and boolean features: contribution = weight × value (yes = 1, no = 0; a missing number counts 0). */
  weight?: number;
  /** text and list features: points per answer (a list sums the points of the items it holds). */
  values?: Record<string, number>;
  /** text features: points when the answer is missing or not in `values` (default 0). */
  default?: number;
}

export interface ModelDefinition {
  intercept: number;
  /** Optional cut-off that rules may read as `threshold` (e.g. `score < threshold`). */
  threshold?: number | null;
  indicators: Indicator[];
}

export const MAX_INDICATORS = 100;
const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Every problem of a definition, with the field it is at (`at` is the path of the definition in the request). */
export function checkDefinition(input: unknown, at = 'body.definition'): FieldError[] {
  const errors: FieldError[] = [];
  const add = (field: string, message: string) => errors.push({ field, message });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return [{ field: at, message: 'must be an object' }];
  const def = input as Record<string, unknown>;
  for (const key of Object.keys(def)) if (!['intercept', 'threshold', 'indicators'].includes(key)) add(`${at}.${key}`, 'is not a field of a model definition');
  if (!finite(def.intercept)) add(`${at}.intercept`, 'must be a number');
  if (def.threshold !== undefined && def.threshold !== null && !finite(def.threshold)) add(`${at}.threshold`, 'must be a number or null');
  if (!Array.isArray(def.indicators)) {
    add(`${at}.indicators`, 'must be a list');
    return errors;
  }
  if (def.indicators.length > MAX_INDICATORS) add(`${at}.indicators`, `may have at most ${MAX_INDICATORS} indicators`);
  const names = new Set<string>();
  def.indicators.forEach((raw, i) => {
    const field = `${at}.indicators[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return add(field, 'must be an object');
    const ind = raw as Record<string, unknown>;
    for (const key of Object.keys(ind)) if (!['name', 'feature', 'weight', 'values', 'default'].includes(key)) add(`${field}.${key}`, 'is not a field of an indicator');
    if (typeof ind.name !== 'string' || !NAME.test(ind.name)) add(`${field}.name`, 'must be lower case letters, digits and _ (starting with a letter)');
    else if (names.has(ind.name)) add(`${field}.name`, `${ind.name} is used twice`);
    else names.add(ind.name);
    const feature = typeof ind.feature === 'string' ? FEATURES.get(ind.feature) : undefined;
    if (!feature) return add(`${field}.feature`, `must be one of: ${[...FEATURES.keys()].join(', ')}`);
    if (feature.type === 'number' || feature.type === 'boolean') {
      if (!finite(ind.weight)) add(`${field}.weight`, `a ${feature.type} feature needs a numeric weight`);
      if (ind.values !== undefined) add(`${field}.values`, `a ${feature.type} feature takes a weight, not values`);
      if (ind.default !== undefined) add(`${field}.default`, `a ${feature.type} feature takes no default`);
      return;
    }
    if (ind.weight !== undefined) add(`${field}.weight`, `a ${feature.type} feature takes values (points per answer), not a weight`);
    if (typeof ind.values !== 'object' || ind.values === null || Array.isArray(ind.values) || Object.keys(ind.values).length === 0) {
      return add(`${field}.values`, 'must map answers to points');
    }
    for (const [answer, points] of Object.entries(ind.values as Record<string, unknown>)) {
      if (!feature.values!.includes(answer)) add(`${field}.values.${answer}`, `is not an answer of ${feature.name} (${feature.values!.join(', ')})`);
      else if (!finite(points)) add(`${field}.values.${answer}`, 'must be a number');
    }
    if (ind.default !== undefined && (feature.type === 'list' || !finite(ind.default))) {
      add(`${field}.default`, feature.type === 'list' ? 'a list feature takes no default (absent items count 0)' : 'must be a number');
    }
  });
  return errors;
}

/** One SQL expression per indicator (its contribution) over the features alias `f`; values are bound in `params`. */
export function compileContributions(def: ModelDefinition, params: SqlParams, f = 'f'): string[] {
  return def.indicators.map((ind) => {
    const feature = FEATURES.get(ind.feature)!;
    const column = `${f}.${feature.name}`;
    switch (feature.type) {
      case 'number':
        return `(${params.add(ind.weight, 'float8')} * coalesce(${column}::float8, 0))`;
      case 'boolean':
        return `(case when ${column} then ${params.add(ind.weight, 'float8')} else 0 end)`;
      case 'text': {
        const whens = Object.entries(ind.values!).map(([answer, points]) => `when ${params.add(answer, 'text')} then ${params.add(points, 'float8')}`);
        return `(case ${column} ${whens.join(' ')} else ${params.add(ind.default ?? 0, 'float8')} end)`;
      }
      case 'list': {
        const terms = Object.entries(ind.values!).map(
          // a list feature is always a JSON array (features.ts): `?` (a string element) is `@> [item]`, 4 times cheaper
          ([item, points]) => `(case when ${column} ? ${params.add(item, 'text')} then ${params.add(points, 'float8')} else 0 end)`,
        );
        return `(${terms.join(' + ')})`;
      }
    }
  });
}

/**
 * The score and its breakdown over a relation `c` whose columns c0..cN are the contributions (see
 * compileContributions): intercept + the sum; the breakdown maps each indicator's name to its contribution.
 */
export function compileScore(def: ModelDefinition, params: SqlParams, c = 'c'): { score: string; breakdown: string } {
  const intercept = params.add(def.intercept, 'float8');
  const terms = def.indicators.map((_, i) => `${c}.c${i}`);
  const score = `(${[intercept, ...terms].join(' + ')})`;
  // jsonb_build_object takes at most 100 arguments: build it in pieces of 40 pairs
  const pieces: string[] = [];
  for (let i = 0; i < def.indicators.length; i += 40) {
    const pairs = def.indicators.slice(i, i + 40).map((ind, j) => `${params.add(ind.name, 'text')}, ${c}.c${i + j}`);
    pieces.push(`jsonb_build_object(${pairs.join(', ')})`);
  }
  return { score, breakdown: pieces.length ? pieces.join(' || ') : `'{}'::jsonb` };
}

/**
 * The score alone as one expression over the features alias `f`: the same sum in the same order as compileScore's,
 * so it equals the stored score to the last bit (simulations need no breakdown).
 */
export function scoreExpression(def: ModelDefinition, params: SqlParams, f = 'f'): string {
  return `(${[params.add(def.intercept, 'float8'), ...compileContributions(def, params, f)].join(' + ')})`;
}

/**
 * A SELECT of (household_id, score, breakdown) for the households the features SQL yields: the model compiled
 * into one set-based statement.
 */
export function scoreSelect(def: ModelDefinition, params: SqlParams, featuresSelect: string): string {
  const contributions = compileContributions(def, params, 'f');
  const { score, breakdown } = compileScore(def, params, 'c');
  const columns = contributions.map((sql, i) => `${sql} as c${i}`);
  return `select c.household_id, ${score} as score, ${breakdown} as breakdown
    from (select f.household_id${columns.length ? ', ' + columns.join(', ') : ''} from (${featuresSelect}) f) c`;
}
