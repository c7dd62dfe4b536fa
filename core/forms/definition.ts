// What a form definition is (a JSON Schema of the data plus a UI layer) and the checks a definition must pass before
// it is saved or published. Pure module: the field app can check a definition it received the same way.
import type { FieldError } from '../server/field-error.js'; // type only
import { compile, ExpressionError } from './expression.js';
import { checkSchema, isObject, schemaAt, type JsonSchema } from './json-schema.js';

/** A text in several languages: {en: 'Roof', fr: 'Toit'}. */
export type Text = Record<string, string>;

export const FIELD_TYPES = ['text', 'integer', 'decimal', 'date', 'boolean', 'select_one', 'select_multiple', 'geopoint', 'attachment', 'note'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FormField {
  /** Where the answer goes: a dotted path in the record, or in the member for a repeat section (person.birth_date). */
  path: string;
  type: FieldType;
  label: Text;
  hint?: Text;
  /** For select_one / select_multiple: the name of a list in `choices`. */
  choices?: string;
  /** true, or an expression: required when it holds. */
  required?: boolean | string;
  /** Skip logic: the question is asked only when this expression holds. */
  relevant?: string;
  /** Checked on the answer (`.`) when the question is asked and answered. */
  constraint?: string;
  constraint_message?: Text;
}

export interface FormSection {
  id: string;
  title: Text;
  /** A repeat group: the section is asked once per item of this array (only `members`). */
  repeat?: 'members';
  relevant?: string;
  fields: FormField[];
}

export interface Choice {
  value: string;
  label: Text;
}

export interface FormDefinition {
  languages: string[];
  default_language: string;
  /** JSON Schema (the supported subset, json-schema.ts) of the data: a household with its members. */
  schema: JsonSchema;
  ui: { sections: FormSection[] };
  choices?: Record<string, Choice[]>;
}

export const DEFINITION_LIMITS = { sections: 100, fieldsPerSection: 300, choices: 100, choicesPerList: 500, languages: 20 } as const;
const ID = /^[a-z][a-z0-9_]{0,63}$/;
const PATH = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/;
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;

/** Every problem of a definition, with paths from `at` (e.g. body.definition.ui.sections[2].fields[0].relevant). */
export function checkDefinition(def: unknown, at = 'definition'): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });
  if (!isObject(def)) return [{ field: at, message: 'must be an object' }];
  const languages = Array.isArray(def.languages) ? (def.languages as unknown[]) : [];
  if (languages.length === 0 || languages.length > DEFINITION_LIMITS.languages || !languages.every((l) => typeof l === 'string' && LANGUAGE.test(l))) {
    fail(`${at}.languages`, `must list 1 to ${DEFINITION_LIMITS.languages} language codes (en, fr, pt-BR, ...)`);
  }
  if (typeof def.default_language !== 'string' || !languages.includes(def.default_language)) fail(`${at}.default_language`, 'must be one of the languages');
  const langs = languages.filter((l): l is string => typeof l === 'string');
  const checkText = (text: unknown, path: string, optional = false) => {
    if (text === undefined && optional) return;
    if (!isObject(text)) return fail(path, 'must be an object of texts by language');
    const missing = langs.filter((l) => typeof text[l] !== 'string' || text[l] === '');
    if (missing.length) fail(path, `needs a text in ${missing.join(', ')}`);
    const extra = Object.keys(text).filter((l) => !langs.includes(l));
    if (extra.length) fail(path, `has texts in languages the form does not list: ${extra.join(', ')}`);
  };

  errors.push(...checkSchema(def.schema, `${at}.schema`));
  const schema = def.schema;

  const choices = isObject(def.choices) ? def.choices : {};
  if (def.choices !== undefined && !isObject(def.choices)) fail(`${at}.choices`, 'must be an object of lists');
  if (Object.keys(choices).length > DEFINITION_LIMITS.choices) fail(`${at}.choices`, `must have at most ${DEFINITION_LIMITS.choices} lists`);
  for (const [name, list] of Object.entries(choices)) {
    const where = `${at}.choices.${name}`;
    if (!ID.test(name)) fail(where, 'is not a valid list name (a-z, 0-9, _)');
    if (!Array.isArray(list) || list.length === 0 || list.length > DEFINITION_LIMITS.choicesPerList) {
      fail(where, `must be a list of 1 to ${DEFINITION_LIMITS.choicesPerList} choices`);
      continue;
    }
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (!isObject(c) || typeof c.value !== 'string' || c.value === '') return fail(`${where}[${i}].value`, 'must be a non-empty string');
      if (seen.has(c.value)) fail(`${where}[${i}].value`, `repeats ${c.value}`);
      seen.add(c.value);
      checkText(c.label, `${where}[${i}].label`);
    });
  }

  const ui = isObject(def.ui) ? def.ui : undefined;
  const sections = ui && Array.isArray(ui.sections) ? (ui.sections as unknown[]) : undefined;
  if (!sections || sections.length === 0 || sections.length > DEFINITION_LIMITS.sections) {
    fail(`${at}.ui.sections`, `must be a list of 1 to ${DEFINITION_LIMITS.sections} sections`);
    return errors;
  }
  const sectionIds = new Set<string>();
  const fieldPaths = new Set<string>();
  sections.forEach((section, s) => {
    const where = `${at}.ui.sections[${s}]`;
    if (!isObject(section)) return fail(where, 'must be an object');
    if (typeof section.id !== 'string' || !ID.test(section.id)) fail(`${where}.id`, 'must be an id (a-z, 0-9, _)');
    else if (sectionIds.has(section.id)) fail(`${where}.id`, `repeats ${section.id}`);
    else sectionIds.add(section.id);
    checkText(section.title, `${where}.title`);
    if (section.repeat !== undefined && section.repeat !== 'members') fail(`${where}.repeat`, 'can only be members');
    const base = section.repeat === 'members' ? ['members', '[]'] : [];
    if (section.repeat === 'members' && !schemaAt(schema, ['members', '[]'])) fail(`${where}.repeat`, 'needs schema.properties.members.items');
    checkExpression(section.relevant, `${where}.relevant`, errors);
    const fields = Array.isArray(section.fields) ? (section.fields as unknown[]) : undefined;
    if (!fields || fields.length === 0 || fields.length > DEFINITION_LIMITS.fieldsPerSection) {
      return fail(`${where}.fields`, `must be a list of 1 to ${DEFINITION_LIMITS.fieldsPerSection} fields`);
    }
    fields.forEach((field, f) => {
      const fw = `${where}.fields[${f}]`;
      if (!isObject(field)) return fail(fw, 'must be an object');
      if (typeof field.type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(field.type)) {
        fail(`${fw}.type`, `must be one of ${FIELD_TYPES.join(', ')}`);
      }
      checkText(field.label, `${fw}.label`);
      checkText(field.hint, `${fw}.hint`, true);
      checkText(field.constraint_message, `${fw}.constraint_message`, true);
      if (typeof field.path !== 'string' || !PATH.test(field.path)) return fail(`${fw}.path`, 'must be a dotted path (person.birth_date)');
      const full = [...base, ...field.path.split('.')];
      const key = full.join('.');
      if (field.type !== 'note') {
        if (fieldPaths.has(key)) fail(`${fw}.path`, `asks ${field.path} a second time`);
        fieldPaths.add(key);
        if (!schemaAt(schema, full)) fail(`${fw}.path`, `is not in the data schema (${full.filter((p) => p !== '[]').join('.')})`);
      }
      if (field.type === 'select_one' || field.type === 'select_multiple') {
        if (typeof field.choices !== 'string' || !Object.prototype.hasOwnProperty.call(choices, field.choices)) {
          fail(`${fw}.choices`, 'must name a list in choices');
        }
      } else if (field.choices !== undefined) {
        fail(`${fw}.choices`, 'is only for select_one and select_multiple');
      }
      if (field.required !== undefined && typeof field.required !== 'boolean') checkExpression(field.required, `${fw}.required`, errors);
      checkExpression(field.relevant, `${fw}.relevant`, errors);
      checkExpression(field.constraint, `${fw}.constraint`, errors);
    });
  });
  return errors;
}

function checkExpression(source: unknown, field: string, errors: FieldError[]): void {
  if (source === undefined) return;
  if (typeof source !== 'string') return void errors.push({ field, message: 'must be an expression (a string)' });
  try {
    compile(source);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    errors.push({ field, message: `is not a valid expression: it ${err.message}` });
  }
}
