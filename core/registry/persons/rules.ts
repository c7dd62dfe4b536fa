// The rules a person's data must follow, whatever the channel: checked before anything is written.
import { REGISTRY_ID_TYPE } from '../../config.js';
import type { FieldError } from '../../server/errors.js';
import { normaliseName } from '../names.js';
import type { IdentifierInput, PersonInput } from '../types.js';
import type { PhoneColumns } from './sealing.js';
import type { PersonFields } from './store.js';

const OLDEST_AGE_YEARS = 130;

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Checks what the schema cannot: names, dates against today, identifier types. Returns errors under `at`. */
export function checkPerson(person: PersonInput | PersonFields, at: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!person.given_name && !person.family_name) {
    errors.push({ field: `${at}.given_name`, message: 'a person needs a given name or a family name' });
  }
  errors.push(...checkBirthDate(person.birth_date ?? null, `${at}.birth_date`));
  errors.push(...checkDeathDate(person.death_date ?? null, person.birth_date ?? null, `${at}.death_date`));
  return errors;
}

/**
 * A person being registered (alone, in a household, in a bulk batch): the person rules, and no death date. A person
 * is registered alive and a death is recorded afterwards with PATCH /api/v1/persons/{id}, so that it reaches
 * subscribers as one DEATH event (person.deceased) like every other death; a registration cannot carry it.
 */
export function checkNewPerson(person: PersonInput, at: string): FieldError[] {
  const errors = checkPerson({ ...person, death_date: undefined }, at);
  if (person.death_date !== undefined) {
    errors.push({ field: `${at}.death_date`, message: 'a person is registered alive; record the death afterwards with PATCH /api/v1/persons/{id}' });
  }
  return errors;
}

export function checkBirthDate(birthDate: string | null, field: string): FieldError[] {
  if (!birthDate) return [];
  const now = today();
  if (birthDate > now) return [{ field, message: `is in the future (today is ${now})` }];
  const oldest = `${Number(now.slice(0, 4)) - OLDEST_AGE_YEARS}${now.slice(4)}`;
  if (birthDate < oldest) return [{ field, message: `is more than ${OLDEST_AGE_YEARS} years ago` }];
  return [];
}

/** A death date is not in the future and not before the birth date (when both are known). */
export function checkDeathDate(deathDate: string | null, birthDate: string | null, field: string): FieldError[] {
  if (!deathDate) return [];
  const now = today();
  if (deathDate > now) return [{ field, message: `is in the future (today is ${now})` }];
  // the message leaves the birth date out: the caller knows it, a log line need not
  if (birthDate && deathDate < birthDate) return [{ field, message: 'is before the birth date' }];
  return [];
}

/** Types must be configured, the hub's own type cannot be supplied, and one value per type per person. */
export function checkIdentifiers(identifiers: IdentifierInput[], at: string, idTypes: string[]): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  identifiers.forEach((id, i) => {
    const field = `${at}[${i}].type`;
    if (id.type === REGISTRY_ID_TYPE) errors.push({ field, message: `${REGISTRY_ID_TYPE} is issued by the hub and cannot be supplied` });
    else if (!idTypes.includes(id.type)) errors.push({ field, message: `must be one of the configured types ${idTypes.join(', ')}` });
    else if (seen.has(id.type)) errors.push({ field, message: `a person has one ${id.type}; it is given twice` });
    seen.add(id.type);
  });
  return errors;
}

/** The stored columns of a person from API input; the phone comes sealed (sealing.ts). */
export function personFields(input: PersonInput, phone: PhoneColumns): PersonFields {
  return {
    given_name: input.given_name ?? null,
    family_name: input.family_name ?? null,
    other_names: input.other_names ?? null,
    given_name_norm: normaliseName(input.given_name),
    family_name_norm: normaliseName(input.family_name),
    sex: input.sex ?? null,
    birth_date: input.birth_date ?? null,
    birth_date_estimated: input.birth_date_estimated ?? false,
    death_date: input.death_date ?? null, // checkNewPerson refuses it at registration
    ...phone,
    email: input.email ?? null,
    preferred_language: input.preferred_language ?? null,
    disabilities: input.disabilities ?? [],
    vulnerabilities: input.vulnerabilities ?? [],
    attributes: input.attributes ?? {},
  };
}

/**
 * The fields shown in history. The search keys are derived, so they are left out; so are the phone columns: the
 * callers record a phone change themselves, as the stored ciphertexts (sealing.ts).
 */
export function historyFields(fields: Partial<PersonFields>): Record<string, unknown> {
  const { given_name_norm: _g, family_name_norm: _f, phone_sealed: _ps, phone_index: _pi, ...shown } = fields;
  return shown;
}
