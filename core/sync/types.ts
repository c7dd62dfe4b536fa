// The shapes of the sync protocol (openapi/hub/sync.yaml): what a field app pushes and what it gets back per item.
import type { FieldError } from '../server/field-error.js';
import type { HouseholdInput, MemberInput, PersonPatch } from '../registry/types.js';

export interface HouseholdChanges {
  household_type?: string | null;
  address?: string | null;
  area_code?: string;
  location?: { latitude: number; longitude: number } | null;
  /** Merged key by key (JSON merge patch: null removes a key). */
  attributes?: Record<string, unknown>;
}

export interface PersonChanges {
  person_id: string;
  /** The person's version the device edited (persons have versions of their own). */
  base_version: number;
  changes: PersonPatch;
}

export interface UpdateChanges {
  household?: HouseholdChanges;
  persons?: PersonChanges[];
  add_members?: MemberInput[];
}

export interface AttachmentRef {
  sha256: string;
  /** What it is: id_document, consent_signature, photo, ... */
  purpose: string;
}

export interface PushItem {
  client_id: string;
  captured_at: string;
  form: { id: string; version: number };
  kind: 'new' | 'update';
  /** kind new: the household as answered on the form. */
  household?: HouseholdInput;
  /** kind update: which household, the version the device edited, and what it changed. */
  household_id?: string;
  base_version?: number;
  changes?: UpdateChanges;
  attachments?: AttachmentRef[];
  /** Inclusive registration (P5's workflow records them): someone registering for another, a witness. */
  proxy?: Record<string, unknown>;
  witness?: Record<string, unknown>;
}

export type ItemStatus = 'accepted' | 'duplicate' | 'conflict' | 'rejected';

export interface ConflictRef {
  id: string;
  entity: 'household' | 'person';
  entity_id: string;
  field: string;
}

export interface ItemResult {
  client_id: string;
  status: ItemStatus;
  /** For a duplicate: what the first push answered (accepted, conflict or rejected). */
  first_status?: Exclude<ItemStatus, 'duplicate'>;
  household_id?: string | null;
  /** The household's version after the item was applied (updates, and registrations written at once). */
  version?: number;
  case_id?: string | null;
  case_status?: string | null;
  /** Fields applied from an update (merged with the server's changes). */
  merged?: string[];
  conflicts?: ConflictRef[];
  errors?: FieldError[];
}
