// Turns a request's bearer token into a principal: the hub's own tokens (verified with its key store) or
// tokens of a trusted OpenID provider (verified with its JWKS). Anything else is a 401.
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { Bus } from '../cache/index.js';
import type { Config, TrustedIssuer } from '../config.js';
import type { Db } from '../db/index.js';
import type { KeyStore } from '../keys/key-store.js';
import { HubError, unauthorized } from '../server/errors.js';
import { OPEN_ACCESS_PRINCIPAL, type Principal } from '../server/principal.js';
import { tokenEpoch } from './revocation.js';
import { personSessionStatus } from '../portal/session-status.js';

export type Headers = Record<string, string | string[] | undefined>;
export type Authenticator = (headers: Headers) => Promise<Principal>;

const OWN_ALGORITHMS = ['ES256'];
// never symmetric algorithms for tokens from others: a public key must not double as an HMAC secret
const TRUSTED_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'];
const CLOCK_TOLERANCE_S = 30;
// an instance that misses the change message still drops a disabled account's access within this time
const STATUS_CACHE_MS = 10_000;

export interface AuthDeps {
  config: Config;
  db: Db;
  keys: KeyStore;
  bus: Bus;
}

/** Published when a user or client is disabled or changed or its tokens revoked, so every hub instance drops what it cached. */
export const PRINCIPAL_CHANGED = 'auth.principal-changed';
/** Published when a role is created or its scopes change, so every instance re-reads the role table at once. */
export const ROLES_CHANGED = 'auth.roles-changed';

export async function createAuthenticator(deps: AuthDeps): Promise<Authenticator> {
  if (deps.config.auth === 'off') return async () => OPEN_ACCESS_PRINCIPAL;
  const trusted = new Map(deps.config.trustedIssuers.map((i) => [i.issuer, { issuer: i, jwks: createRemoteJWKSet(new URL(i.jwks_uri)) }]));
  const isActive = activeCheck(deps.db);
  await deps.bus.subscribe(PRINCIPAL_CHANGED, (sub) => isActive.forget(sub));
  const scopesOfRoles = roleScopes(deps.db);
  await deps.bus.subscribe(ROLES_CHANGED, () => scopesOfRoles.forget());
  const verified = verifiedTokens();

  return async (headers) => {
    const token = bearerToken(headers);
    let issuer: string | undefined;
    try {
      decodeProtectedHeader(token);
      issuer = decodeJwt(token).iss;
    } catch {
      throw invalidToken('The bearer token is not a JWT.');
    }
    if (issuer === deps.config.tokenIssuer) {
      const payload = verified.get(token) ?? verified.remember(token, await verifyOwn(token, deps));
      const account = await isActive(payload.sub!);
      if (!account.active) throw invalidToken('The account behind this token is disabled.');
      if (tokenEpoch(payload) !== account.epoch) throw invalidToken('The access token was revoked (password changed, secret rotated or access changed); request a new one.');
      // a beneficiary's account is linked to their person record (consent.self acts on that person only)
      return account.personId ? { ...ownPrincipal(payload), subject: account.personId } : ownPrincipal(payload);
    }
    const external = issuer ? trusted.get(issuer) : undefined;
    if (!external) throw invalidToken('The token was not issued by this hub or a provider it trusts.');
    const principal = externalPrincipal(external.issuer, await verifyWith(token, external.jwks, external.issuer));
    return { ...principal, scopes: await scopesOfRoles(principal.roles ?? []) };
  };
}

function bearerToken(headers: Headers): string {
  const header = headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(value) : null;
  if (!match) throw unauthorized('Send an access token: Authorization: Bearer <token> (from POST /oauth2/client/token).');
  return match[1];
}

function invalidToken(message: string): HubError {
  return new HubError(401, 'auth.invalid_token', message, {}, { 'WWW-Authenticate': 'Bearer realm="srhub", error="invalid_token"' });
}

/**
 * The hub's own tokens whose signature this instance has checked, until they expire: an ES256 verification is about
 * a millisecond of CPU, and a client sends the same token with every request (docs/benchmarks.md). Only the
 * signature check is remembered, keyed by the whole token; the account and token-epoch checks run on every request.
 */
export function verifiedTokens(max = 5000) {
  const cache = new Map<string, JWTPayload>();
  return {
    get(token: string): JWTPayload | undefined {
      const payload = cache.get(token);
      if (payload && (payload.exp ?? 0) + CLOCK_TOLERANCE_S > Date.now() / 1000) return payload;
      cache.delete(token); // expired: verified again, and refused
      return undefined;
    },
    remember(token: string, payload: JWTPayload): JWTPayload {
      if (cache.size >= max) cache.clear();
      cache.set(token, payload);
      return payload;
    },
  };
}

