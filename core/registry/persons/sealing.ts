// Personal data at rest: national identifiers and phone numbers are stored sealed (AES-256-GCM) beside a keyed
// blind index (HMAC) of their normalised value, so a database dump alone reveals neither and exact-match lookups
// still work. The contexts a person's values are sealed under are named here, so writing and reading cannot drift.
import type { Secrets } from '../../keys/secrets.js';
import type { Changes } from '../history.js';

/**
 * The form identifiers are indexed (and so compared and kept unique) in: surrounding spaces dropped, runs of
 * spaces made one, letters upper-cased. Identifiers are read off cards and typed by people, for whom `ab 12` and
 * `AB 12` are one number. Separators (`-`, `/`, `.`, `_`, a space) are kept: in schemes with variable-length
 * parts they separate different numbers (`12-345` is not `123-45`).
 */
export function normaliseIdentifier(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toUpperCase();
}

/**
 * The form phone numbers are indexed in: spaces, brackets, dashes and dots are layout and go; the digits and a
 * leading + stay. No country code is assumed, so `0712…` and `+254712…` stay different numbers.
 */
export function normalisePhone(phone: string): string {
  return phone.replace(/[\s().-]/g, '');
}

export const identifierIndex = (secrets: Secrets, type: string, value: string): string =>
  secrets.index(`identifier:${type}`, normaliseIdentifier(value));

export const sealIdentifier = (secrets: Secrets, type: string, value: string): string =>
  secrets.seal(value, `person_identifier:${type}`);

export const openIdentifier = (secrets: Secrets, type: string, sealed: string): string =>
  secrets.open(sealed, `person_identifier:${type}`);

export interface PhoneColumns {
  phone_sealed: string | null;
  phone_index: string | null;
}

/** The stored columns of a phone number, bound to the person's row (a sealed number copied to another row will not open). */
export function phoneColumns(secrets: Secrets, personId: string, phone: string | null | undefined): PhoneColumns {
  if (!phone) return { phone_sealed: null, phone_index: null };
  return { phone_sealed: secrets.seal(phone, `person.phone:${personId}`), phone_index: secrets.index('phone', normalisePhone(phone)) };
}

export function openPhone(secrets: Secrets, personId: string, sealed: string | null): string | null {
  return sealed === null ? null : secrets.open(sealed, `person.phone:${personId}`);
}

// In record_history, phone numbers and identifiers are the very ciphertexts their rows held ({ "sealed": ... },
// identifiers { "type", "sealed" }), opened under the same contexts: a dump shows what changed, not the values,
// and keeping history costs no sealing of its own.
interface SealedValue {
  sealed: string;
}
interface SealedIdentifier {
  type: string;
  sealed: string;
}

export const phoneForHistory = (phoneSealed: string | null): SealedValue | null => (phoneSealed === null ? null : { sealed: phoneSealed });

export const identifiersForHistory = (rows: { id_type: string; value_sealed: string }[]): SealedIdentifier[] =>
  rows.map((i) => ({ type: i.id_type, sealed: i.value_sealed }));

/** A person's history as the API shows it: sealed phone numbers and identifiers opened. */
export function openPersonHistory(secrets: Secrets, personId: string, changes: Changes): Changes {
  const opened: Changes = { ...changes };
  const phone = (v: unknown) => openPhone(secrets, personId, (v as SealedValue | null)?.sealed ?? null);
  const identifiers = (list: unknown) =>
    list === null ? null : (list as SealedIdentifier[]).map((i) => ({ type: i.type, value: openIdentifier(secrets, i.type, i.sealed) }));
  if (changes.phone) opened.phone = { from: phone(changes.phone.from), to: phone(changes.phone.to) };
  if (changes.identifiers) opened.identifiers = { from: identifiers(changes.identifiers.from), to: identifiers(changes.identifiers.to) };
  return opened;
}
