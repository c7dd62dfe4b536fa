// The verify job: asks the national ID system whether each subject's ID number, name and birth date belong together
// (MOSIP-style demographic authentication, or a DCI search compared here), records a verification record per
// subject, and for a registration case returns the check's result. Only what the consent allows goes out; eKYC
// attributes are asked for only in the categories it covers. A retried run finds its records and asks nothing again.
import { auditEntries } from '../../core/audit/entry.js';
import { signEnvelope } from '../../core/dci/signature.js';
import { recordVerification, verificationByDedupeKey, type VerificationDetails } from '../../core/verification/index.js';
import type { CheckResult } from '../../core/workflow/checks.js';
import { BreakerOpenError } from '../framework/breaker.js';
import { fn } from '../framework/openfn.js';
import type { HubOperations, Operation, State } from '../framework/types.js';
import { readConfig, EKYC_CATEGORY, type NationalIdConfig } from './config.js';
import { buildSearch, DCI_SEARCH_PATH, readSearchAnswer } from './dci.js';
import { allowedCategories } from './disclosure.js';
import { buildIdaRequest, readIdaResponse, type Outcome } from './mosip.js';
import { caseSubjects, isCaseData, personIdsOf, personSubject, type Subject } from './subjects.js';

// what demographic authentication sends: the ID number, the name, birth date and sex
const REQUIRED = ['identifiers', 'name', 'demographics'];

export type SubjectOutcome = Outcome | { result: 'refused' };

export function verifyJob(hub: HubOperations): Operation[] {
  return [
    fn(async (state: State) => {
      const config = readConfig(state.configuration);
      if (isCaseData(state.data)) state.check = await verifyCase(hub, config, state.data);
      else state.personIds = personIdsOf(state.data);
      return state;
    }),
    hub.eachItem<string>(
      (state) => (state.personIds as string[] | undefined) ?? [],
      async (personId, state) => {
        const config = readConfig(state.configuration);
        const subject = await personSubject(hub.ctx.db, hub.ctx.secrets, personId, config.idType);
        if (typeof subject === 'string') {
          hub.count(`skipped.${subject}`);
          return;
        }
        const outcome = await verifySubject(hub, config, subject, `national-id:run:${hub.runId}:${personId}`);
        // an unanswered check goes to the dead letters, so an administrator can run it again once the system is back
        if (outcome.result === 'error') throw new Error(`the ID system did not answer (${outcome.error})`);
      },
    ),
    fn((state: State) => {
      hub.result(state.check ?? { persons: ((state.personIds as string[] | undefined) ?? []).length });
      return state;
    }),
  ];
}

/** Each member of a case with a national ID; the check passes when all match. */
async function verifyCase(hub: HubOperations, config: NationalIdConfig, data: { caseId: string; household: any }): Promise<CheckResult> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const members: Record<string, unknown>[] = [];
  for (const { memberIndex, subject } of await caseSubjects(hub.ctx.db, hub.ctx.secrets, data, config.idType)) {
    if (typeof subject === 'string') {
      if (subject !== 'no_national_id') members.push({ member_index: memberIndex, result: subject });
      continue;
    }
    // the same member data checked again (a retried check) is the same piece of work
    const fingerprint = hub.ctx.secrets.index('national-id:subject', JSON.stringify([subject.idType, subject.idValue, subject.given_name, subject.family_name, subject.other_names, subject.birth_date, subject.sex]));
    const outcome = await verifySubject(hub, config, subject, `national-id:case:${data.caseId}:${memberIndex}:${fingerprint}`);
    members.push({ member_index: memberIndex, result: outcome.result, ...('mismatched' in outcome ? { mismatched: outcome.mismatched } : {}), ...('error' in outcome ? { error: outcome.error } : {}) });
  }
  return caseResult(members);
}

export function caseResult(members: Record<string, unknown>[]): CheckResult {
  const results = members.map((m) => m.result as string);
  const details = { members };
  const checked = results.filter((r) => r !== 'incomplete' && r !== 'unknown_person');
  if (checked.length === 0) return { check: 'id-verification', outcome: 'skipped', reason: results.length ? 'id_data_incomplete' : 'no_national_id', details };
  if (results.includes('error')) return { check: 'id-verification', outcome: 'needs_review', reason: 'id_system_unavailable', details };
  if (results.includes('mismatch')) return { check: 'id-verification', outcome: 'failed', reason: 'id_mismatch', details };
  if (results.includes('not_found')) return { check: 'id-verification', outcome: 'failed', reason: 'id_not_found', details };
  if (checked.every((r) => r === 'refused')) return { check: 'id-verification', outcome: 'skipped', reason: 'consent_refused', details };
  if (results.some((r) => r === 'refused' || r === 'incomplete')) return { check: 'id-verification', outcome: 'needs_review', reason: 'id_not_verified_for_all', details };
  return { check: 'id-verification', outcome: 'passed', details };
}

