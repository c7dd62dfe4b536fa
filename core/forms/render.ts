// A form as a person sees it in one language, for sample answers: which questions are asked (skip logic applied),
// their labels, hints and choices, and what is wrong so far. The preview operation and the field app share it.
import type { FieldError } from '../server/field-error.js'; // type only
import type { FormDefinition, FormField } from './definition.js';
import { compile, ExpressionError, truthy, type Env } from './expression.js';
import { text, validateWithDefinition } from './validate.js';

export interface RenderedField {
  path: string;
  type: FormField['type'];
  label: string;
  hint?: string;
  required: boolean;
  asked: boolean;
  value?: unknown;
  choices?: { value: string; label: string }[];
}

export interface RenderedSection {
  id: string;
  title: string;
  /** For a repeat group: one entry per member (index into members). */
  items: { index: number | null; asked: boolean; fields: RenderedField[] }[];
}

export function renderForm(definition: FormDefinition, data: Record<string, unknown>, language: string, today: string): { language: string; sections: RenderedSection[]; errors: FieldError[] } {
  const lang = definition.languages.includes(language) ? language : definition.default_language;
  const holds = (source: string | undefined, env: Env) => {
    if (!source) return true;
    try {
      return truthy(compile(source).evaluate(env));
    } catch (err) {
      if (err instanceof ExpressionError) return false;
      throw err;
    }
  };
  const sections = definition.ui.sections.map((section) => {
    const targets = section.repeat === 'members' ? (Array.isArray(data.members) ? data.members : []).map((m, i) => ({ item: m, index: i as number | null })) : [{ item: data as unknown, index: null }];
    return {
      id: section.id,
      title: text(section.title, lang) ?? section.id,
      items: targets.map(({ item, index }) => {
        const env: Env = { root: data, current: item, today };
        const sectionAsked = holds(section.relevant, env);
        return {
          index,
          asked: sectionAsked,
          fields: section.fields.map((f) => {
            const value = readValue(item, f.path);
            return {
              path: f.path,
              type: f.type,
              label: text(f.label, lang) ?? f.path,
              ...(f.hint ? { hint: text(f.hint, lang) } : {}),
              required: f.required === true || (typeof f.required === 'string' && holds(f.required, env)),
              asked: sectionAsked && holds(f.relevant, env),
              ...(value === undefined ? {} : { value }),
              ...(f.choices ? { choices: (definition.choices?.[f.choices] ?? []).map((c) => ({ value: c.value, label: text(c.label, lang) ?? c.value })) } : {}),
            };
          }),
        };
      }),
    };
  });
  return { language: lang, sections, errors: validateWithDefinition(definition, data, { at: 'body.data', today, language: lang }) };
}

function readValue(item: unknown, path: string): unknown {
  let v = item;
  for (const s of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, s)) return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}
