// The consent API's shapes, written once from openapi/hub.yaml.
import type { DataCategory } from './categories.js';

export const LAWFUL_BASES = ['consent', 'contract', 'legal_obligation', 'vital_interest', 'public_task', 'legitimate_interest'] as const;
export type LawfulBasis = (typeof LAWFUL_BASES)[number];
/** Bases under which a program may receive data without each person's consent. */
export const NO_CONSENT_NEEDED: ReadonlySet<LawfulBasis> = new Set(['legal_obligation', 'public_task', 'vital_interest']);

export type ConsentState = 'given' | 'refused' | 'withdrawn' | 'expired';
export type ConsentChannel = 'online' | 'mobile' | 'in_person' | 'paper';

export interface AgreementInput {
  code: string;
  purpose_code: string;
  purpose_text: Record<string, string>;
  lawful_basis: LawfulBasis;
  categories: DataCategory[];
  recipients: string[];
  controller: { name: string; contact?: string };
  retention_days: number;
  max_validity_days: number;
  household_consent?: boolean;
}

export interface Agreement extends Required<AgreementInput> {
  id: string;
  version: number;
  state: 'draft' | 'published';
  hash: string | null;
  created_by: string;
  created_at: string;
  published_at: string | null;
}

export interface Proxy {
  name: string;
  relationship: string;
  person_id?: string;
}

export interface Attestation {
  form_sha256: string;
  witness: string;
}

export interface GrantInput {
  agreement_id: string;
  person_id?: string; // officers; a beneficiary consents for themselves
  decision?: 'given' | 'refused';
  for_household_id?: string;
  valid_from?: string;
  valid_until?: string;
  channel?: ConsentChannel;
  proxy?: Proxy;
  attestation?: Attestation;
}

export interface Revision {
  revision: number;
  state: ConsentState;
  valid_from: string;
  valid_until: string;
  changed_by: string;
  changed_at: string;
  note: string | null;
  prev_hash: string;
  hash: string;
}

export interface Consent {
  id: string;
  person_id: string;
  agreement_id: string;
  agreement_code: string;
  agreement_version: number;
  agreement_hash: string;
  purpose_code: string;
  lawful_basis: LawfulBasis;
  categories: DataCategory[];
  recipients: string[];
  for_household_id: string | null;
  state: ConsentState;
  /** given, and now within [valid_from, valid_until): what decisions rely on. */
  in_force: boolean;
  valid_from: string;
  valid_until: string;
  channel: ConsentChannel;
  collected_by: string;
  proxy: Proxy | null;
  attestation: Attestation | null;
  revision: number;
  status: { list_id: number; idx: number; uri: string } | null;
  created_at: string;
  updated_at: string;
}
