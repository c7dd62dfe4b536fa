// The questionnaire's answers in plain words: each stored attribute with its question and its choice's label, in the
// reader's language, from the published form (GET /api/v1/portal/registration-form, fetched once per page load).
import type { FormDefinition, FormField, Text } from '../../../core/forms/definition.js';
import { currentLanguage } from '../../shared/i18n.js';
import { t } from '../i18n/index.js';

export interface RegistrationForm {
  form: { id: string; version: number; title: Text; definition: FormDefinition };
  areas: { code: string; name: string; level: number; parent_code: string | null }[];
}

let cached: Promise<RegistrationForm> | undefined;

export function loadRegistrationForm(): Promise<RegistrationForm> {
  cached ??= fetch('/api/v1/portal/registration-form', { headers: { accept: 'application/json' } }).then(async (res) => {
    if (!res.ok) {
      cached = undefined;
      throw new Error(t('register.unavailable'));
    }
    return ((await res.json()) as RegistrationForm);
  });
  return cached;
}

export const textIn = (text: Text | undefined, fallback = '') => (text ? text[currentLanguage()] ?? text.en ?? Object.values(text)[0] ?? fallback : fallback);

export interface Answer {
  label: string;
  value: string;
}

/** The answers stored in `attributes`: the household's (attributes.*) or a person's (person.attributes.* of the members section). */
export function answerRows(definition: FormDefinition, attributes: Record<string, unknown>, of: 'household' | 'person'): Answer[] {
  const prefix = of === 'household' ? 'attributes.' : 'person.attributes.';
  const rows: Answer[] = [];
  for (const section of definition.ui.sections) {
    if ((section.repeat === 'members') !== (of === 'person')) continue;
    for (const field of section.fields) {
      if (!field.path.startsWith(prefix)) continue;
      const value = attributes[field.path.slice(prefix.length)];
      if (value === undefined || value === null || value === '') continue;
      rows.push({ label: textIn(field.label, field.path), value: answerText(definition, field, value) });
    }
  }
  return rows;
}

export function answerText(definition: FormDefinition, field: FormField, value: unknown): string {
  const choices = field.choices ? definition.choices?.[field.choices] ?? [] : [];
  const label = (v: unknown) => textIn(choices.find((c) => c.value === v)?.label, String(v));
  if (Array.isArray(value)) return value.map(label).join(', ');
  if (typeof value === 'boolean') return t(value ? 'value.yes' : 'value.no');
  if (value && typeof value === 'object' && 'latitude' in value) {
    const point = value as unknown as { latitude: number; longitude: number };
    return `${point.latitude}, ${point.longitude}`;
  }
  return choices.length ? label(value) : String(value);
}
