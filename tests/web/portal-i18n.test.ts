// Every label of the portal is translated: English and French have the same keys, and every key the pages ask for
// by name exists (a missing one would show the key itself to the reader).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { en } from '../../web/portal/i18n/en.js';
import { fr } from '../../web/portal/i18n/fr.js';

const PORTAL = path.resolve('web/portal');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === 'i18n' ? [] : sources(file);
    return /\.tsx?$/.test(name) ? [file] : [];
  });
}

test('English and French have the same keys, none empty', () => {
  expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  for (const [key, text] of [...Object.entries(en), ...Object.entries(fr)]) expect({ key, empty: text.trim() === '' }).toEqual({ key, empty: false });
});

test('every label the pages name is in the dictionaries, with the same placeholders', () => {
  const used = new Set<string>();
  for (const file of sources(PORTAL)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bt\('([a-z_]+(?:\.[a-z_]+)*)'/g)) used.add(m[1]);
    for (const m of readFileSync(file, 'utf8').matchAll(/label: '([a-z_]+\.[a-z_]+)'/g)) used.add(m[1]);
  }
  expect(used.size).toBeGreaterThan(100);
  expect([...used].filter((key) => !(key in en))).toEqual([]);
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(en)) expect({ key, fr: placeholders(fr[key]) }).toEqual({ key, fr: placeholders(en[key]) });
});
