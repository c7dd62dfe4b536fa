// Every label goes through t(): dictionaries per language (English and French shipped), the choice kept in
// localStorage, `{name}` placeholders. A missing French label falls back to English, a missing key shows the key.
import { useEffect, useState } from 'preact/hooks';

export type Language = 'en' | 'fr';
export const LANGUAGES: Record<Language, string> = { en: 'English', fr: 'Français' };
export type Dictionary = Record<string, string>;

const LANGUAGE_KEY = 'srhub.language';
const listeners = new Set<() => void>();

export function currentLanguage(): Language {
  const stored = globalThis.localStorage?.getItem(LANGUAGE_KEY);
  if (stored === 'en' || stored === 'fr') return stored;
  return globalThis.navigator?.language?.startsWith('fr') ? 'fr' : 'en';
}

export function setLanguage(language: Language): void {
  localStorage.setItem(LANGUAGE_KEY, language);
  document.documentElement.lang = language;
  for (const listener of listeners) listener();
}

/** A translator over these dictionaries; re-rendering on a language change is useLanguage()'s job. */
export function translator(dictionaries: Record<Language, Dictionary>) {
  return (key: string, values: Record<string, string | number> = {}): string => {
    const text = dictionaries[currentLanguage()][key] ?? dictionaries.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in values ? String(values[name]) : `{${name}}`));
  };
}

/** Re-renders the component when the language changes; returns the current one. */
export function useLanguage(): Language {
  const [language, set] = useState(currentLanguage());
  useEffect(() => {
    const listener = () => set(currentLanguage());
    listeners.add(listener);
    document.documentElement.lang = currentLanguage();
    return () => void listeners.delete(listener);
  }, []);
  return language;
}

/** Dates and numbers in the reader's language. */
export const formatNumber = (value: number, options?: Intl.NumberFormatOptions) => new Intl.NumberFormat(currentLanguage(), options).format(value);
export const formatDate = (iso: string) => new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'medium' }).format(new Date(iso));
export const formatDateTime = (iso: string) => new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
