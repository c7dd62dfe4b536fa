// The same check through a DCI ID/CRVS registry search (spdci crvs_api: POST /registry/sync/search with an
// idtype-value query). The registry answers with the person's record; the hub compares name, birth date and sex
// itself and keeps only which fields matched.
import { DCI_VERSION, newId, now } from '../../core/dci/envelope.js';
import { fullNames, normaliseName } from './identities.js';
import type { Demographics, Outcome } from './mosip.js';

export const DCI_SEARCH_PATH = '/registry/sync/search';

export interface DciSubject {
  idType: string;
  idValue: string;
  given_name: string;
  family_name: string;
  other_names?: string;
  birth_date: string;
  sex?: string;
}

export function buildSearch(subject: DciSubject, options: { senderId: string; receiverId?: string; regType: string; purpose: string }) {
  const header = {
    version: DCI_VERSION,
    message_id: newId(),
    message_ts: now(),
    action: 'search',
    sender_id: options.senderId,
    ...(options.receiverId ? { receiver_id: options.receiverId } : {}),
    total_count: 1,
    is_msg_encrypted: false,
  };
  const message = {
    transaction_id: newId(),
    search_request: [{
      reference_id: newId(),
      timestamp: now(),
      search_criteria: {
        version: DCI_VERSION,
        reg_type: options.regType,
        reg_record_type: 'Person',
        query_type: 'idtype-value',
        query: { type: subject.idType, value: subject.idValue },
        consent: { '@type': 'Consent', ts: now(), purpose: { code: options.purpose } },
      },
      locale: 'eng',
    }],
  };
  return { header, message };
}

interface DciRecord {
  name?: { given_name?: string; surname?: string; second_name?: string };
  sex?: string;
  birth_date?: string;
}

/** What an on-search answer says about the subject. */
export function readSearchAnswer(body: any, subject: DciSubject): Outcome { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = body?.message?.search_response?.[0];
  const reference = typeof body?.message?.correlation_id === 'string' ? body.message.correlation_id.slice(0, 100) : undefined;
  if (!response) return { result: 'error', error: 'unexpected_answer', reference };
  if (response.status !== 'succ') {
    const code = String(response.status_reason_code ?? 'rjct');
    if (/not[_.]?found|reference_id\.invalid/i.test(code)) return { result: 'not_found', reference };
    return { result: 'error', error: /^[A-Za-z0-9_.:-]{1,60}$/.test(code) ? code : 'rejected', reference };
  }
  const records: DciRecord[] = Array.isArray(response.data?.reg_records) ? response.data.reg_records : [];
  if (records.length === 0) return { result: 'not_found', reference };
  return compare(records[0], subject, reference);
}

function compare(record: DciRecord, subject: DciSubject, reference?: string): Outcome {
  const matched: string[] = [];
  const mismatched: string[] = [];
  const theirs = { given_name: record.name?.given_name ?? '', family_name: record.name?.surname ?? '', other_names: record.name?.second_name || undefined };
  const ours = fullNames(subject);
  const same = [...fullNames(theirs)].some((n) => ours.has(n)) || normaliseName(`${theirs.given_name} ${theirs.family_name}`) === normaliseName(`${subject.given_name} ${subject.family_name}`);
  (same ? matched : mismatched).push('name');
  (String(record.birth_date ?? '').slice(0, 10) === subject.birth_date ? matched : mismatched).push('birth_date');
  if (subject.sex && record.sex) (record.sex.toLowerCase() === subject.sex.toLowerCase() ? matched : mismatched).push('sex');
  return mismatched.length ? { result: 'mismatch', matched, mismatched, reference } : { result: 'match', matched, reference };
}

export type { Demographics };
