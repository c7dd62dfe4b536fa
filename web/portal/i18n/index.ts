// The portal's translator: English and French dictionaries with the same keys (tests/web/portal-i18n checks it).
import { translator } from '../../shared/i18n.js';
import { en } from './en.js';
import { fr } from './fr.js';

export const dictionaries = { en, fr };
export const t = translator(dictionaries);
