// THE policy function: whether a person's data may go to a recipient for a purpose, and which categories of it. Every
// path that discloses personal data asks here (registry reads by clients, DCI search and notify, exports, connector
// pushes). Inputs: the caller's scopes, the purpose, the published agreements (lawful basis, recipients, categories)
// and each person's consents at this instant. Every decision is audited; any error refuses everything.
import { auditEntries, type AuditEntry } from '../core/audit/entry.js';
import type { Ctx } from '../core/server/context.js';
import { isDataCategory, type DataCategory } from './categories.js';
import { inForce } from './records.js';
import { consentStore, recipientForms, type AgreementRow, type ConsentWithAgreement } from './store.js';
import { verifyConsentToken } from './tokens.js';
import { NO_CONSENT_NEEDED } from './types.js';

export interface DisclosureRequest {
  purpose: string | undefined; // purpose code (X-Purpose header or DCI consent/authorize purpose.code)
  recipient: string; // the caller's client id (principal.id for clients) or a program id
  personIds: string[]; // whose data would be disclosed
  presentedTokens?: string[]; // consent tokens presented by the caller (DCI search_criteria.consent)
  /**
   * The published agreements for this purpose and recipient, when the caller has just read them for this same
   * request (publishedAgreements): a search reads them once for its SQL condition and once more here otherwise.
   */
  agreements?: AgreementRow[];
  /**
   * Further entries for the same audit write as the decisions, made from them: what the caller will show (a read's
   * own entry). One group commit instead of two on the way to the answer; all of them are committed, or nothing is
   * disclosed.
   */
  alsoAudit?: (decisions: Map<string, DisclosureDecision>) => readonly AuditEntry[];
}

export interface DisclosureDecision {
  personId: string;
  allowed: boolean;
  categories: ReadonlySet<DataCategory>; // empty when not allowed
  consentId?: string; // the consent (or agreement, for legal_obligation/public_task) relied on
  /**
   * Stable code: consent.given, lawful_basis.<basis>, consent.none, consent.expired, consent.withdrawn, consent.refused,
   * consent.not_yet_valid, purpose.missing, purpose.mismatch, recipient.mismatch, scope.missing, token.<result>, error.
   */
  reason: string;
}

/** Scopes under which a caller may receive personal data at all (the consent decides the rest). */
export const DISCLOSING_SCOPES = ['registry.read', 'registry.search'];
const NOTHING: ReadonlySet<DataCategory> = new Set();

/** Decides for each person, audits every decision (ctx.audit), fails closed (any error -> all refused). */
export async function decideDisclosure(ctx: Ctx, request: DisclosureRequest): Promise<Map<string, DisclosureDecision>> {
  const personIds = [...new Set(request.personIds)];
  const refuseAll = (reason: string) => new Map(personIds.map((personId) => [personId, { personId, allowed: false, categories: NOTHING, reason }]));
  let decisions: Map<string, DisclosureDecision>;
  try {
    decisions = await decide(ctx, { ...request, personIds });
  } catch (err) {
    ctx.log.error({ err: (err as Error).message }, 'consent decision failed; nothing disclosed');
    decisions = refuseAll('error');
  }
  try {
    await ctx.audit.recordReads([...auditEntries(ctx, [...decisions.values()].map((d) => ({
      action: 'verify' as const,
      entity: 'consent_decision',
      entityId: d.consentId ?? null,
      subjectPersonId: d.personId,
      fields: [...d.categories].sort(),
      outcome: d.allowed ? ('success' as const) : ('denied' as const),
      details: { purpose: request.purpose ?? null, recipient: request.recipient, reason: d.reason },
    }))), ...(request.alsoAudit?.(decisions) ?? [])]);
  } catch (err) {
    // an unaudited decision must not disclose
    ctx.log.error({ err: (err as Error).message }, 'consent decisions could not be audited; nothing disclosed');
    return refuseAll('error');
  }
  return decisions;
}

async function decide(ctx: Ctx, request: DisclosureRequest): Promise<Map<string, DisclosureDecision>> {
  const { personIds, purpose, recipient } = request;
  const refused = (personId: string, reason: string): DisclosureDecision => ({ personId, allowed: false, categories: NOTHING, reason });
  if (!DISCLOSING_SCOPES.some((s) => ctx.principal.scopes.has(s))) return new Map(personIds.map((id) => [id, refused(id, 'scope.missing')]));
  if (!purpose) return new Map(personIds.map((id) => [id, refused(id, 'purpose.missing')]));
  if (personIds.length === 0) return new Map();

  const agreements = request.agreements ?? (await consentStore.agreementsFor(ctx.db, purpose, recipient));
  const lawful = agreements.filter((a) => NO_CONSENT_NEEDED.has(a.lawful_basis));
  const consents = await consentStore.consentsConcerning(ctx.db, personIds);
  const byPerson = new Map<string, ConsentWithAgreement[]>();
  for (const c of consents) byPerson.set(c.concerns, [...(byPerson.get(c.concerns) ?? []), c]);
  const badTokens = await presentedTokenFailures(ctx, request);

  const now = new Date();
  const decisions = new Map<string, DisclosureDecision>();
  for (const personId of personIds) {
    const tokenFailure = badTokens.get(personId);
    if (tokenFailure) {
      decisions.set(personId, refused(personId, `token.${tokenFailure}`));
      continue;
    }
    const own = byPerson.get(personId) ?? [];
    const covering = own
      .filter((c) => covers(c.agreement, purpose, recipient) && inForce(c, now))
      .sort((x, y) => y.valid_until.getTime() - x.valid_until.getTime());
    if (covering.length === 0 && lawful.length === 0) {
      decisions.set(personId, refused(personId, refusalReason(own, purpose, recipient, now)));
      continue;
    }
    const relied: AgreementRow[] = [...lawful, ...covering.map((c) => c.agreement)];
    decisions.set(personId, {
      personId,
      allowed: true,
      categories: new Set(relied.flatMap((a) => a.categories).filter(isDataCategory)),
      consentId: covering[0]?.id ?? lawful[0].id,
      reason: covering.length ? 'consent.given' : `lawful_basis.${lawful[0].lawful_basis}`,
    });
  }
  return decisions;
}

