// Consent tokens: a given consent as a signed JWT (ES256, kid from the hub's JWKS) anyone can verify offline with the
// JWKS and the status list, the same consent as a W3C Verifiable Credential 2.0 (vc+jwt) for wallets, and a signed
// consent receipt. Verification inside the hub reads the consent's state (no status list cache window).
import { compactVerify, decodeProtectedHeader, errors as joseErrors, SignJWT, type JWTPayload } from 'jose';
import type { Ctx } from '../core/server/context.js';
import { pairwiseSubject } from './pairwise.js';
import { hubBaseUrl, statusListUri } from './status-list.js';
import { recipientForms, type ConsentWithAgreement } from './store.js';

export const CONSENT_TOKEN_TYPE = 'consent+jwt';
const CLOCK_TOLERANCE_S = 30;

export type TokenResult =
  | 'valid'
  | 'expired'
  | 'not_yet_valid'
  | 'revoked'
  | 'wrong_audience'
  | 'wrong_purpose'
  | 'invalid_signature'
  | 'malformed';

type Deps = Pick<Ctx, 'keys' | 'config' | 'secrets' | 'db'>;

/** The JWT id of a consent's token: the consent and its revision (a renewal issues a new token). */
export const tokenId = (consent: { id: string; revision: number }) => `${consent.id}.${consent.revision}`;
const consentIdOf = (jti: string) => /^([0-9a-f-]{36})\.\d+$/.exec(jti)?.[1];

function consentClaims(deps: Deps, c: ConsentWithAgreement) {
  const a = c.agreement;
  return {
    sub: pairwiseSubject(deps.secrets, c.person_id, a.recipients),
    purposes: [a.purpose_code],
    data_categories: a.categories,
    lawful_basis: a.lawful_basis,
    agreement: { id: a.id, code: a.code, version: a.version, hash: c.agreement_hash },
    status: { status_list: { idx: c.status_idx!, uri: statusListUri(deps.config, c.status_list_id!) } },
  };
}

/** The consent token of a given consent (its expiry is the consent's valid_until). */
export async function issueConsentToken(deps: Deps, c: ConsentWithAgreement): Promise<string> {
  const key = await deps.keys.signingKey();
  const { sub, ...claims } = consentClaims(deps, c);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CONSENT_TOKEN_TYPE })
    .setIssuer(deps.config.tokenIssuer)
    .setSubject(sub)
    .setAudience(c.agreement.recipients)
    .setJti(tokenId(c))
    .setIssuedAt()
    .setNotBefore(Math.floor(c.valid_from.getTime() / 1000))
    .setExpirationTime(Math.floor(c.valid_until.getTime() / 1000))
    .sign(key.privateKey);
}

/** The same consent as a Verifiable Credential 2.0 secured with JOSE, its status a BitstringStatusListEntry. */
export async function issueConsentCredential(deps: Deps, c: ConsentWithAgreement): Promise<string> {
  const key = await deps.keys.signingKey();
  const { sub, status, ...claims } = consentClaims(deps, c);
  const uri = status.status_list.uri;
  const credential = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: `urn:uuid:${c.id}`,
    type: ['VerifiableCredential', 'ConsentCredential'],
    issuer: hubBaseUrl(deps.config),
    validFrom: c.valid_from.toISOString(),
    validUntil: c.valid_until.toISOString(),
    credentialSubject: { id: `urn:srhub:pairwise:${sub}`, recipients: c.agreement.recipients, ...claims },
    credentialStatus: {
      id: `${uri}#${status.status_list.idx}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(status.status_list.idx),
      statusListCredential: `${uri}?format=vc`,
    },
  };
  return new SignJWT(credential)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'vc+jwt', cty: 'vc' })
    .setIssuer(hubBaseUrl(deps.config))
    .setJti(`urn:uuid:${c.id}`)
    .setIssuedAt()
    .sign(key.privateKey);
}

/** A signed copy of a consent receipt the person can keep. */
export async function signReceipt(deps: Deps, receipt: Record<string, unknown>): Promise<string> {
  const key = await deps.keys.signingKey();
  return new SignJWT(receipt)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'consent-receipt+jwt' })
    .setIssuer(deps.config.tokenIssuer)
    .setIssuedAt()
    .sign(key.privateKey);
}

export interface Verification {
  result: TokenResult;
  /** The consent the token stands for (known once its signature verified). */
  consentId?: string;
  personId?: string;
  claims?: JWTPayload;
}

/**
 * Verifies a consent token as the hub: signature with a key it still publishes, then the consent's state now
 * (withdrawn = revoked), validity, audience and purpose. `expect` fields left out are not checked.
 */
export async function verifyConsentToken(deps: Deps, token: string, expect: { audience?: string; purpose?: string } = {}): Promise<Verification> {
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    if (header.typ !== CONSENT_TOKEN_TYPE) return { result: 'malformed' };
    kid = header.kid;
  } catch {
    return { result: 'malformed' };
  }
  const key = kid ? await deps.keys.verificationKey(kid) : undefined;
  if (!key) return { result: 'invalid_signature' };
  let claims: JWTPayload;
  try {
    // the signature only: time is judged below from the consent itself, so a withdrawn, expired token reads as revoked
    const { payload } = await compactVerify(token, key, { algorithms: ['ES256'] });
    claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
  } catch (err) {
    return { result: err instanceof joseErrors.JWSSignatureVerificationFailed ? 'invalid_signature' : 'malformed' };
  }
  if (claims.iss !== deps.config.tokenIssuer) return { result: 'invalid_signature' };
  const consentId = typeof claims.jti === 'string' ? consentIdOf(claims.jti) : undefined;
  if (!consentId) return { result: 'malformed' };
  // the key must still be published (the KeyStore caches keys it has seen; a retired key past its expiry is out)
  const [row] = await deps.db.query<{ key_live: boolean; state: string | null; person_id: string | null }>(
    `select exists (select 1 from signing_key where kid = $1 and (expires_at is null or expires_at > now())) as key_live,
            (select state from consent where id = $2) as state, (select person_id from consent where id = $2) as person_id`,
    [kid, consentId],
  );
  if (!row.key_live) return { result: 'invalid_signature' };
  if (!row.state || !row.person_id) return { result: 'malformed' };
  const found = { consentId, personId: row.person_id, claims };
  const now = Date.now() / 1000;
  if (row.state === 'withdrawn') return { result: 'revoked', ...found };
  if (row.state === 'expired' || (claims.exp !== undefined && claims.exp <= now - CLOCK_TOLERANCE_S)) return { result: 'expired', ...found };
  if (claims.nbf !== undefined && claims.nbf > now + CLOCK_TOLERANCE_S) return { result: 'not_yet_valid', ...found };
  const audience = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
  if (expect.audience !== undefined && !recipientForms(expect.audience).some((r) => audience.includes(r))) return { result: 'wrong_audience', ...found };
  const purposes = Array.isArray(claims.purposes) ? (claims.purposes as unknown[]) : [];
  if (expect.purpose !== undefined && !purposes.includes(expect.purpose)) return { result: 'wrong_purpose', ...found };
  return { result: 'valid', ...found };
}
