// The field app's translator (English and French).
import { translator } from '../../shared/i18n.js';
import { en } from './en.js';
import { fr } from './fr.js';

export const dictionaries = { en, fr };
export const t = translator(dictionaries);
