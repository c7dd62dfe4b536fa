// "Sign in with National ID": the hub as an OpenID Connect relying party of the national ID system's provider
// (MOSIP eSignet style). The portal runs the browser side (PKCE S256, state, nonce); the hub exchanges the code with
// a private_key_jwt client assertion, verifies the id_token (issuer, audience, nonce, signature from the provider's
// JWKS), reads the signed userinfo for the national ID number, and finds the person by that identifier's blind index.
// The provider's settings are part of the national-id connector's configuration (the client key sealed there).
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, importJWK, jwtVerify, SignJWT, type JWK, type JSONWebKeySet } from 'jose';
import { configStore, openConfiguration } from '../../connectors/framework/configuration.js';
import { EgressPolicy, egressRequest } from '../net/egress.js';
import { identifierIndex } from '../registry/persons/sealing.js';
import type { Ctx } from '../server/context.js';
import { HubError, unprocessable } from '../server/errors.js';

const CONNECTOR_ID = 'national-id';
const TIMEOUT_MS = 10_000;
const DISCOVERY_TTL_MS = 10 * 60_000;

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientKey: JWK;
  idClaim: string;
  idType: string;
}

interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
}

/** The national-id connector's OpenID Connect settings, when it is enabled and has them all. */
export async function oidcSettings(ctx: Pick<Ctx, 'db' | 'secrets'>): Promise<OidcSettings | undefined> {
  const row = await configStore.row(ctx.db, CONNECTOR_ID);
  if (!row?.enabled) return undefined;
  const c = await openConfiguration(ctx.db, ctx.secrets, CONNECTOR_ID);
  if (typeof c.oidcIssuer !== 'string' || typeof c.oidcClientId !== 'string' || typeof c.oidcClientKey !== 'string') return undefined;
  let clientKey: JWK;
  try {
    clientKey = JSON.parse(c.oidcClientKey) as JWK;
  } catch {
    return undefined; // the connector's own configuration check reports it; the portal just hides the button
  }
  return {
    issuer: c.oidcIssuer.replace(/\/+$/, ''),
    clientId: c.oidcClientId,
    clientKey,
    idClaim: typeof c.oidcIdClaim === 'string' ? c.oidcIdClaim : 'individual_id',
    idType: typeof c.idType === 'string' ? c.idType : 'UIN',
  };
}

/** Where the provider sends the browser back: the hub's own portal, never a URL the caller picks. */
export const portalRedirectUri = (publicUrl: string) => `${publicUrl.replace(/\/+$/, '')}/portal/`;

const discovery = new Map<string, { at: number; metadata: ProviderMetadata }>();

async function callProvider(ctx: Ctx, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  try {
    return await egressRequest(new EgressPolicy(ctx.config.egressAllow), url, { ...init, timeoutMs: TIMEOUT_MS, maxResponseBytes: 1024 * 1024 });
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, 'national ID sign-in: the provider could not be reached');
    throw providerError('The national ID sign-in service cannot be reached; try again later or sign in with a code.');
  }
}

const providerError = (message: string) => new HubError(502, 'portal.oidc_provider', message);

async function providerMetadata(ctx: Ctx, issuer: string): Promise<ProviderMetadata> {
  const cached = discovery.get(issuer);
  if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.metadata;
  const res = await callProvider(ctx, `${issuer}/.well-known/openid-configuration`);
  let metadata: ProviderMetadata;
  try {
    metadata = JSON.parse(res.body) as ProviderMetadata;
  } catch {
    throw providerError('The national ID sign-in service answered its discovery document with something other than JSON.');
  }
  if (res.status !== 200 || metadata.issuer !== issuer || !metadata.token_endpoint || !metadata.authorization_endpoint || !metadata.jwks_uri || !metadata.userinfo_endpoint) {
    throw providerError('The national ID sign-in service has no usable discovery document.');
  }
  discovery.set(issuer, { at: Date.now(), metadata });
  return metadata;
}

export interface PortalOidcInfo {
  enabled: boolean;
  authorization_endpoint?: string;
  client_id?: string;
  scope?: string;
  claims?: string;
  redirect_uri?: string;
}

/** What the portal needs to start the browser's part of the flow (GET /api/v1/portal/oidc). */
export async function portalOidcInfo(ctx: Ctx, hubUrl: string): Promise<PortalOidcInfo> {
  const settings = await oidcSettings(ctx);
  if (!settings) return { enabled: false };
  let metadata: ProviderMetadata;
  try {
    metadata = await providerMetadata(ctx, settings.issuer);
  } catch {
    return { enabled: false }; // the provider is down: the portal offers the one-time code only
  }
  return {
    enabled: true,
    authorization_endpoint: metadata.authorization_endpoint,
    client_id: settings.clientId,
    scope: 'openid profile',
    // eSignet releases the ID number only when the client asks for it as an essential userinfo claim
    claims: JSON.stringify({ userinfo: { [settings.idClaim]: { essential: true }, name: { essential: false } } }),
    redirect_uri: portalRedirectUri(ctx.config.publicUrl ?? hubUrl),
  };
}

