// Each API client's DCI settings (table dci_client, migration 007): where its callbacks go, the keys its messages
// are signed with, the key its responses are encrypted to. Also the sender's keys for verifying its signatures.
import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Ctx } from '../server/context.js';
import { notFound, unprocessable, type FieldError } from '../server/errors.js';
import { checkEncryptionJwk, checkUrl, checkVerificationJwks } from './client-settings-rules.js';
import { egressRequest, EgressPolicy } from '../net/egress.js';
import { DciSecurityError } from './security-error.js';
import { signatureKid, verifyEnvelope, type DciEnvelope, type SignatureCheck } from './signature.js';

export interface DciClientSettings {
  clientId: string;
  callbackUrl: string | null;
  jwksUri: string | null;
  jwks: { keys: JWK[] } | null;
  encryptionKey: JWK | null;
  requireSignature: boolean;
  encryptResponses: boolean;
}

/** The settings as the admin API shows and takes them (GET/PUT /api/v1/clients/{clientId}/dci). */
export interface DciSettingsView {
  client_id: string;
  callback_url: string | null;
  jwks_uri: string | null;
  jwks: { keys: JWK[] } | null;
  encryption_jwk: JWK | null;
  require_signature: boolean;
  encrypt_responses: boolean;
  updated_by: string | null;
  updated_at: string | null;
}

export type DciSettingsInput = Partial<Omit<DciSettingsView, 'client_id' | 'updated_by' | 'updated_at'>>;

interface Row {
  client_id: string;
  callback_url: string | null;
  jwks_uri: string | null;
  jwks: { keys: JWK[] } | null;
  encryption_jwk: JWK | null;
  require_signature: boolean | null;
  encrypt_responses: boolean | null;
  updated_by: string | null;
  updated_at: Date | null;
}

async function readRow(db: Db, clientId: string): Promise<Row | undefined> {
  const [row] = await db.query<Row>(
    `select c.client_id, d.callback_url, d.jwks_uri, d.jwks, d.encryption_jwk, d.require_signature, d.encrypt_responses,
            d.updated_by, d.updated_at
     from api_client c left join dci_client d on d.client_id = c.client_id
     where c.client_id = $1`,
    [clientId],
  );
  return row;
}

function toView(row: Row): DciSettingsView {
  return {
    client_id: row.client_id,
    callback_url: row.callback_url,
    jwks_uri: row.jwks_uri,
    jwks: row.jwks,
    encryption_jwk: row.encryption_jwk,
    require_signature: row.require_signature ?? false,
    encrypt_responses: row.encrypt_responses ?? false,
    updated_by: row.updated_by,
    updated_at: row.updated_at?.toISOString() ?? null,
  };
}

/** A client's DCI settings; undefined when there is no such client, the defaults (nothing set) when none were stored. */
export async function dciClientSettings(db: Db, clientId: string): Promise<DciClientSettings | undefined> {
  const row = await readRow(db, clientId);
  if (!row) return undefined;
  return {
    clientId: row.client_id,
    callbackUrl: row.callback_url,
    jwksUri: row.jwks_uri,
    jwks: row.jwks,
    encryptionKey: row.encryption_jwk,
    requireSignature: row.require_signature ?? false,
    encryptResponses: row.encrypt_responses ?? false,
  };
}

export async function getDciSettings(db: Db, clientId: string): Promise<DciSettingsView> {
  const row = await readRow(db, clientId);
  if (!row) throw notFound('client');
  return toView(row);
}

/** Replaces a client's DCI settings (fields left out are cleared); 422 naming each unusable field. */
export async function putDciSettings(db: Db, config: Pick<Config, 'dciAllowHttpCallbacks'>, clientId: string, input: DciSettingsInput, updatedBy: string): Promise<DciSettingsView> {
  if (!(await readRow(db, clientId))) throw notFound('client');
  const errors = await checkSettings(input, config.dciAllowHttpCallbacks);
  if (errors.length) throw unprocessable('client.dci_invalid', errors, 'The DCI settings are not usable; see errors.');
  const [row] = await db.query<Row>(
    `insert into dci_client (client_id, callback_url, jwks_uri, jwks, encryption_jwk, require_signature, encrypt_responses, updated_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8)
     on conflict (client_id) do update set
       callback_url = excluded.callback_url, jwks_uri = excluded.jwks_uri, jwks = excluded.jwks,
       encryption_jwk = excluded.encryption_jwk, require_signature = excluded.require_signature,
       encrypt_responses = excluded.encrypt_responses, updated_by = excluded.updated_by, updated_at = now()
     returning *`,
    [clientId, input.callback_url ?? null, input.jwks_uri ?? null, input.jwks ? JSON.stringify(input.jwks) : null,
      input.encryption_jwk ? JSON.stringify(input.encryption_jwk) : null, input.require_signature ?? false,
      input.encrypt_responses ?? false, updatedBy],
  );
  return toView(row);
}

