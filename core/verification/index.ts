// Verification records: one per check of a person's identity against an external system (national ID demographic
// authentication, a DCI ID/CRVS search), a one-time code or a document. Made during a registration case before the
// person exists (caseId + memberIndex), then attached to the person when the case registers.
// Details name what was compared and how it came out, never the values compared (see VerificationDetails).
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import { verificationStore, type VerificationResult, type VerificationRow } from './store.js';

export type { VerificationResult } from './store.js';
export type VerificationMethod = 'demographic_auth' | 'dci_search' | 'otp' | 'document' | (string & {});

/** What a record may say beyond method, system and result: field names, codes and references only. */
export interface VerificationDetails {
  /** Identifier type checked (UIN, BRN, ...); never the number. */
  id_type?: string;
  /** Fields the external system confirmed, and those it did not (names of fields: given_name, birth_date ...). */
  matched?: string[];
  mismatched?: string[];
  /** The external system's transaction or response id, to trace the call there. */
  reference?: string;
  /** Why the check could not conclude (result 'error'): a code such as 'timeout', 'http_503', 'breaker_open'. */
  error?: string;
  /** eKYC attributes received (their names), when the person's consent allowed asking for them. */
  ekyc_attributes?: string[];
  /** The connector run that made the record. */
  run_id?: string;
}

const DETAIL_KEYS = new Set<keyof VerificationDetails>(['id_type', 'matched', 'mismatched', 'reference', 'error', 'ekyc_attributes', 'run_id']);
const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

export interface VerificationInput {
  personId?: string;
  caseId?: string;
  memberIndex?: number;
  method: VerificationMethod;
  /** The system asked: connector id and service, e.g. 'national-id/mosip-ida'. */
  system: string;
  result: VerificationResult;
  details?: VerificationDetails;
  /** Who recorded it (principal id); default 'system'. */
  recordedBy?: string;
  /** The work that made it (run + item): recording the same key again returns the first record and adds nothing. */
  dedupeKey?: string;
  verifiedAt?: Date;
}

export interface Verification {
  id: string;
  person_id: string | null;
  case_id: string | null;
  member_index: number | null;
  method: string;
  system: string;
  result: VerificationResult;
  details: VerificationDetails;
  verified_at: string;
  recorded_by: string;
}

const RESULTS: readonly VerificationResult[] = ['match', 'mismatch', 'not_found', 'error'];

/** Stores one record (in the caller's transaction); throws a TypeError for input that breaks the rules above. */
export async function recordVerification(tx: Db, input: VerificationInput): Promise<{ verification: Verification; created: boolean }> {
  checkInput(input);
  const { row, created } = await verificationStore.insert(tx, {
    id: uuidv7(),
    person_id: input.personId ?? null,
    case_id: input.caseId ?? null,
    member_index: input.memberIndex ?? null,
    method: input.method,
    system: input.system,
    result: input.result,
    details: { ...(input.details ?? {}) } as Record<string, unknown>,
    recorded_by: input.recordedBy ?? 'system',
    dedupe_key: input.dedupeKey ?? null,
    verified_at: input.verifiedAt,
  });
  return { verification: toVerification(row), created };
}

function checkInput(input: VerificationInput): void {
  if (!input.personId && !(input.caseId && Number.isInteger(input.memberIndex) && input.memberIndex! >= 0)) {
    throw new TypeError('a verification record needs a personId, or a caseId with a memberIndex');
  }
  if (!/^[a-z][a-z0-9_]{1,39}$/.test(input.method)) throw new TypeError('method must be a lower-case code such as demographic_auth');
  if (!input.system || input.system.length > 100) throw new TypeError('system must name the system asked (1-100 characters)');
  if (!RESULTS.includes(input.result)) throw new TypeError(`result must be one of ${RESULTS.join(', ')}`);
  for (const [key, value] of Object.entries(input.details ?? {})) {
    // an open-ended details object would invite values (names, numbers) in: only names and codes are accepted
    if (!DETAIL_KEYS.has(key as keyof VerificationDetails)) throw new TypeError(`details.${key} is not a known verification detail`);
    const values = Array.isArray(value) ? value : [value];
    if (!values.every((v) => typeof v === 'string' && NAME.test(v))) throw new TypeError(`details.${key} must hold codes or field names`);
  }
}

/** A person's records, newest first. */
export async function listVerifications(db: Db, personId: string, options: { limit?: number; before?: { at: Date; id: string } } = {}): Promise<Verification[]> {
  return (await verificationStore.ofPerson(db, personId, options.limit ?? 100, options.before)).map(toVerification);
}

/** The records made during a case (all members), oldest first per member. */
export async function caseVerifications(db: Db, caseId: string): Promise<Verification[]> {
  return (await verificationStore.ofCase(db, caseId)).map(toVerification);
}

/** When a case registers: its records of member i become person memberIndexToPersonId.get(i)'s. Returns how many. */
export async function attachCaseVerifications(tx: Db, caseId: string, memberIndexToPersonId: Map<number, string>): Promise<number> {
  return verificationStore.attach(tx, caseId, [...memberIndexToPersonId].map(([index, personId]) => ({ index, personId })));
}

export interface VerificationStatus {
  result: VerificationResult;
  method: string;
  system: string;
  verified_at: string;
}

/**
 * Each person's current verification status: the newest conclusive record (match, mismatch, not_found), or the newest
 * error when there is nothing else (an outage says nothing about the identity). Persons never checked are absent.
 */
export async function latestVerificationStatus(db: Db, personIds: string[]): Promise<Map<string, VerificationStatus>> {
  const rows = await verificationStore.latest(db, [...new Set(personIds)]);
  return new Map(rows.map((r) => [r.person_id!, { result: r.result, method: r.method, system: r.system, verified_at: iso(r.verified_at) }]));
}

const iso = (d: Date | string) => new Date(d).toISOString();

export function toVerification(row: VerificationRow): Verification {
  return {
    id: row.id,
    person_id: row.person_id,
    case_id: row.case_id,
    member_index: row.member_index,
    method: row.method,
    system: row.system,
    result: row.result,
    details: row.details as VerificationDetails,
    verified_at: iso(row.verified_at),
    recorded_by: row.recorded_by,
  };
}

/** The record a piece of work made, if it made one (a retried run checks this before asking again). */
export async function verificationByDedupeKey(db: Db, dedupeKey: string): Promise<Verification | undefined> {
  const row = await verificationStore.byDedupeKey(db, dedupeKey);
  return row && toVerification(row);
}
