// The registry's shapes at the API edge, written once from openapi/hub.yaml.

export type Channel = 'online' | 'mobile' | 'in_person' | 'bulk_import' | 'connector';

export interface IdentifierInput {
  type: string;
  value: string;
}

export interface PersonInput {
  given_name?: string;
  family_name?: string;
  other_names?: string;
  sex?: 'male' | 'female' | 'other' | 'unknown';
  birth_date?: string;
  birth_date_estimated?: boolean;
  /** Only through PATCH: a person is registered alive (rules.ts checkNewPerson answers 422 otherwise). */
  death_date?: string;
  phone?: string;
  email?: string;
  preferred_language?: string;
  disabilities?: string[];
  vulnerabilities?: string[];
  attributes?: Record<string, unknown>;
  identifiers?: IdentifierInput[];
  channel?: Channel;
}

export type PersonPatch = {
  [K in keyof Omit<PersonInput, 'identifiers' | 'channel' | 'attributes'>]?: PersonInput[K] | null;
} & { identifiers?: IdentifierInput[]; channel?: Channel; attributes?: Record<string, unknown> | null };

export interface Location {
  latitude: number;
  longitude: number;
}

export interface MemberInput {
  relationship: string;
  start_date?: string;
  person?: PersonInput;
  person_id?: string;
}

export interface HouseholdInput {
  household_type?: string;
  address?: string;
  area_code: string;
  location?: Location;
  attributes?: Record<string, unknown>;
  channel?: Channel;
  members: MemberInput[];
}

export interface HouseholdPatch {
  household_type?: string | null;
  address?: string | null;
  area_code?: string;
  location?: Location | null;
  attributes?: Record<string, unknown> | null;
  channel?: Channel;
}

export interface Identifier {
  type: string;
  value: string;
  issued_by_hub: boolean;
}

export interface Membership {
  household_id: string;
  relationship: string;
  start_date: string;
}

export interface Person {
  id: string;
  version: number;
  given_name: string | null;
  family_name: string | null;
  other_names: string | null;
  sex: string | null;
  birth_date: string | null;
  birth_date_estimated: boolean;
  /** The date of death; null while the person is alive. */
  death_date: string | null;
  phone: string | null;
  email: string | null;
  preferred_language: string | null;
  disabilities: string[];
  vulnerabilities: string[];
  attributes: Record<string, unknown>;
  identifiers: Identifier[];
  household: Membership | null;
  channel: Channel;
  created_by: string;
  updated_by: string;
  created_at: string;
  updated_at: string;
}

/** Why a household left the registry (openapi/hub.yaml DeregistrationReason; the migration's check). */
export const DEREGISTRATION_REASONS = ['duplicate', 'moved_abroad', 'all_members_deceased', 'requested_by_household', 'ineligible_data', 'other'] as const;
export type DeregistrationReason = (typeof DEREGISTRATION_REASONS)[number];

export interface DeregistrationInput {
  reason: DeregistrationReason;
  note?: string;
}

export interface HouseholdSummary {
  id: string;
  version: number;
  household_type: string | null;
  address: string | null;
  area_code: string;
  location: Location | null;
  head_person_id: string | null;
  size: number;
  /** When the household was deregistered; null while it is active. */
  deregistered_at: string | null;
  deregistration_reason: DeregistrationReason | null;
  attributes: Record<string, unknown>;
  channel: Channel;
  created_by: string;
  updated_by: string;
  created_at: string;
  updated_at: string;
}

export interface Household extends HouseholdSummary {
  members: { person_id: string; relationship: string; start_date: string; person: Person }[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
