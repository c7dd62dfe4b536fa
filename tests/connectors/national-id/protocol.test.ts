// The pieces of the national ID connector that need no hub: the IDA request's encryption, reading IDA and DCI answers,
// which events name whom, and how members' results make the check's outcome.
import { generateKeyPairSync } from 'node:crypto';
import { readSearchAnswer } from '../../../connectors/national-id/dci.js';
import { buildIdaRequest, openIdaRequest, readIdaResponse } from '../../../connectors/national-id/mosip.js';
import { personIdsOf } from '../../../connectors/national-id/subjects.js';
import { caseResult } from '../../../connectors/national-id/verify.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const subject = { idValue: '1234567890', idType: 'UIN', demographics: { name: 'Amina Okello', birth_date: '1985-04-12', sex: 'female' } };

describe('MOSIP-style ID authentication', () => {
  it('encrypts the demographics so only the IDA\'s private key opens them, bound by the HMAC', () => {
    const request = buildIdaRequest(keys.publicKey, subject);
    expect(JSON.stringify(request)).not.toContain('Amina');
    expect(JSON.stringify(request)).not.toContain('1985');
    expect(request).toMatchObject({ id: 'mosip.identity.auth', individualId: '1234567890', requestedAuth: { demo: true } });
    expect(request.transactionID).toMatch(/^\d{10}$/);
    expect(openIdaRequest(keys.privateKey, request).demographics).toEqual({ name: [{ language: 'eng', value: 'Amina Okello' }], dob: '1985/04/12', gender: [{ language: 'eng', value: 'Female' }] });

    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(() => openIdaRequest(other.privateKey, request)).toThrow();
    const swapped = { ...request, request: buildIdaRequest(keys.publicKey, subject).request };
    expect(() => openIdaRequest(keys.privateKey, swapped)).toThrow();
  });

  it('asks for eKYC attributes only when given, on the kyc request', () => {
    const request = buildIdaRequest(keys.publicKey, subject, { kycAttributes: ['name', 'dob'] });
    expect(request).toMatchObject({ id: 'mosip.identity.kyc', allowedKycAttributes: ['name', 'dob'] });
  });

  it('reads match, mismatch by field, unknown IDs and other errors', () => {
    const base = { id: 'mosip.identity.auth', version: '1.0', responseTime: '', transactionID: '1111111111' };
    const sent = ['name', 'birth_date', 'sex'];
    expect(readIdaResponse({ ...base, response: { authStatus: true }, errors: null }, sent)).toEqual({ result: 'match', matched: sent, reference: '1111111111' });
    expect(readIdaResponse({ ...base, response: { authStatus: false }, errors: [{ errorCode: 'IDA-DEA-001', errorMessage: 'Demographic data dob did not match' }] }, sent))
      .toEqual({ result: 'mismatch', matched: ['name', 'sex'], mismatched: ['birth_date'], reference: '1111111111' });
    expect(readIdaResponse({ ...base, response: { authStatus: false }, errors: [{ errorCode: 'IDA-MLC-002', errorMessage: 'Invalid UIN' }] }, sent)).toMatchObject({ result: 'not_found' });
    expect(readIdaResponse({ ...base, response: null, errors: [{ errorCode: 'IDA-MPA-008', errorMessage: 'x' }] }, sent)).toMatchObject({ result: 'error', error: 'IDA-MPA-008' });
    expect(readIdaResponse({} as any, sent)).toMatchObject({ result: 'error', error: 'unexpected_answer' });
  });
});

describe('DCI search answers', () => {
  const person = { idType: 'UIN', idValue: '1', given_name: 'Amina', family_name: 'Okello', birth_date: '1985-04-12', sex: 'female' };
  const answer = (status: string, records: object[] = [], code?: string) => ({ message: { correlation_id: 'c-1', search_response: [{ status, ...(code ? { status_reason_code: code } : {}), data: { reg_records: records } }] } });

  it('compares name (either order, accents and case aside), birth date and sex in the hub', () => {
    expect(readSearchAnswer(answer('succ', [{ name: { given_name: 'AMÍNA', surname: 'okello' }, birth_date: '1985-04-12T00:00:00', sex: 'female' }]), person))
      .toEqual({ result: 'match', matched: ['name', 'birth_date', 'sex'], reference: 'c-1' });
    expect(readSearchAnswer(answer('succ', [{ name: { given_name: 'Amina', surname: 'Okello' }, birth_date: '1985-04-21', sex: 'male' }]), person))
      .toMatchObject({ result: 'mismatch', matched: ['name'], mismatched: ['birth_date', 'sex'] });
    expect(readSearchAnswer(answer('succ', []), person)).toMatchObject({ result: 'not_found' });
    expect(readSearchAnswer(answer('rjct', [], 'rjct.search_criteria.invalid'), person)).toMatchObject({ result: 'error', error: 'rjct.search_criteria.invalid' });
  });
});

describe('who a run verifies', () => {
  const id = (n: number) => `01a21500-0000-7000-8000-00000000000${n}`;
  const event = (topic: string, n: number, fields?: string[]) => ({ ...(fields ? { fields } : {}), event: { id: String(n), topic, aggregateType: 'person', aggregateId: id(n) } });

  it('takes registered persons, changed persons only when what the ID system checks changed, and on-demand lists', () => {
    expect(personIdsOf([event('person.registered', 1), event('person.updated', 2, ['phone']), event('person.updated', 3, ['identifiers']), event('person.updated', 1, ['birth_date'])]))
      .toEqual([id(1), id(3)]);
    expect(personIdsOf({ personIds: [id(4), 'not-an-id', id(4)] })).toEqual([id(4)]);
  });

  it('passes a case only when every member with an ID matched; an outage goes to review, a mismatch fails', () => {
    expect(caseResult([{ member_index: 0, result: 'match' }]).outcome).toBe('passed');
    expect(caseResult([{ member_index: 0, result: 'match' }, { member_index: 1, result: 'error' }])).toMatchObject({ outcome: 'needs_review', reason: 'id_system_unavailable' });
    expect(caseResult([{ member_index: 0, result: 'mismatch' }, { member_index: 1, result: 'match' }])).toMatchObject({ outcome: 'failed', reason: 'id_mismatch' });
    expect(caseResult([{ member_index: 0, result: 'not_found' }])).toMatchObject({ outcome: 'failed', reason: 'id_not_found' });
    expect(caseResult([{ member_index: 0, result: 'refused' }])).toMatchObject({ outcome: 'skipped', reason: 'consent_refused' });
    expect(caseResult([])).toMatchObject({ outcome: 'skipped', reason: 'no_national_id' });
    expect(caseResult([{ member_index: 0, result: 'match' }, { member_index: 1, result: 'incomplete' }])).toMatchObject({ outcome: 'needs_review', reason: 'id_not_verified_for_all' });
  });
});