export interface OidcCallback {
  code: string;
  code_verifier: string;
  redirect_uri: string;
  nonce: string;
}

/** Exchanges the code and finds the person it proves; 401 when the provider refuses, 404 when no one is registered. */
export async function personFromOidc(ctx: Ctx, hubUrl: string, input: OidcCallback): Promise<string> {
  const settings = await oidcSettings(ctx);
  if (!settings) throw new HubError(404, 'portal.oidc_disabled', 'Sign-in with the national ID is not configured on this hub.');
  const expected = portalRedirectUri(ctx.config.publicUrl ?? hubUrl);
  if (input.redirect_uri !== expected) throw unprocessable('portal.oidc_redirect', [{ field: 'body.redirect_uri', message: `must be ${expected}` }], 'The redirect URI is not this hub\'s portal.');
  const metadata = await providerMetadata(ctx, settings.issuer);
  const tokens = await exchangeCode(ctx, settings, metadata, input);
  const keys = createLocalJWKSet(await providerKeys(ctx, metadata));
  let sub: string;
  try {
    const { payload } = await jwtVerify(tokens.id_token, keys, { issuer: settings.issuer, audience: settings.clientId });
    if (payload.nonce !== input.nonce) throw new Error('nonce mismatch');
    sub = payload.sub!;
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, 'national ID sign-in: id_token refused');
    throw new HubError(401, 'portal.oidc_invalid', 'The national ID sign-in could not be verified; start again.');
  }
  const claims = await userinfo(ctx, metadata, tokens.access_token, keys, settings);
  if (claims.sub !== sub) throw new HubError(401, 'portal.oidc_invalid', 'The national ID sign-in could not be verified; start again.');
  const idNumber = claims[settings.idClaim];
  if (typeof idNumber !== 'string' || !idNumber) throw new HubError(403, 'portal.oidc_no_id', 'The national ID service did not share the ID number, so the registry cannot find your record.');
  const rows = await ctx.db.query<{ person_id: string }>(
    `select i.person_id from person_identifier i join person p on p.id = i.person_id
      where i.id_type = $1 and i.value_index = $2 and p.merged_into is null limit 1`,
    [settings.idType, identifierIndex(ctx.secrets, settings.idType, idNumber)],
  );
  if (!rows[0]) throw new HubError(404, 'portal.not_registered', 'No one with this national ID is in the registry yet: register online first.');
  return rows[0].person_id;
}

async function exchangeCode(ctx: Ctx, settings: OidcSettings, metadata: ProviderMetadata, input: OidcCallback): Promise<{ id_token: string; access_token: string }> {
  const alg = settings.clientKey.alg ?? (settings.clientKey.kty === 'EC' ? 'ES256' : 'RS256');
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg, ...(settings.clientKey.kid ? { kid: settings.clientKey.kid } : {}) })
    .setIssuer(settings.clientId).setSubject(settings.clientId).setAudience(metadata.token_endpoint)
    .setJti(randomUUID()).setIssuedAt().setExpirationTime('2m')
    .sign(await importJWK(settings.clientKey, alg));
  const res = await callProvider(ctx, metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: input.code, redirect_uri: input.redirect_uri, code_verifier: input.code_verifier, client_id: settings.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
    }).toString(),
  });
  const body = safeJson(res.body);
  if (res.status === 400 && body?.error === 'invalid_grant') throw new HubError(401, 'portal.oidc_invalid', 'The national ID sign-in expired or was already used; start again.');
  if (res.status !== 200 || typeof body?.id_token !== 'string' || typeof body?.access_token !== 'string') {
    ctx.log.warn({ status: res.status, error: body?.error }, 'national ID sign-in: token exchange refused');
    throw providerError('The national ID sign-in service refused the exchange.');
  }
  return { id_token: body.id_token, access_token: body.access_token };
}

async function providerKeys(ctx: Ctx, metadata: ProviderMetadata): Promise<JSONWebKeySet> {
  const res = await callProvider(ctx, metadata.jwks_uri);
  const body = safeJson(res.body);
  if (res.status !== 200 || !Array.isArray(body?.keys)) throw providerError('The national ID sign-in service publishes no usable keys.');
  return body as JSONWebKeySet;
}

/** The userinfo claims: a signed JWT (eSignet) verified with the provider's keys, or plain JSON. */
async function userinfo(ctx: Ctx, metadata: ProviderMetadata, accessToken: string, keys: ReturnType<typeof createLocalJWKSet>, settings: OidcSettings): Promise<Record<string, unknown>> {
  const res = await callProvider(ctx, metadata.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/jwt, application/json' } });
  if (res.status !== 200) throw providerError('The national ID sign-in service did not answer the user information.');
  if ((res.headers['content-type'] ?? '').includes('json')) return safeJson(res.body) ?? {};
  try {
    decodeJwt(res.body);
    const { payload } = await jwtVerify(res.body, keys, { issuer: settings.issuer, audience: settings.clientId });
    return payload as Record<string, unknown>;
  } catch {
    throw providerError('The national ID sign-in service sent user information that could not be verified.');
  }
}

function safeJson(text: string): Record<string, any> | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}
