// The national ID simulator's OpenID Connect provider, shaped like MOSIP eSignet: authorization code flow with PKCE
// (S256 only), clients authenticated with private_key_jwt, a pairwise `sub`, RS256-signed id_token and a signed
// userinfo JWT that carries the individual's ID number when the client asks for it. The person "authenticates" on a
// small page with their ID number and the demo one-time code 111111, as eSignet's mock identity system does.
import { createHash, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import express from 'express';
import { exportJWK, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import type { Identity } from './identities.js';

export const OIDC_PATHS = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/.well-known/jwks.json',
  authorize: '/authorize',
  token: '/v1/esignet/oauth/v2/token',
  userinfo: '/v1/esignet/oidc/userinfo',
} as const;

/** The one-time code every identity accepts on the simulator's sign-in page (demo and tests only). */
export const DEMO_OIDC_OTP = '111111';
export const DEMO_OIDC_CLIENT_ID = 'srhub-portal';
const CODE_TTL_MS = 60_000;
const TOKEN_TTL_S = 300;

export interface OidcClient {
  clientId: string;
  /** The client's public key (private_key_jwt). */
  publicJwk: JWK;
  /** Where codes may be sent back; undefined = any loopback URL (the demo client, whose hub port changes per run). */
  redirectUris?: string[];
}

interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  state?: string;
  nonce?: string;
  codeChallenge: string;
  claims: string[];
}

interface IssuedCode extends PendingAuthorization {
  uin: string;
  expiresAt: number;
}

let demoKeys: { privateJwk: JWK; publicJwk: JWK } | undefined;
/** The demo client's key pair, made once per process, so demoConfiguration can hand the hub its private key. */
export function demoClientKeys(): { privateJwk: JWK; publicJwk: JWK } {
  if (!demoKeys) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = (key: KeyObject) => ({ ...(key.export({ format: 'jwk' }) as JWK), alg: 'ES256', kid: 'srhub-portal-demo' });
    demoKeys = { privateJwk: jwk(privateKey), publicJwk: jwk(publicKey) };
  }
  return demoKeys;
}

