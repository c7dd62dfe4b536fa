// A third party's verifier of srhub consent tokens, written as one would outside the hub: it imports nothing of the
// hub's, only jose and node:zlib, and knows only the hub's JWKS URL. It checks the signature, the validity window, the
// audience and purpose, and the token's bit in the status list (cached for the list's ttl, as the spec asks).
import { inflateSync } from 'node:zlib';
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';

export type OfflineResult = 'valid' | 'expired' | 'revoked' | 'wrong_audience' | 'wrong_purpose' | 'invalid_signature';

interface CachedList {
  bytes: Buffer;
  fetchedAt: number;
  ttl: number;
}

export class OfflineVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly lists = new Map<string, CachedList>();

  /** `now` in milliseconds: injectable so a test can let the list's ttl pass. */
  constructor(jwksUrl: string, private readonly issuer: string, private readonly now: () => number = Date.now) {
    // no JWKS caching between calls beyond jose's cooldown: a rotated-out key must stop verifying
    this.jwks = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 0, cacheMaxAge: 0 });
  }

  async verify(token: string, expect: { audience: string; purpose: string }): Promise<{ result: OfflineResult; claims?: JWTPayload }> {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, this.jwks, {
        issuer: this.issuer,
        typ: 'consent+jwt',
        algorithms: ['ES256'],
        currentDate: new Date(this.now()),
        clockTolerance: 30,
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { result: 'expired', claims: decodeJwt(token) };
      return { result: 'invalid_signature' };
    }
    const status = (claims.status as { status_list?: { idx: number; uri: string } } | undefined)?.status_list;
    if (!status || (await this.bit(status.uri, status.idx)) !== 0) return { result: 'revoked', claims };
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audience.includes(expect.audience)) return { result: 'wrong_audience', claims };
    if (!(claims.purposes as string[]).includes(expect.purpose)) return { result: 'wrong_purpose', claims };
    return { result: 'valid', claims };
  }

  /** The token's status: the list fetched (and its signature checked) once per ttl. */
  private async bit(uri: string, idx: number): Promise<number> {
    let list = this.lists.get(uri);
    if (!list || this.now() - list.fetchedAt >= list.ttl * 1000) {
      const response = await fetch(uri, { headers: { accept: 'application/statuslist+jwt' } });
      const { payload } = await jwtVerify(await response.text(), this.jwks, { typ: 'statuslist+jwt', algorithms: ['ES256'], subject: uri });
      const { bits, lst } = payload.status_list as { bits: number; lst: string };
      if (bits !== 1) throw new Error('unexpected bits per status');
      list = { bytes: inflateSync(Buffer.from(lst, 'base64url')), fetchedAt: this.now(), ttl: payload.ttl as number };
      this.lists.set(uri, list);
    }
    // IETF Token Status List: index 0 is the least significant bit of byte 0
    return (list.bytes[Math.floor(idx / 8)] >> (idx % 8)) & 1;
  }
}
