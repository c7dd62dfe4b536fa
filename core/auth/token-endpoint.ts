// POST /oauth2/client/token (SPDCI authz: client_credentials) and POST /oauth2/token (also the password grant for
// people). Errors follow RFC 6749 section 5.2 ({error, error_description}), not problem+json, as OAuth clients expect.
import { decodeJwt, importJWK, jwtVerify, type JWTPayload } from 'jose';
import type { Response } from 'express';
import type { Cache } from '../cache/index.js';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { KeyStore } from '../keys/key-store.js';
import type { ApiRequest, Handlers } from '../server/handlers.js';
import type { Ctx } from '../server/context.js';
import { claimAssertion, clientById, type ClientRow } from './clients.js';
import { scopesOf } from './roles.js';
import { decoyHash, verifySecret } from './secrets-hash.js';
import { issueAccessToken, type TokenResponse } from './tokens.js';
import { userByName } from './users.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_S = 300;
const FAILURE_WINDOW_S = 900;
const MAX_FAILURES = 10;

class OAuthError extends Error {
  constructor(readonly status: number, readonly error: string, description: string) {
    super(description);
  }
}

export interface TokenDeps {
  config: Config;
  db: Db;
  cache: Cache;
  keys: KeyStore;
}

export function tokenRoutes(deps: TokenDeps): Handlers {
  const handle = (grants: string[]) => async (_ctx: Ctx, req: ApiRequest, res: Response) => {
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    try {
      res.json(await grant(deps, req, grants));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      if (err.status === 401) res.set('WWW-Authenticate', 'Basic realm="srhub"');
      res.status(err.status).json({ error: err.error, error_description: err.message });
    }
  };
  return {
    requestClientToken: handle(['client_credentials']),
    requestToken: handle(['client_credentials', 'password']),
  };
}

async function grant(deps: TokenDeps, req: ApiRequest, grants: string[]): Promise<TokenResponse> {
  const body = (req.body ?? {}) as Record<string, string | undefined>;
  const grantType = body.grant_type;
  if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is required.');
  if (!grants.includes(grantType)) throw new OAuthError(400, 'unsupported_grant_type', `Use grant_type ${grants.join(' or ')}.`);
  const requested = body.scope?.split(' ').filter(Boolean);
  if (grantType === 'password') return passwordGrant(deps, body, requested);
  const client = await authenticateClient(deps, req, body);
  const scopes = narrow(await scopesOf(deps.db, client.roles, 'roles'), requested);
  return issueAccessToken(deps.keys, deps.config, { sub: `client:${client.client_id}`, roles: client.roles, scopes, areas: client.areas, epoch: client.token_epoch });
}

function narrow(granted: string[], requested: string[] | undefined): string[] {
  if (!requested) return granted;
  const extra = requested.filter((s) => !granted.includes(s));
  if (extra.length) throw new OAuthError(400, 'invalid_scope', `Not granted to this caller: ${extra.join(', ')}.`);
  return requested;
}

/** Repeated failures for one account or address are slowed down: 10 in 15 minutes, then 429 until the window ends. */
async function guardFailures(deps: TokenDeps, keys: string[], failed: boolean): Promise<void> {
  if (!failed) {
    for (const key of keys) if (Number((await deps.cache.get(key)) ?? 0) >= MAX_FAILURES) throw new OAuthError(429, 'slow_down', 'Too many failed attempts; try again later.');
    return;
  }
  for (const key of keys) await deps.cache.increment(key, FAILURE_WINDOW_S);
}