const covers = (a: AgreementRow, purpose: string, recipient: string) =>
  a.state === 'published' && a.purpose_code === purpose && recipientForms(recipient).some((r) => a.recipients.includes(r));

/** Why nothing covers the person: the most telling of their consents for this purpose and recipient, else a near miss. */
function refusalReason(own: ConsentWithAgreement[], purpose: string, recipient: string, now: Date): string {
  const matching = own.filter((c) => covers(c.agreement, purpose, recipient));
  if (matching.some((c) => c.state === 'withdrawn')) return 'consent.withdrawn';
  if (matching.some((c) => c.state === 'expired' || (c.state === 'given' && c.valid_until <= now))) return 'consent.expired';
  if (matching.some((c) => c.state === 'refused')) return 'consent.refused';
  if (matching.some((c) => c.state === 'given' && c.valid_from > now)) return 'consent.not_yet_valid';
  if (own.some((c) => c.agreement.purpose_code === purpose)) return 'recipient.mismatch';
  if (own.some((c) => recipientForms(recipient).some((r) => c.agreement.recipients.includes(r)))) return 'purpose.mismatch';
  return 'consent.none';
}

/** Tokens the caller presented that do not hold (forged, revoked, expired, another audience or purpose), by person. */
async function presentedTokenFailures(ctx: Ctx, request: DisclosureRequest): Promise<Map<string, string>> {
  const failures = new Map<string, string>();
  for (const token of request.presentedTokens ?? []) {
    const v = await verifyConsentToken(ctx, token, { audience: request.recipient, purpose: request.purpose });
    // a token that names no one we can tell (forged, malformed) cannot be held against a person: it covers no one
    if (v.result !== 'valid' && v.personId) failures.set(v.personId, v.result);
  }
  return failures;
}

/**
 * The published agreements a disclosure for this purpose and recipient could rely on, read now; undefined when the
 * caller may receive nothing anyway (no disclosing scope, no purpose). Pass them on as `agreements` within the same
 * request so the decision reads them once.
 */
export async function publishedAgreements(ctx: Ctx, request: Pick<DisclosureRequest, 'purpose' | 'recipient'>): Promise<AgreementRow[] | undefined> {
  if (!DISCLOSING_SCOPES.some((s) => ctx.principal.scopes.has(s)) || !request.purpose) return undefined;
  return consentStore.agreementsFor(ctx.db, request.purpose, request.recipient);
}

/**
 * For set-based searches: a SQL condition true for the person ids that have a covering consent or agreement now,
 * or null when the purpose/recipient has a lawful basis needing no individual consent (every person is covered),
 * or 'none' when nothing can be disclosed. `param` binds a value and returns its placeholder ($n). The rows found
 * still go through decideDisclosure for their categories and the audit.
 */
export async function coveringConsentCondition(
  ctx: Ctx,
  request: Omit<DisclosureRequest, 'personIds'>,
  personIdColumn: string,
  param: (value: unknown) => string,
): Promise<string | null | 'none'> {
  if (!DISCLOSING_SCOPES.some((s) => ctx.principal.scopes.has(s)) || !request.purpose) return 'none';
  const agreements = request.agreements ?? (await consentStore.agreementsFor(ctx.db, request.purpose, request.recipient));
  if (agreements.length === 0) return 'none';
  const excluded = [...(await presentedTokenFailures(ctx, { ...request, personIds: [] })).keys()];
  const exclusion = excluded.length ? ` and ${personIdColumn} <> all(${param(excluded)}::uuid[])` : '';
  if (agreements.some((a) => NO_CONSENT_NEEDED.has(a.lawful_basis))) return excluded.length ? `(true${exclusion})` : null;
  const ids = param(agreements.map((a) => a.id));
  return `(exists (
    select 1 from consent cc join data_agreement ca on ca.id = cc.agreement_id
    where cc.agreement_id = any(${ids}::uuid[]) and cc.state = 'given' and cc.valid_from <= now() and cc.valid_until > now()
      and (cc.person_id = ${personIdColumn} or (ca.household_consent and cc.for_household_id is not null and exists (
        select 1 from membership cm join household ch on ch.id = cm.household_id
        where cm.household_id = cc.for_household_id and cm.person_id = ${personIdColumn} and cm.end_date is null
          and ch.head_person_id = cc.person_id))))${exclusion})`;
}