const isLoopbackUrl = (value: string) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
};

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function oidcProviderRoutes(identities: Map<string, Identity>): express.Router {
  const router = express.Router();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `sim-${randomBytes(4).toString('hex')}`;
  const clients = new Map<string, OidcClient>();
  const pending = new Map<string, PendingAuthorization>();
  const codes = new Map<string, IssuedCode>();
  const accessTokens = new Map<string, { uin: string; clientId: string; claims: string[]; expiresAt: number }>();
  clients.set(DEMO_OIDC_CLIENT_ID, { clientId: DEMO_OIDC_CLIENT_ID, publicJwk: demoClientKeys().publicJwk });

  const issuerOf = (req: express.Request) => `${req.protocol}://${req.get('host')}`;
  const pairwiseSub = (uin: string, clientId: string) => createHash('sha256').update(`${clientId}\u0000${uin}`).digest('base64url');
  const sign = (claims: Record<string, unknown>, issuer: string, audience: string, key: KeyObject = privateKey) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime(`${TOKEN_TTL_S}s`).sign(key);

  router.get(OIDC_PATHS.discovery, (req, res) => {
    const issuer = issuerOf(req);
    res.json({
      issuer,
      authorization_endpoint: issuer + OIDC_PATHS.authorize,
      token_endpoint: issuer + OIDC_PATHS.token,
      userinfo_endpoint: issuer + OIDC_PATHS.userinfo,
      jwks_uri: issuer + OIDC_PATHS.jwks,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      userinfo_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256', 'PS256'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['openid', 'profile', 'phone'],
      claims_supported: ['sub', 'name', 'birthdate', 'gender', 'phone_number', 'individual_id'],
    });
  });
  router.get(OIDC_PATHS.jwks, async (_req, res) => {
    res.json({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] });
  });

  /** Checks an authorization request; the error goes to the page when the redirect URI itself cannot be trusted. */
  router.get(OIDC_PATHS.authorize, (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const client = q.client_id ? clients.get(q.client_id) : undefined;
    const redirectUri = q.redirect_uri ?? '';
    if (!client || !(client.redirectUris ? client.redirectUris.includes(redirectUri) : isLoopbackUrl(redirectUri))) {
      res.status(400).type('html').send(page('Sign-in request refused', '<p>Unknown client or redirect URI.</p>'));
      return;
    }
    const fail = (error: string, description: string) => {
      const url = new URL(redirectUri);
      url.searchParams.set('error', error);
      url.searchParams.set('error_description', description);
      if (q.state) url.searchParams.set('state', q.state);
      res.redirect(302, url.toString());
    };
    if (q.response_type !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (!q.scope?.split(' ').includes('openid')) return fail('invalid_scope', 'scope must include openid');
    if (q.code_challenge_method !== 'S256' || !q.code_challenge || !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge)) return fail('invalid_request', 'PKCE with S256 is required');
    const requestId = randomUUID();
    pending.set(requestId, { clientId: client.clientId, redirectUri, state: q.state, nonce: q.nonce, codeChallenge: q.code_challenge, claims: requestedClaims(q.claims) });
    res.type('html').send(signInPage(requestId));
  });

  router.post(OIDC_PATHS.authorize, express.urlencoded({ extended: false, limit: '10kb' }), (req, res) => {
    const { request_id: requestId, individual_id: individualId, otp } = req.body as Record<string, string | undefined>;
    const request = requestId ? pending.get(requestId) : undefined;
    if (!request) {
      res.status(400).type('html').send(page('Sign-in expired', '<p>This sign-in request is unknown or was used; start again from the service.</p>'));
      return;
    }
    const uin = (individualId ?? '').trim();
    if (!identities.has(uin) || otp !== DEMO_OIDC_OTP) {
      res.status(401).type('html').send(signInPage(requestId!, 'The ID number or the code is wrong.'));
      return;
    }
    pending.delete(requestId!);
    const code = randomBytes(24).toString('base64url');
    codes.set(code, { ...request, uin, expiresAt: Date.now() + CODE_TTL_MS });
    const url = new URL(request.redirectUri);
    url.searchParams.set('code', code);
    if (request.state) url.searchParams.set('state', request.state);
    res.redirect(302, url.toString());
  });

  router.post(OIDC_PATHS.token, express.urlencoded({ extended: false, limit: '20kb' }), async (req, res) => {
    const body = req.body as Record<string, string | undefined>;
    const error = (status: number, code: string, description: string) => res.status(status).json({ error: code, error_description: description });
    if (body.grant_type !== 'authorization_code') return error(400, 'unsupported_grant_type', 'grant_type must be authorization_code');
    const issued = body.code ? codes.get(body.code) : undefined;
    if (body.code) codes.delete(body.code); // a code is good once, whatever happens next
    if (!issued || issued.expiresAt < Date.now()) return error(400, 'invalid_grant', 'unknown, used or expired code');
    if (body.redirect_uri !== issued.redirectUri) return error(400, 'invalid_grant', 'redirect_uri differs from the authorization request');
    if (!body.code_verifier || s256(body.code_verifier) !== issued.codeChallenge) return error(400, 'invalid_grant', 'the PKCE code_verifier does not match');
    if (body.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || !body.client_assertion) return error(401, 'invalid_client', 'private_key_jwt client authentication is required');
    const client = clients.get(issued.clientId)!;
    try {
      const key = await importJWK(client.publicJwk, client.publicJwk.alg ?? 'ES256');
      await jwtVerify(body.client_assertion, key, { issuer: client.clientId, subject: client.clientId, audience: issuerOf(req) + OIDC_PATHS.token, maxTokenAge: '5m' });
    } catch (e) {
      return error(401, 'invalid_client', `client assertion refused: ${(e as Error).message}`);
    }
    const issuer = issuerOf(req);
    const sub = pairwiseSub(issued.uin, client.clientId);
    const accessToken = randomBytes(32).toString('base64url');
    accessTokens.set(accessToken, { uin: issued.uin, clientId: client.clientId, claims: issued.claims, expiresAt: Date.now() + TOKEN_TTL_S * 1000 });
    const idToken = await sign({ sub, auth_time: Math.floor(Date.now() / 1000), acr: 'mosip:idp:acr:generated-code', ...(issued.nonce ? { nonce: issued.nonce } : {}) }, issuer, client.clientId);
    res.set('Cache-Control', 'no-store').json({ access_token: accessToken, token_type: 'Bearer', expires_in: TOKEN_TTL_S, id_token: idToken });
  });

  router.get(OIDC_PATHS.userinfo, async (req, res) => {
    const token = /^Bearer (\S+)$/.exec(req.header('authorization') ?? '')?.[1];
    const grant = token ? accessTokens.get(token) : undefined;
    if (!grant || grant.expiresAt < Date.now()) {
      res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"').end();
      return;
    }
    const identity = identities.get(grant.uin)!;
    const claims: Record<string, unknown> = {
      sub: pairwiseSub(grant.uin, grant.clientId),
      name: [identity.given_name, identity.other_names, identity.family_name].filter(Boolean).join(' '),
      birthdate: identity.birth_date,
      ...(identity.sex ? { gender: identity.sex } : {}),
      ...(identity.phone ? { phone_number: identity.phone } : {}),
      // the ID number only when the client asked for it as a claim (eSignet's essential individual_id)
      ...(grant.claims.includes('individual_id') ? { individual_id: identity.uin } : {}),
    };
    res.type('application/jwt').send(await sign(claims, issuerOf(req), grant.clientId));
  });

  return Object.assign(router, {
    registerClient(client: OidcClient) {
      clients.set(client.clientId, client);
    },
  });
}

/** The userinfo claims asked for in the OIDC `claims` request parameter (JSON), by name. */
function requestedClaims(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw) as { userinfo?: Record<string, unknown> };
    return Object.keys(parsed.userinfo ?? {});
  } catch {
    return [];
  }
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;font-size:1.1rem}label{display:block;margin:.8rem 0 .2rem;font-weight:600}input{font:inherit;padding:.5rem;width:100%}button{font:inherit;margin-top:1rem;padding:.6rem 1.2rem}.error{color:#a4161a;font-weight:600}</style>
<h1>${esc(title)}</h1>${body}</html>`;
}

function signInPage(requestId: string, error?: string): string {
  return page('National ID sign-in (simulator)', `${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="${OIDC_PATHS.authorize}"><input type="hidden" name="request_id" value="${esc(requestId)}">
<label for="individual_id">National ID number (UIN)</label><input id="individual_id" name="individual_id" inputmode="numeric" autocomplete="off" required>
<label for="otp">One-time code</label><input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" required>
<p>Simulator: every identity accepts the code ${DEMO_OIDC_OTP}.</p><button type="submit">Sign in</button></form>`);
}