async function passwordGrant(deps: TokenDeps, body: Record<string, string | undefined>, requested?: string[]): Promise<TokenResponse> {
  const { username, password } = body;
  if (!username || !password) throw new OAuthError(400, 'invalid_request', 'username and password are required.');
  const failureKeys = [`auth-fail:user:${username.toLowerCase()}`];
  await guardFailures(deps, failureKeys, false);
  const user = await userByName(deps.db, username);
  // compare against a decoy when the user does not exist, so timing does not reveal usernames
  const ok = (await verifySecret(password, user?.password_hash ?? (await decoyHash()))) && user !== undefined && user.disabled_at === null;
  if (!ok) {
    await guardFailures(deps, failureKeys, true);
    throw new OAuthError(400, 'invalid_grant', 'The username or password is wrong, or the account is disabled.');
  }
  const scopes = narrow(await scopesOf(deps.db, user.roles, 'roles'), requested);
  return issueAccessToken(deps.keys, deps.config, {
    sub: `user:${user.username}`,
    roles: user.roles,
    scopes,
    areas: user.areas,
    passwordChangeRequired: user.must_change_password,
    epoch: user.token_epoch,
  });
}

/** client_secret_basic, client_secret_post or private_key_jwt. */
async function authenticateClient(deps: TokenDeps, req: ApiRequest, body: Record<string, string | undefined>): Promise<ClientRow> {
  if (body.client_assertion_type || body.client_assertion) return assertedClient(deps, req, body);
  const basic = basicCredentials(req.header('authorization'));
  const clientId = basic?.id ?? body.client_id;
  const secret = basic?.secret ?? body.client_secret;
  if (!clientId || !secret) throw new OAuthError(401, 'invalid_client', 'Authenticate with client_id and client_secret, or a client assertion.');
  const failureKeys = [`auth-fail:client:${clientId}`];
  await guardFailures(deps, failureKeys, false);
  const client = await clientById(deps.db, clientId);
  const ok = (await verifySecret(secret, client?.secret_hash ?? (await decoyHash()))) && client?.secret_hash && client.disabled_at === null;
  if (!ok) {
    await guardFailures(deps, failureKeys, true);
    throw new OAuthError(401, 'invalid_client', 'Unknown client, wrong secret, or the client is disabled.');
  }
  return client!;
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const m = header ? /^Basic ([A-Za-z0-9+/=]+)$/.exec(header) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString();
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

/** RFC 7523: the client signs a short-lived assertion (iss = sub = client_id, aud = this hub, jti once) with its key. */
async function assertedClient(deps: TokenDeps, req: ApiRequest, body: Record<string, string | undefined>): Promise<ClientRow> {
  const fail = (why: string) => new OAuthError(401, 'invalid_client', why);
  if (body.client_assertion_type !== JWT_BEARER_ASSERTION || !body.client_assertion) {
    throw new OAuthError(400, 'invalid_request', `client_assertion_type must be ${JWT_BEARER_ASSERTION}, with client_assertion.`);
  }
  let claimed: JWTPayload;
  try {
    claimed = decodeJwt(body.client_assertion);
  } catch {
    throw fail('The client assertion is not a JWT.');
  }
  const client = claimed.iss ? await clientById(deps.db, claimed.iss) : undefined;
  if (!client?.public_jwk || client.disabled_at) throw fail('Unknown client, no registered key, or the client is disabled.');
  const base = deps.config.publicUrl ?? `http://${req.header('host')}`;
  let payload: JWTPayload;
  try {
    const key = await importJWK(client.public_jwk, client.public_jwk.alg ?? algorithmFor(client.public_jwk));
    ({ payload } = await jwtVerify(body.client_assertion, key, {
      issuer: client.client_id,
      subject: client.client_id,
      audience: [deps.config.tokenIssuer, `${base}/oauth2/client/token`, `${base}/oauth2/token`],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: 30,
    }));
  } catch {
    throw fail('The client assertion is invalid, expired, or not signed with the registered key.');
  }
  const now = Math.floor(Date.now() / 1000);
  if (payload.exp! - now > MAX_ASSERTION_LIFETIME_S) throw fail(`The assertion may live at most ${MAX_ASSERTION_LIFETIME_S} seconds.`);
  if (!(await claimAssertion(deps.db, client.client_id, payload.jti!, new Date(payload.exp! * 1000)))) throw fail('This assertion was used before.');
  return client;
}

function algorithmFor(jwk: { kty?: string; crv?: string }): string {
  if (jwk.kty === 'EC') return jwk.crv === 'P-384' ? 'ES384' : 'ES256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  return 'RS256';
}
