// What each notification says, per language (the person's preferred_language, else English). Texts carry no personal
// data beyond what the person is told about themselves (their code, their case reference).

export type TemplateName = 'otp' | 'consent_expired' | 'registration_registered' | 'change_approved' | 'change_rejected' | 'change_applied';

type Texts = Record<TemplateName, { subject: string; text: (v: Record<string, string>) => string }>;

const en: Texts = {
  otp: { subject: 'Your one-time code', text: (v) => `Your one-time code is ${v.code}. It expires in ${v.minutes} minutes. Do not share it with anyone.` },
  consent_expired: { subject: 'Your consent has expired', text: () => 'Your consent to share your registry data has expired. Contact your registration office or the portal to renew it.' },
  registration_registered: { subject: 'Registration complete', text: (v) => `Your household is now registered (reference ${v.reference}).` },
  change_approved: { subject: 'Change approved', text: (v) => `The change you asked for was approved (reference ${v.reference}).` },
  change_rejected: { subject: 'Change not accepted', text: (v) => `The change you asked for was not accepted (reference ${v.reference}). Contact your registration office for details.` },
  change_applied: { subject: 'Record updated', text: (v) => `Your household record was updated (reference ${v.reference}).` },
};

const fr: Texts = {
  otp: { subject: 'Votre code à usage unique', text: (v) => `Votre code à usage unique est ${v.code}. Il expire dans ${v.minutes} minutes. Ne le communiquez à personne.` },
  consent_expired: { subject: 'Votre consentement a expiré', text: () => 'Votre consentement au partage de vos données a expiré. Contactez votre bureau d\'enregistrement ou le portail pour le renouveler.' },
  registration_registered: { subject: 'Enregistrement terminé', text: (v) => `Votre ménage est enregistré (référence ${v.reference}).` },
  change_approved: { subject: 'Modification approuvée', text: (v) => `La modification demandée a été approuvée (référence ${v.reference}).` },
  change_rejected: { subject: 'Modification refusée', text: (v) => `La modification demandée n'a pas été acceptée (référence ${v.reference}).` },
  change_applied: { subject: 'Dossier mis à jour', text: (v) => `Le dossier de votre ménage a été mis à jour (référence ${v.reference}).` },
};

// persons carry ISO 639-3 codes (eng, fra); two-letter codes are accepted too
const LANGUAGES: Record<string, Texts> = { en, eng: en, fr, fra: fr };

export function render(name: TemplateName, language: string | null | undefined, values: Record<string, string> = {}): { subject: string; text: string } {
  const texts = LANGUAGES[(language ?? 'eng').toLowerCase()] ?? en;
  return { subject: texts[name].subject, text: texts[name].text(values) };
}

/** The template for a workflow event topic, or undefined for topics that tell the person nothing. */
export const WORKFLOW_TEMPLATES: Record<string, TemplateName> = {
  'registration.registered': 'registration_registered',
  'change.approved': 'change_approved',
  'change.rejected': 'change_rejected',
  'change.applied': 'change_applied',
};