/** One subject: consent, the call (unless this work was done already), the record. */
export async function verifySubject(hub: HubOperations, config: NationalIdConfig, subject: Subject, dedupeKey: string): Promise<SubjectOutcome> {
  const done = await verificationByDedupeKey(hub.ctx.db, dedupeKey);
  if (done) {
    hub.count('verifications.already_recorded');
    return done.result === 'match' ? { result: 'match', matched: done.details.matched ?? [] }
      : done.result === 'mismatch' ? { result: 'mismatch', matched: done.details.matched ?? [], mismatched: done.details.mismatched ?? [] }
        : done.result === 'not_found' ? { result: 'not_found' } : { result: 'error', error: done.details.error ?? 'error' };
  }
  const ekycWanted = config.protocol === 'mosip' && config.ekyc ? [...new Set(config.ekycAttributes.map((a) => EKYC_CATEGORY[a]))] : [];
  const categories = await allowedCategories(hub, subject, config.purpose, [...new Set([...REQUIRED, ...ekycWanted])]);
  if (!REQUIRED.every((c) => categories.has(c))) {
    hub.count('verifications.refused');
    return { result: 'refused' };
  }
  const kycAttributes = config.ekyc && config.protocol === 'mosip' ? config.ekycAttributes.filter((a) => categories.has(EKYC_CATEGORY[a])) : [];
  const outcome = await ask(hub, config, subject, kycAttributes.length ? kycAttributes : undefined);
  const details: VerificationDetails = {
    id_type: subject.idType,
    run_id: hub.runId,
    ...('matched' in outcome && outcome.matched.length ? { matched: outcome.matched } : {}),
    ...('mismatched' in outcome ? { mismatched: outcome.mismatched } : {}),
    ...(outcome.reference && /^[A-Za-z0-9_.:-]{1,100}$/.test(outcome.reference) ? { reference: outcome.reference } : {}),
    ...('error' in outcome ? { error: outcome.error } : {}),
    // the attributes' names only: their values are not kept
    ...('identity' in outcome && outcome.identity ? { ekyc_attributes: Object.keys(outcome.identity).filter((k) => /^[A-Za-z]{1,40}$/.test(k)) } : {}),
  };
  await hub.transaction(async (tx) => {
    const { created } = await recordVerification(tx, {
      personId: subject.personId,
      caseId: subject.personId ? undefined : subject.caseId,
      memberIndex: subject.personId ? undefined : subject.memberIndex,
      method: config.protocol === 'mosip' ? 'demographic_auth' : 'dci_search',
      system: `${hub.connectorId}/${config.protocol === 'mosip' ? 'mosip-ida' : 'dci'}`,
      result: outcome.result,
      details,
      recordedBy: hub.ctx.principal.id,
      dedupeKey,
    });
    if (created) {
      await hub.ctx.audit.recordIn(tx, auditEntries(hub.ctx, [{
        action: 'verify', entity: 'person_verification', entityId: subject.personId ?? subject.caseId, subjectPersonId: subject.personId ?? null,
        fields: ['identifiers', 'given_name', 'family_name', 'birth_date', ...(subject.sex ? ['sex'] : [])],
        outcome: outcome.result === 'error' ? 'error' : 'success',
        details: { result: outcome.result, system: hub.connectorId, ...(subject.caseId ? { case_id: subject.caseId, member_index: subject.memberIndex } : {}) },
      }]));
    }
  });
  hub.count(`verifications.${outcome.result}`);
  return outcome;
}

/** The call to the ID system; every failure becomes an 'error' outcome with a code, never the message's data. */
async function ask(hub: HubOperations, config: NationalIdConfig, subject: Subject, kycAttributes?: string[]): Promise<Outcome> {
  try {
    if (config.protocol === 'mosip') {
      const sent = ['name', 'birth_date', ...(subject.sex ? ['sex'] : [])];
      const name = [subject.given_name, subject.other_names, subject.family_name].filter(Boolean).join(' ');
      const body = buildIdaRequest(config.idaPublicKey!, { idValue: subject.idValue, idType: subject.idType, demographics: { name, birth_date: subject.birth_date, sex: subject.sex } }, { kycAttributes });
      const path = [kycAttributes ? 'kyc' : 'auth', config.mispLicenseKey!, config.partnerId!, config.apiKey!].map(encodeURIComponent).join('/');
      // authentication changes nothing at the IDA: a retry is safe
      const res = await hub.http({ method: 'POST', url: `${config.baseUrl}/idauthentication/v1/${path}`, body, timeoutMs: config.requestTimeoutMs, retry: true });
      if (res.status !== 200) return { result: 'error', error: `http_${res.status}` };
      return readIdaResponse(res.body, sent);
    }
    const { header, message } = buildSearch(subject, { senderId: config.dciSenderId, receiverId: config.dciReceiverId, regType: config.dciRegType, purpose: config.purpose });
    const signature = config.signDciMessages ? await signEnvelope(hub.ctx.keys, config.dciSenderId, header, message) : undefined;
    const res = await hub.http({
      method: 'POST',
      url: `${config.baseUrl}${DCI_SEARCH_PATH}`,
      headers: config.dciToken ? { authorization: `Bearer ${config.dciToken}` } : {},
      body: { ...(signature ? { signature } : {}), header, message },
      timeoutMs: config.requestTimeoutMs,
      retry: true,
    });
    if (res.status !== 200) return { result: 'error', error: `http_${res.status}` };
    return readSearchAnswer(res.body, subject);
  } catch (err) {
    return { result: 'error', error: errorCode(err) };
  }
}

export function errorCode(err: unknown): string {
  if (err instanceof BreakerOpenError) return 'breaker_open';
  const status = (err as { status?: number })?.status;
  if (typeof status === 'number') return `http_${status}`;
  const message = String((err as Error)?.message ?? '');
  if (/timed out/i.test(message)) return 'timeout';
  return 'unavailable';
}
