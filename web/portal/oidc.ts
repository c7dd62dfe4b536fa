// "Sign in with National ID" in the browser: OpenID Connect authorization code with PKCE (RFC 7636, S256). The
// portal makes the code_verifier, state and nonce, keeps them in sessionStorage, sends the browser to the provider,
// and on the way back (?code=&state=) checks the state and lets the hub exchange the code (core/portal/oidc.ts).
import type { SessionAnswer } from './session.js';

export interface OidcSettings {
  enabled: boolean;
  authorization_endpoint?: string;
  client_id?: string;
  scope?: string;
  claims?: string;
  redirect_uri?: string;
}

interface Pending {
  verifier: string;
  state: string;
  nonce: string;
  redirectUri: string;
}

const KEY = 'srhub.portal.oidc';

/** The hub's settings, or undefined when the sign-in is off or the hub does not offer it. */
export async function loadOidc(): Promise<OidcSettings | undefined> {
  try {
    const res = await fetch('/api/v1/portal/oidc', { headers: { accept: 'application/json' } });
    if (!res.ok) return undefined;
    const settings = (await res.json()) as OidcSettings;
    return settings.enabled && settings.authorization_endpoint && settings.client_id && settings.redirect_uri ? settings : undefined;
  } catch {
    return undefined;
  }
}

function randomString(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** S256: base64url(SHA-256(verifier)). crypto.subtle exists only in secure contexts; plain HTTP demos use sha256(). */
export async function codeChallenge(verifier: string): Promise<string> {
  const data = new TextEncoder().encode(verifier);
  const digest = globalThis.crypto?.subtle && isSecureContext ? new Uint8Array(await crypto.subtle.digest('SHA-256', data)) : sha256(data);
  return base64url(digest);
}

/** Sends the browser to the provider. */
export async function startOidc(settings: OidcSettings, language: string): Promise<void> {
  const pending: Pending = { verifier: randomString(48), state: randomString(24), nonce: randomString(24), redirectUri: settings.redirect_uri! };
  sessionStorage.setItem(KEY, JSON.stringify(pending));
  const url = new URL(settings.authorization_endpoint!);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: settings.client_id!,
    redirect_uri: pending.redirectUri,
    scope: settings.scope ?? 'openid',
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await codeChallenge(pending.verifier),
    code_challenge_method: 'S256',
    ui_locales: language,
    ...(settings.claims ? { claims: settings.claims } : {}),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  location.assign(url.toString());
}

export class OidcReturnError extends Error {}

/**
 * On the way back from the provider: undefined when the page was not opened by it; otherwise the hub's session, or an
 * OidcReturnError (state mismatch, the provider's error, the hub refusing). The query is removed from the address.
 */
export async function completeOidc(): Promise<SessionAnswer | undefined> {
  const query = new URLSearchParams(location.search);
  if (!query.has('code') && !query.has('error')) return undefined;
  history.replaceState(null, '', location.pathname + location.hash);
  const pending = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Pending | null;
  sessionStorage.removeItem(KEY);
  if (!pending || query.get('state') !== pending.state) throw new OidcReturnError('state');
  if (query.has('error')) throw new OidcReturnError(query.get('error') ?? 'error');
  const res = await fetch('/api/v1/portal/oidc/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ code: query.get('code'), code_verifier: pending.verifier, redirect_uri: pending.redirectUri, nonce: pending.nonce }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new OidcReturnError(body.code ?? String(res.status));
  return body as SessionAnswer;
}

// SHA-256 (FIPS 180-4), for the code challenge where crypto.subtle is missing.
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export function sha256(message: Uint8Array): Uint8Array {
  const length = message.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  padded.set(message);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length << 3) >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i += 1) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i += 1) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i += 1) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      [hh, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  h.forEach((v, i) => outView.setUint32(i * 4, v));
  return out;
}
