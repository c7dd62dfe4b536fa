// The hub's access tokens: short-lived ES256 JWTs carrying who the caller is, their scopes, roles and areas.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Config } from '../config.js';
import type { KeyStore } from '../keys/key-store.js';

export interface TokenSubject {
  /** 'user:<username>' or 'client:<client_id>' */
  sub: string;
  roles: string[];
  scopes: string[];
  areas: string[] | null;
  /** The user must change a one-time password before anything else. */
  passwordChangeRequired?: boolean;
  /** The account's token epoch at issue (claim `ep`): a later revocation raises the epoch and stops this token. */
  epoch?: number;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export async function issueAccessToken(keys: KeyStore, config: Pick<Config, 'tokenIssuer' | 'tokenTtlSeconds'>, subject: TokenSubject): Promise<TokenResponse> {
  const key = await keys.signingKey();
  const scope = subject.scopes.join(' ');
  const access_token = await new SignJWT({
    scope,
    roles: subject.roles,
    ...(subject.areas ? { areas: subject.areas } : {}),
    ...(subject.passwordChangeRequired ? { pwd_change: true } : {}),
    ...(subject.epoch ? { ep: subject.epoch } : {}),
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(config.tokenIssuer)
    .setAudience(config.tokenIssuer)
    .setSubject(subject.sub)
    .setJti(randomUUID())
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(`${config.tokenTtlSeconds}s`)
    .sign(key.privateKey);
  return { access_token, token_type: 'Bearer', expires_in: config.tokenTtlSeconds, scope };
}
