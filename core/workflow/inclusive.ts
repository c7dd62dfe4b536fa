// Inclusive registration (docs/workflow.md): what a submission may say about how someone was registered (by a proxy,
// assisted with a witness) and about people the usual forms leave out (no ID document, estimated birth date, no fixed
// address, accessibility needs). These records go through the same checks as any other; this module only checks
// that what they say is complete.
import type { FieldError } from '../server/errors.js';
import type { HouseholdInput } from '../registry/types.js';
import type { ProxyInfo, WitnessInfo } from './types.js';

/** household.attributes keys for a household without a fixed address. */
export const NO_FIXED_ADDRESS = 'no_fixed_address';
export const LOCATION_DESCRIPTION = 'location_description';
/** person.attributes key: what the person needs to be served (sign_language, large_print, wheelchair_access, ...). */
export const ACCESSIBILITY_NEEDS = 'accessibility_needs';

const text = (v: unknown) => typeof v === 'string' && v.trim().length > 0;

/** Errors under `householdAt` (the household's fields) and `at` (proxy, witness: the submission's). */
export function checkInclusive(household: HouseholdInput, proxy: ProxyInfo | undefined, witness: WitnessInfo | undefined, householdAt: string, at: string): FieldError[] {
  const errors: FieldError[] = [];
  const attributes = household.attributes ?? {};
  if (attributes[NO_FIXED_ADDRESS] === true) {
    // a place can be found again without an address: a description of where, or a GPS point
    if (!text(attributes[LOCATION_DESCRIPTION]) && !household.location) {
      errors.push({ field: `${householdAt}.attributes.${LOCATION_DESCRIPTION}`, message: 'a household without a fixed address needs a location description or a GPS location' });
    }
  } else if (attributes[NO_FIXED_ADDRESS] !== undefined && typeof attributes[NO_FIXED_ADDRESS] !== 'boolean') {
    errors.push({ field: `${householdAt}.attributes.${NO_FIXED_ADDRESS}`, message: 'must be true or false' });
  }
  if (attributes[LOCATION_DESCRIPTION] !== undefined && !text(attributes[LOCATION_DESCRIPTION])) {
    errors.push({ field: `${householdAt}.attributes.${LOCATION_DESCRIPTION}`, message: 'must be a non-empty text' });
  }
  household.members.forEach((m, i) => {
    const needs = m.person?.attributes?.[ACCESSIBILITY_NEEDS];
    if (needs !== undefined && !(Array.isArray(needs) && needs.every(text))) {
      errors.push({ field: `${householdAt}.members[${i}].person.attributes.${ACCESSIBILITY_NEEDS}`, message: 'must be a list of texts' });
    }
  });
  if (proxy) {
    if (!text(proxy.name)) errors.push({ field: `${at}.proxy.name`, message: 'who registers on behalf of the household is required' });
    if (!text(proxy.relationship)) errors.push({ field: `${at}.proxy.relationship`, message: 'the proxy\'s relationship is required' });
    (proxy.members ?? []).forEach((index, i) => {
      if (!Number.isInteger(index) || index < 0 || index >= household.members.length) {
        errors.push({ field: `${at}.proxy.members[${i}]`, message: `must be the index of a member (0 to ${household.members.length - 1})` });
      }
    });
  }
  if (witness && !text(witness.name)) errors.push({ field: `${at}.witness.name`, message: 'the witness\'s name is required' });
  if (witness?.attachment !== undefined && !/^[0-9a-f]{64}$/.test(witness.attachment)) {
    errors.push({ field: `${at}.witness.attachment`, message: 'must be the sha256 (64 hex digits) of an uploaded attachment' });
  }
  return errors;
}
