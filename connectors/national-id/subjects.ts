// Who a verify run checks, from what started it: a registration case's members (workflow check), the persons of
// person.registered / person.updated events (updated: only when identifiers, names or the birth date changed), or
// the persons named on demand ({personIds: [...]} or {personId}).
import type { Db } from '../../core/db/index.js';
import type { Secrets } from '../../core/keys/secrets.js';
import { openIdentifier } from '../../core/registry/persons/sealing.js';
import { personStore } from '../../core/registry/persons/store.js';
import type { HouseholdInput, PersonInput } from '../../core/registry/types.js';

/** The data a check needs of one person; taken from the registry or the case, never logged. */
export interface Subject {
  /** Set for registered people. */
  personId?: string;
  /** Set for members of a case not registered yet. */
  caseId?: string;
  memberIndex?: number;
  idType: string;
  idValue: string;
  given_name: string;
  family_name: string;
  other_names?: string;
  birth_date: string;
  sex?: string;
}

/** Why a person cannot be checked: it is counted, never an error. */
export type Unverifiable = 'no_national_id' | 'incomplete' | 'unknown_person';

export interface CaseData {
  caseId: string;
  household: HouseholdInput;
}

// changes to these fields can change the answer of the ID system
const RELEVANT_FIELDS = new Set(['identifiers', 'given_name', 'family_name', 'other_names', 'birth_date', 'sex']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isCaseData = (data: unknown): data is CaseData =>
  !!data && typeof data === 'object' && typeof (data as CaseData).caseId === 'string' && Array.isArray((data as CaseData).household?.members);

/** The person ids an event batch or an on-demand request names (each once, in order). */
export function personIdsOf(data: unknown): string[] {
  const ids: string[] = [];
  const items = Array.isArray(data) ? data : [data];
  for (const item of items) {
    if (!item || typeof item !== 'object') continue;
    const o = item as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (o.event) {
      if (o.event.aggregateType !== 'person') continue;
      if (o.event.topic === 'person.updated' && !(Array.isArray(o.fields) && o.fields.some((f: unknown) => RELEVANT_FIELDS.has(String(f))))) continue;
      ids.push(String(o.event.aggregateId));
      continue;
    }
    if (Array.isArray(o.personIds)) ids.push(...o.personIds.map(String));
    if (typeof o.personId === 'string') ids.push(o.personId);
  }
  return [...new Set(ids)].filter((id) => UUID.test(id));
}

/** A registered person as a subject (their identifier of idType opened), or why not. */
export async function personSubject(db: Db, secrets: Secrets, personId: string, idType: string): Promise<Subject | Unverifiable> {
  const row = await personStore.byId(db, personId, null);
  if (!row) return 'unknown_person';
  const identifier = ((await personStore.identifiersOf(db, [personId])).get(personId) ?? []).find((i) => i.id_type === idType);
  if (!identifier) return 'no_national_id';
  if (!row.given_name || !row.family_name || !row.birth_date) return 'incomplete';
  return {
    personId,
    idType,
    idValue: openIdentifier(secrets, idType, identifier.value_sealed),
    given_name: row.given_name,
    family_name: row.family_name,
    ...(row.other_names ? { other_names: row.other_names } : {}),
    birth_date: row.birth_date,
    ...(row.sex && row.sex !== 'unknown' ? { sex: row.sex } : {}),
  };
}

/** A case member as a subject: from the submitted data, or the registered person a member refers to. */
export async function caseSubjects(db: Db, secrets: Secrets, data: CaseData, idType: string): Promise<{ memberIndex: number; subject: Subject | Unverifiable }[]> {
  const out: { memberIndex: number; subject: Subject | Unverifiable }[] = [];
  for (const [memberIndex, member] of data.household.members.entries()) {
    if (member.person_id) {
      const subject = await personSubject(db, secrets, member.person_id, idType);
      out.push({ memberIndex, subject: typeof subject === 'string' ? subject : { ...subject, caseId: data.caseId, memberIndex } });
      continue;
    }
    out.push({ memberIndex, subject: submittedSubject(data.caseId, memberIndex, member.person, idType) });
  }
  return out;
}

function submittedSubject(caseId: string, memberIndex: number, person: PersonInput | undefined, idType: string): Subject | Unverifiable {
  const identifier = person?.identifiers?.find((i) => i.type === idType);
  if (!person || !identifier) return 'no_national_id';
  if (!person.given_name || !person.family_name || !person.birth_date) return 'incomplete';
  return {
    caseId,
    memberIndex,
    idType,
    idValue: identifier.value,
    given_name: person.given_name,
    family_name: person.family_name,
    ...(person.other_names ? { other_names: person.other_names } : {}),
    birth_date: person.birth_date,
    ...(person.sex && person.sex !== 'unknown' ? { sex: person.sex } : {}),
  };
}
