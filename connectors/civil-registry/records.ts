// What the hub reads from civil registration records: deaths (FHIR R4 Patient with deceasedDateTime) and births
// (document Bundles whose Composition is a birth registration, with the child and parents as Patients, as OpenCRVS
// exposes them). Pure: FHIR JSON in, plain records out; records that cannot be used say why.
import type { FhirResource } from 'fhir-kit-client';

/** FHIR identifier systems -> the hub's identifier types (configurable; these are OpenCRVS's). */
export const DEFAULT_IDENTIFIER_SYSTEMS: Record<string, string> = {
  'http://opencrvs.org/specs/id/national-id': 'UIN',
  'http://opencrvs.org/specs/id/birth-registration-number': 'BRN',
  'http://opencrvs.org/specs/id/death-registration-number': 'DRN',
};
export const BIRTH_DOC_TYPE = { system: 'http://opencrvs.org/doc-types', code: 'birth-registration' };
export const SECTION_SYSTEM = 'http://opencrvs.org/doc-sections';

export interface PersonDetails {
  given_name?: string;
  family_name?: string;
  sex?: 'male' | 'female' | 'other' | 'unknown';
  birth_date?: string;
  identifiers: { type: string; value: string }[];
}

interface Versioned {
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: string;
}

export interface DeathRecord extends Versioned {
  event: 'death';
  deceased: PersonDetails;
  deathDate: string;
}

export interface BirthRecord extends Versioned {
  event: 'birth';
  child: PersonDetails;
  mother?: PersonDetails;
  father?: PersonDetails;
}

export type CivilRecord = DeathRecord | BirthRecord;

export class UnusableRecord extends Error {}

interface FhirPatient extends FhirResource {
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string };
  identifier?: { system?: string; value?: string }[];
  name?: { use?: string; family?: string; given?: string[] }[];
  gender?: string;
  birthDate?: string;
  deceasedDateTime?: string;
  deceasedBoolean?: boolean;
}

function versioned(r: FhirResource): Versioned {
  const { id, meta } = r as { id?: string; meta?: { versionId?: string; lastUpdated?: string } };
  if (!id || !meta?.lastUpdated || Number.isNaN(Date.parse(meta.lastUpdated))) throw new UnusableRecord(`${r.resourceType} without id or meta.lastUpdated`);
  return { resourceType: r.resourceType, id, versionId: meta.versionId ?? meta.lastUpdated, lastUpdated: meta.lastUpdated };
}

export function personDetails(p: FhirPatient, systems: Record<string, string>): PersonDetails {
  const name = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
  const sex = ['male', 'female', 'other', 'unknown'].includes(p.gender ?? '') ? (p.gender as PersonDetails['sex']) : undefined;
  const birth = p.birthDate && /^\d{4}-\d{2}-\d{2}$/.test(p.birthDate) ? p.birthDate : undefined;
  return {
    ...(name?.given?.length ? { given_name: name.given.join(' ') } : {}),
    ...(name?.family ? { family_name: name.family } : {}),
    ...(sex ? { sex } : {}),
    ...(birth ? { birth_date: birth } : {}),
    identifiers: (p.identifier ?? []).flatMap((i) => (i.system && i.value && systems[i.system] ? [{ type: systems[i.system], value: i.value }] : [])),
  };
}

/** A Patient with a death date as a death record. */
export function deathRecord(resource: FhirResource, systems: Record<string, string>): DeathRecord {
  const p = resource as FhirPatient;
  if (p.resourceType !== 'Patient') throw new UnusableRecord(`expected a Patient, got ${p.resourceType}`);
  const v = versioned(p);
  const deathDate = p.deceasedDateTime?.slice(0, 10);
  if (!deathDate || !/^\d{4}-\d{2}-\d{2}$/.test(deathDate)) throw new UnusableRecord('the Patient has no deceasedDateTime');
  return { ...v, event: 'death', deceased: personDetails(p, systems), deathDate };
}

interface Composition extends FhirResource {
  type?: { coding?: { system?: string; code?: string }[] };
  subject?: { reference?: string };
  section?: { code?: { coding?: { system?: string; code?: string }[] }; entry?: { reference?: string }[] }[];
}

export const isBirthComposition = (c: Composition) => Boolean(c.type?.coding?.some((t) => t.system === BIRTH_DOC_TYPE.system && t.code === BIRTH_DOC_TYPE.code));

/** A document Bundle of a birth registration as a birth record; undefined for other documents (a death, a marriage). */
export function birthRecord(resource: FhirResource, systems: Record<string, string>): BirthRecord | undefined {
  const bundle = resource as FhirResource & { type?: string; entry?: { fullUrl?: string; resource?: FhirResource }[] };
  if (bundle.resourceType !== 'Bundle' || bundle.type !== 'document') throw new UnusableRecord(`expected a document Bundle, got ${bundle.resourceType}`);
  const v = versioned(bundle);
  const entries = bundle.entry ?? [];
  const composition = entries[0]?.resource as Composition | undefined;
  if (composition?.resourceType !== 'Composition') throw new UnusableRecord('the document does not start with a Composition');
  if (!isBirthComposition(composition)) return undefined;
  const byRef = new Map<string, FhirResource>();
  for (const e of entries) {
    if (!e.resource) continue;
    if (e.fullUrl) byRef.set(e.fullUrl, e.resource);
    const id = (e.resource as { id?: string }).id;
    if (id) byRef.set(`${e.resource.resourceType}/${id}`, e.resource);
  }
  const section = (code: string) => {
    const s = composition.section?.find((x) => x.code?.coding?.some((c) => c.system === SECTION_SYSTEM && c.code === code));
    const ref = s?.entry?.[0]?.reference;
    const r = ref ? byRef.get(ref) : undefined;
    return r && (r.resourceType === 'Patient' || r.resourceType === 'RelatedPerson') ? personDetails(r as FhirPatient, systems) : undefined;
  };
  const childRef = composition.subject?.reference;
  const childResource = childRef ? byRef.get(childRef) : undefined;
  const child = childResource?.resourceType === 'Patient' ? personDetails(childResource as FhirPatient, systems) : section('child-details');
  if (!child?.birth_date) throw new UnusableRecord('the birth registration names no child with a birth date');
  const mother = section('mother-details');
  const father = section('father-details');
  return { ...v, event: 'birth', child, ...(mother ? { mother } : {}), ...(father ? { father } : {}) };
}