async function checkSettings(input: DciSettingsInput, allowHttp: boolean): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  for (const field of ['callback_url', 'jwks_uri'] as const) {
    const value = input[field];
    const error = value ? checkUrl(`body.${field}`, value, allowHttp) : undefined;
    if (error) errors.push(error);
  }
  if (input.jwks && input.jwks_uri) errors.push({ field: 'body.jwks', message: 'give either jwks or jwks_uri, not both' });
  if (input.jwks) errors.push(...(await checkVerificationJwks('body.jwks', input.jwks)));
  if (input.encryption_jwk) errors.push(...(await checkEncryptionJwk('body.encryption_jwk', input.encryption_jwk)));
  if (input.require_signature && !input.jwks && !input.jwks_uri) {
    errors.push({ field: 'body.require_signature', message: 'needs the keys to verify with: jwks or jwks_uri' });
  }
  if (input.encrypt_responses && !input.encryption_jwk) {
    errors.push({ field: 'body.encrypt_responses', message: 'needs encryption_jwk, the key to encrypt to' });
  }
  return errors;
}

const JWKS_TTL_SECONDS = 300;
// a signature naming a kid we have not seen may follow a rotation: fetch again, but at most this often
const REFETCH_GAP_SECONDS = 60;
const FETCH_TIMEOUT_MS = 5000;
const MAX_JWKS_BYTES = 64 * 1024;

/** Where a client's fetched JWKS is cached; keyed by the URL too, so a changed jwks_uri is fetched afresh. */
export function jwksCacheKey(clientId: string, jwksUri: string): string {
  return `dci:jwks:${clientId}:${createHash('sha256').update(jwksUri).digest('base64url').slice(0, 16)}`;
}

/**
 * The sender's verification keys: the stored JWKS, or its jwks_uri fetched and cached (ctx.cache, 5 minutes).
 * When `kid` is not among the cached keys they are fetched again, at most once a minute. A jwks_uri that cannot
 * be read (and nothing cached) -> DciSecurityError err.signature.invalid.
 */
export async function senderKeys(ctx: Pick<Ctx, 'cache' | 'log' | 'config'>, settings: DciClientSettings, options: { kid?: string } = {}): Promise<{ keys: JWK[] }> {
  if (settings.jwks) return settings.jwks;
  if (!settings.jwksUri) return { keys: [] };
  const cacheKey = jwksCacheKey(settings.clientId, settings.jwksUri);
  const cachedText = await ctx.cache.get(cacheKey);
  const cached = cachedText ? (JSON.parse(cachedText) as { keys: JWK[] }) : undefined;
  if (cached) {
    if (!options.kid || cached.keys.some((k) => k.kid === options.kid)) return cached;
    if ((await ctx.cache.increment(`${cacheKey}:refetch`, REFETCH_GAP_SECONDS)) > 1) return cached;
  }
  let fetched: { keys: JWK[] };
  try {
    fetched = await fetchJwks(new EgressPolicy(ctx.config.egressAllow), settings.jwksUri);
  } catch (err) {
    ctx.log.warn({ client: settings.clientId, err: (err as Error).message }, 'DCI client JWKS fetch failed');
    if (cached) return cached;
    throw new DciSecurityError('err.signature.invalid', 'The signature could not be checked: the JWKS at the registered jwks_uri could not be read.');
  }
  await ctx.cache.set(cacheKey, JSON.stringify(fetched), JWKS_TTL_SECONDS);
  return fetched;
}

/** Public keys only: a published set that holds private parts has them dropped, never used. */
async function fetchJwks(egress: EgressPolicy, uri: string): Promise<{ keys: JWK[] }> {
  const res = await egressRequest(egress, uri, { headers: { accept: 'application/json' }, timeoutMs: FETCH_TIMEOUT_MS, maxResponseBytes: MAX_JWKS_BYTES });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  const body = JSON.parse(res.body) as { keys?: unknown };
  if (!Array.isArray(body.keys)) throw new Error('no keys array');
  const keys = (body.keys as JWK[]).filter((k) => k && typeof k === 'object' && !('d' in k) && !('k' in k));
  return { keys };
}

/**
 * Checks a client's message signature with its keys: a present signature must verify (a client without registered
 * keys cannot send one); a missing one is refused only when the client is set to require signatures.
 */
export async function verifySender(ctx: Pick<Ctx, 'cache' | 'log' | 'config'>, settings: DciClientSettings, envelope: DciEnvelope): Promise<SignatureCheck> {
  const options = { required: settings.requireSignature };
  if (envelope.signature === undefined || envelope.signature === null || envelope.signature === '') return verifyEnvelope(envelope, { keys: [] }, options);
  if (!settings.jwks && !settings.jwksUri) {
    return { ok: false, code: 'err.signature.invalid', message: `The message is signed, but client ${settings.clientId} has no keys registered to check it with (an administrator sets jwks or jwks_uri with PUT /api/v1/clients/${settings.clientId}/dci).` };
  }
  try {
    return await verifyEnvelope(envelope, await senderKeys(ctx, settings, { kid: signatureKid(envelope.signature) }), options);
  } catch (err) {
    if (err instanceof DciSecurityError) return { ok: false, code: 'err.signature.invalid', message: err.message };
    throw err;
  }
}
