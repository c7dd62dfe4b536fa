// The console's dictionaries: one module per area of the console, merged here (a key defined twice is a mistake).
import { translator, type Dictionary, type Language } from '../../shared/i18n.js';
import { insight } from './insight.js';
import { operations } from './operations.js';
import { registry } from './registry.js';
import { shell } from './shell.js';

const parts: Record<Language, Dictionary>[] = [shell, insight, registry, operations];

export const t = translator({
  en: Object.assign({}, ...parts.map((p) => p.en)),
  fr: Object.assign({}, ...parts.map((p) => p.fr)),
});