async function verifyOwn(token: string, deps: AuthDeps): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = header.kid ? await deps.keys.verificationKey(header.kid) : undefined;
        if (!key) throw new Error('unknown key');
        return key;
      },
      {
        issuer: deps.config.tokenIssuer,
        audience: deps.config.tokenIssuer,
        algorithms: OWN_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      },
    );
    return payload;
  } catch {
    throw invalidToken('The access token is invalid or expired; request a new one.');
  }
}

async function verifyWith(token: string, jwks: ReturnType<typeof createRemoteJWKSet>, issuer: TrustedIssuer): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, jwks, {
      issuer: issuer.issuer,
      audience: issuer.audience,
      algorithms: TRUSTED_ALGORITHMS,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['sub', 'exp'],
    });
    return payload;
  } catch {
    throw invalidToken('The access token is invalid or expired; request a new one.');
  }
}

function ownPrincipal(payload: JWTPayload): Principal {
  const sub = payload.sub!;
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  return {
    id: sub,
    kind: sub.startsWith('client:') ? 'client' : 'user',
    // a one-time password must be changed before the token grants anything
    scopes: new Set(payload.pwd_change ? [] : scopes),
    areas: Array.isArray(payload.areas) ? (payload.areas as string[]) : null,
    passwordChangeRequired: payload.pwd_change === true,
  };
}

/** An external user: roles from the configured claim, mapped to the hub's scopes when the token is issued. */
function externalPrincipal(issuer: TrustedIssuer, payload: JWTPayload): Principal {
  const roles = payload[issuer.roles_claim ?? 'roles'];
  const areas = payload[issuer.areas_claim ?? 'areas'];
  return {
    id: `oidc:${issuer.issuer}:${payload.sub}`,
    kind: 'user',
    scopes: new Set(),
    roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [],
    areas: Array.isArray(areas) ? areas.filter((a): a is string => typeof a === 'string') : null,
  };
}

/**
 * The scopes of the hub's roles among these names (unknown names grant nothing). The role table is re-read each
 * minute, and at once when ROLES_CHANGED drops it (from any instance); a read that started before the drop is not
 * kept, so a scope taken away cannot linger.
 */
function roleScopes(db: Db): ((roles: readonly string[]) => Promise<Set<string>>) & { forget(): void } {
  let table: { at: number; scopes: Map<string, string[]> } | undefined;
  let generation = 0;
  const scopes = async (roles: readonly string[]) => {
    let current = table;
    if (!current || Date.now() - current.at > 60_000) {
      const started = generation;
      const rows = await db.query<{ name: string; scopes: string[] }>('select name, scopes from role');
      current = { at: Date.now(), scopes: new Map(rows.map((r) => [r.name, r.scopes])) };
      if (started === generation) table = current;
    }
    return new Set(roles.flatMap((r) => current!.scopes.get(r) ?? []));
  };
  return Object.assign(scopes, {
    forget() {
      generation += 1;
      table = undefined;
    },
  });
}

interface AccountStatus {
  active: boolean;
  /** The person a user account is linked to (a beneficiary). */
  personId: string | null;
  /** Tokens issued at another epoch are revoked (revocation.ts). */
  epoch: number;
}

/**
 * Whether the user or client of a token still exists and is enabled, and its token epoch (cached briefly; dropped
 * on a change). A read that started before a drop is not cached, so a revocation cannot be undone by a slow read.
 */
function activeCheck(db: Db): ((sub: string) => Promise<AccountStatus>) & { forget(sub: string): void } {
  const cache = new Map<string, AccountStatus & { at: number }>();
  let generation = 0;
  const check = async (sub: string): Promise<AccountStatus> => {
    const hit = cache.get(sub);
    if (hit && Date.now() - hit.at < STATUS_CACHE_MS) return hit;
    const started = generation;
    const [kind, id] = [sub.slice(0, sub.indexOf(':')), sub.slice(sub.indexOf(':') + 1)];
    const rows =
      kind === 'user'
        ? await db.query<{ person_id: string | null; token_epoch: number }>('select person_id, token_epoch from app_user where username = $1 and disabled_at is null', [id])
        : kind === 'client'
          ? await db.query<{ person_id: null; token_epoch: number }>('select null as person_id, token_epoch from api_client where client_id = $1 and disabled_at is null', [id])
          : kind === 'person'
            ? await personSessionStatus(db, id)
            : kind === 'applicant'
              ? [{ person_id: null, token_epoch: 0 }] // a verified phone's pseudonym: nothing to disable (core/portal)
              : [];
    if (cache.size > 10_000) cache.clear();
    const status = { active: rows.length > 0, personId: rows[0]?.person_id ?? null, epoch: rows[0]?.token_epoch ?? 0 };
    if (started === generation) cache.set(sub, { ...status, at: Date.now() });
    return status;
  };
  return Object.assign(check, {
    forget: (sub: string) => {
      generation += 1;
      cache.delete(sub);
    },
  });
}
