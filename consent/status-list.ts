// Revocation at scale: one bit per consent token in lists of STATUS_LIST_SIZE, served signed as an IETF Token Status
// List (`statuslist+jwt`) and as a W3C BitstringStatusListCredential (`vc+jwt`). The signed lists are cached with
// their ttl; a withdrawal deletes the cached copies after its commit. Decisions inside the hub never read these lists
// (they read the consent's state), so the hub itself has no cache window.
import { gzipSync, deflateSync } from 'node:zlib';
import { SignJWT } from 'jose';
import type { Config } from '../core/config.js';
import type { Cache } from '../core/cache/index.js';
import type { Db } from '../core/db/index.js';
import type { KeyStore } from '../core/keys/key-store.js';
import { consentStore } from './store.js';

/** How long a verifier may use a fetched list before fetching it again (seconds). */
export const STATUS_LIST_TTL_S = 300;
export type StatusListFormat = 'statuslist+jwt' | 'vc+jwt';
export const STATUS_LIST_FORMATS: readonly StatusListFormat[] = ['statuslist+jwt', 'vc+jwt'];

/** Where the hub is reached from outside: SRHUB_PUBLIC_URL (set it in production), else localhost and the port. */
export function hubBaseUrl(config: Pick<Config, 'publicUrl' | 'port'>): string {
  return (config.publicUrl ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
}

export function statusListUri(config: Pick<Config, 'publicUrl' | 'port'>, listId: number): string {
  return `${hubBaseUrl(config)}/api/v1/consent/status-lists/${listId}`;
}

const cacheKey = (listId: number, format: StatusListFormat) => `consent:status-list:${listId}:${format}`;

/** The signed list in the format asked for, from the cache or freshly signed; undefined when there is no such list. */
export async function signedStatusList(
  deps: { db: Db; cache: Cache; keys: KeyStore; config: Config },
  listId: number,
  format: StatusListFormat,
): Promise<string | undefined> {
  const cached = await deps.cache.get(cacheKey(listId, format));
  if (cached) return cached;
  const list = await consentStore.statusList(deps.db, listId);
  if (!list) return undefined;
  const signed = format === 'vc+jwt' ? await signCredential(deps, listId, list.bits) : await signStatusList(deps, listId, list.bits);
  await deps.cache.set(cacheKey(listId, format), signed, STATUS_LIST_TTL_S);
  return signed;
}

/** Drops the cached lists after a withdrawal (the next request signs them anew). */
export async function forgetStatusList(cache: Cache, listId: number): Promise<void> {
  await Promise.all(STATUS_LIST_FORMATS.map((format) => cache.del(cacheKey(listId, format))));
}

/** IETF OAuth Token Status List: bits 1, lst = base64url(zlib deflate(bytes)), LSB of byte 0 is index 0. */
async function signStatusList(deps: { keys: KeyStore; config: Config }, listId: number, bits: Buffer): Promise<string> {
  const key = await deps.keys.signingKey();
  return new SignJWT({ ttl: STATUS_LIST_TTL_S, status_list: { bits: 1, lst: deflateSync(bits).toString('base64url') } })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'statuslist+jwt' })
    .setIssuer(deps.config.tokenIssuer)
    .setSubject(statusListUri(deps.config, listId))
    .setIssuedAt()
    .setExpirationTime(`${STATUS_LIST_TTL_S * 2}s`)
    .sign(key.privateKey);
}

/** W3C Bitstring Status List: index 0 is the left-most (most significant) bit, GZIP, multibase base64url ('u'). */
async function signCredential(deps: { keys: KeyStore; config: Config }, listId: number, bits: Buffer): Promise<string> {
  const key = await deps.keys.signingKey();
  const uri = statusListUri(deps.config, listId);
  const now = new Date();
  const credential = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: `${uri}?format=vc`,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: hubBaseUrl(deps.config),
    validFrom: now.toISOString(),
    validUntil: new Date(now.getTime() + STATUS_LIST_TTL_S * 2000).toISOString(),
    credentialSubject: {
      id: `${uri}#list`,
      type: 'BitstringStatusList',
      statusPurpose: 'revocation',
      encodedList: `u${gzipSync(msbFirst(bits)).toString('base64url')}`,
      ttl: STATUS_LIST_TTL_S * 1000,
    },
  };
  return new SignJWT(credential)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'vc+jwt', cty: 'vc' })
    .setIssuer(hubBaseUrl(deps.config))
    .setIssuedAt()
    .sign(key.privateKey);
}

/** The same bits with each byte reversed: IETF lists count from the least significant bit, W3C from the most. */
export function msbFirst(bits: Buffer): Buffer {
  const out = Buffer.alloc(bits.length);
  for (let i = 0; i < bits.length; i++) {
    let b = bits[i];
    let r = 0;
    for (let j = 0; j < 8; j++) {
      r = (r << 1) | (b & 1);
      b >>= 1;
    }
    out[i] = r;
  }
  return out;
}
