// Validates a submission against one form definition: the data schema, then the UI layer's rules (required, skip
// logic, choices, constraints). Pure module, no node imports: the server and the field app run the same checks.
import type { FieldError } from '../server/field-error.js'; // type only
import type { FormDefinition, FormField, FormSection, Text } from './definition.js';
import { compile, ExpressionError, isBlank, truthy, type Env } from './expression.js';
import { validateSchema } from './json-schema.js';

export interface ValidateOptions {
  /** Where the data sits in the request, for the error paths (default 'body'). */
  at?: string;
  /**
   * An update's changes: only the answers given are checked (types, choices, and constraints that read only `.`);
   * required answers and skip logic need the whole record and are left out.
   */
  partial?: boolean;
  /** Today (YYYY-MM-DD) for age() and today(); defaults to the current UTC date. */
  today?: string;
  /** The language of constraint messages (default: the form's). */
  language?: string;
}

export function validateWithDefinition(definition: FormDefinition, data: unknown, options: ValidateOptions = {}): FieldError[] {
  const at = options.at ?? 'body';
  const errors = validateSchema(definition.schema, data, at, { partial: options.partial });
  if (typeof data !== 'object' || data === null) return errors;
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const language = options.language && definition.languages.includes(options.language) ? options.language : definition.default_language;
  const choices = definition.choices ?? {};
  const record = data as Record<string, unknown>;
  // a value the schema refused is reported once: its choices and constraints are not checked on top
  const refused = new Set(errors.map((e) => e.field));

  for (const section of definition.ui.sections) {
    for (const { item, path } of itemsOf(section, record, at)) {
      const env: Env = { root: record, current: item, today };
      const sectionAsked = options.partial || !section.relevant || safeTest(section.relevant, env, `${path}`, errors);
      for (const field of section.fields) {
        if (field.type === 'note') continue;
        const fieldPath = `${path}.${field.path}`;
        const value = read(item, field.path);
        const asked = sectionAsked && (options.partial || !field.relevant || safeTest(field.relevant, env, fieldPath, errors));
        if (!asked) {
          if (!isBlank(value)) errors.push({ field: fieldPath, message: 'must be left empty: the question does not apply to this record' });
          continue;
        }
        if (isBlank(value)) {
          if (!options.partial && isRequired(field, env, fieldPath, errors)) errors.push({ field: fieldPath, message: 'is required' });
          continue;
        }
        if (refused.has(fieldPath)) continue;
        checkChoices(field, value, choices[field.choices ?? ''], fieldPath, errors);
        checkConstraint(field, value, env, fieldPath, errors, language, options.partial ?? false);
      }
    }
  }
  return dedupe(errors);
}

/** The items a section is asked for: the record itself, or each member of a repeat group. */
function itemsOf(section: FormSection, record: Record<string, unknown>, at: string): { item: unknown; path: string }[] {
  if (section.repeat !== 'members') return [{ item: record, path: at }];
  const members = Array.isArray(record.members) ? record.members : [];
  return members.map((item, i) => ({ item, path: `${at}.members[${i}]` }));
}

function isRequired(field: FormField, env: Env, path: string, errors: FieldError[]): boolean {
  if (field.required === undefined || field.required === false) return false;
  if (field.required === true) return true;
  return safeTest(field.required, env, path, errors);
}

function checkChoices(field: FormField, value: unknown, list: { value: string }[] | undefined, path: string, errors: FieldError[]): void {
  if (!list) return;
  const allowed = new Set(list.map((c) => c.value));
  if (field.type === 'select_one' && !(typeof value === 'string' && allowed.has(value))) {
    errors.push({ field: path, message: `must be one of ${[...allowed].join(', ')}` });
  }
  if (field.type === 'select_multiple') {
    if (!Array.isArray(value)) return void errors.push({ field: path, message: 'must be a list of choices' });
    value.forEach((v, i) => {
      if (!(typeof v === 'string' && allowed.has(v))) errors.push({ field: `${path}[${i}]`, message: `must be one of ${[...allowed].join(', ')}` });
    });
  }
}

function checkConstraint(field: FormField, value: unknown, env: Env, path: string, errors: FieldError[], language: string, partial: boolean): void {
  if (!field.constraint) return;
  // an update's constraint that reads other answers cannot be judged from the changes alone
  if (partial && compile(field.constraint).references.length > 0) return;
  const holds = safeTest(field.constraint, { ...env, self: value }, path, errors);
  if (!holds) errors.push({ field: path, message: text(field.constraint_message, language) ?? `does not meet the form's rule: ${field.constraint}` });
}

/** Evaluates a condition; an expression that fails at run time (a limit) is an error on the field, never a pass. */
function safeTest(source: string, env: Env, path: string, errors: FieldError[]): boolean {
  try {
    return truthy(compile(source).evaluate(env));
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    errors.push({ field: path, message: `the form's rule cannot be evaluated: it ${err.message}` });
    return false;
  }
}

function read(item: unknown, path: string): unknown {
  let v = item;
  for (const segment of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, segment)) return undefined;
    v = (v as Record<string, unknown>)[segment];
  }
  return v;
}

export function text(t: Text | undefined, language: string): string | undefined {
  return t?.[language] ?? (t ? Object.values(t)[0] : undefined);
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.field}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
