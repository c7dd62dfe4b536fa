// Person-scoped access tokens: what a verified one-time code (or the national ID sign-in, OpenID Connect) turns
// into. A person signs in as `person:<id>` with the scopes of the built-in role `beneficiary` (their consents, their
// record, corrections, their access log); someone not registered, whose phone was verified, as `applicant:<pseudonym>`
// with the role `applicant` (submit a registration, follow it). Both are the hub's own ES256 tokens, checked like any
// other by core/auth/authenticate.ts, which gives a person's principal `subject` = the person.
import { auditEntries } from '../audit/entry.js';
import { scopesOf } from '../auth/roles.js';
import { issueAccessToken } from '../auth/tokens.js';
import type { Ctx } from '../server/context.js';

/** Shorter than staff tokens: a shared or borrowed phone should not stay signed in for long. */
export const PORTAL_TOKEN_TTL_S = 900;

/** The answer of every portal sign-in (OTP, national ID): openapi/hub/portal.yaml PortalSession. */
export interface PortalSession {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  subject_kind: 'person' | 'applicant';
  person_id?: string;
}

/** The audit entries of a sign-in name who signed in (the request itself had no token). */
const as = (ctx: Ctx, id: string): Ctx => ({ ...ctx, principal: { id, kind: 'user', scopes: new Set(), areas: null } });

async function issue(ctx: Ctx, sub: string, role: string): Promise<Omit<PortalSession, 'subject_kind'>> {
  const scopes = await scopesOf(ctx.db, [role], 'roles');
  const ttl = Math.min(ctx.config.tokenTtlSeconds, PORTAL_TOKEN_TTL_S);
  return issueAccessToken(ctx.keys, { tokenIssuer: ctx.config.tokenIssuer, tokenTtlSeconds: ttl }, { sub, roles: [role], scopes, areas: null });
}

/**
 * A token speaking for a registered person. `method` says how they proved who they are ('otp', 'oidc'), for the
 * audit trail: the sign-in is an entry in the person's own access log.
 */
export async function issuePersonSession(ctx: Ctx, personId: string, method: string): Promise<PortalSession> {
  const token = await issue(ctx, `person:${personId}`, 'beneficiary');
  await ctx.audit.recordReads(auditEntries(as(ctx, `person:${personId}`), [{ action: 'verify', entity: 'portal_session', entityId: personId, subjectPersonId: personId, details: { method } }]));
  return { ...token, subject_kind: 'person', person_id: personId };
}

/** A token for an applicant with a verified phone: may submit a registration and read its own cases only. */
export async function issueApplicantSession(ctx: Ctx, applicantId: string, method: string): Promise<PortalSession> {
  const token = await issue(ctx, `applicant:${applicantId}`, 'applicant');
  await ctx.audit.recordReads(auditEntries(as(ctx, `applicant:${applicantId}`), [{ action: 'verify', entity: 'portal_session', entityId: `applicant:${applicantId}`, details: { method } }]));
  return { ...token, subject_kind: 'applicant' };
}
