// Systems that call the hub (program management, other registries, connectors): OAuth2 clients that
// authenticate with a secret (client_secret_post / basic) or a signed assertion (private_key_jwt, RFC 7523).
import type { JWK } from 'jose';
import type { Db } from '../db/index.js';
import { conflict, notFound, unprocessable } from '../server/errors.js';
import { checkAreas, scopesOf } from './roles.js';
import { revokesTokens } from './revocation.js';
import { hashSecret, newSecret } from './secrets-hash.js';

export interface Client {
  client_id: string;
  name: string;
  auth_methods: ('client_secret' | 'private_key_jwt')[];
  public_jwk: JWK | null;
  roles: string[];
  areas: string[] | null;
  disabled: boolean;
  secret_rotated_at: string | null;
  created_by: string;
  created_at: string;
}

export interface ClientRow {
  client_id: string;
  name: string;
  secret_hash: string | null;
  public_jwk: JWK | null;
  roles: string[];
  areas: string[] | null;
  disabled_at: Date | null;
  secret_rotated_at: Date | null;
  token_epoch: number;
  created_by: string;
  created_at: Date;
}

export function toClient(row: ClientRow): Client {
  return {
    client_id: row.client_id,
    name: row.name,
    auth_methods: [...(row.secret_hash ? ['client_secret' as const] : []), ...(row.public_jwk ? ['private_key_jwt' as const] : [])],
    public_jwk: row.public_jwk,
    roles: row.roles,
    areas: row.areas,
    disabled: row.disabled_at !== null,
    secret_rotated_at: row.secret_rotated_at?.toISOString() ?? null,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
  };
}

function checkJwk(jwk: JWK | undefined | null): void {
  if (!jwk) return;
  const publicOnly = !('d' in jwk) && !('p' in jwk) && !('k' in jwk);
  const supported = (jwk.kty === 'EC' && ['P-256', 'P-384'].includes(jwk.crv ?? '')) || jwk.kty === 'RSA' || (jwk.kty === 'OKP' && jwk.crv === 'Ed25519');
  if (!publicOnly || !supported) {
    throw unprocessable('client.invalid', [{ field: 'body.public_jwk', message: 'must be a public EC (P-256/P-384), RSA or Ed25519 key, without private parts' }], 'The client key is not usable.');
  }
}

export interface NewClient {
  client_id: string;
  name: string;
  roles: string[];
  areas?: string[] | null;
  public_jwk?: JWK;
  /** false for a client that authenticates only with private_key_jwt */
  with_secret?: boolean;
}

/** Registers a client; returns its secret once (only its hash is kept). */
export async function createClient(db: Db, input: NewClient, createdBy: string): Promise<{ client: Client; clientSecret?: string }> {
  await scopesOf(db, input.roles);
  await checkAreas(db, input.areas);
  checkJwk(input.public_jwk);
  const withSecret = input.with_secret ?? !input.public_jwk;
  if (!withSecret && !input.public_jwk) {
    throw unprocessable('client.invalid', [{ field: 'body.public_jwk', message: 'is required when the client has no secret' }], 'The client needs a secret or a key.');
  }
  const clientSecret = withSecret ? newSecret(32) : undefined;
  const [row] = await db.query<ClientRow>(
    `insert into api_client (client_id, name, secret_hash, public_jwk, roles, areas, secret_rotated_at, created_by)
     values ($1, $2, $3, $4, $5, $6, case when $3::text is null then null else now() end, $7)
     on conflict (client_id) do nothing returning *`,
    [input.client_id, input.name, clientSecret ? await hashSecret(clientSecret) : null, input.public_jwk ? JSON.stringify(input.public_jwk) : null,
      input.roles, input.areas ?? null, createdBy],
  );
  if (!row) throw conflict('client.exists', `The client_id ${input.client_id} is taken.`, { errors: [{ field: 'body.client_id', message: 'is taken' }] });
  return { client: toClient(row), clientSecret };
}

export async function listClients(db: Db): Promise<Client[]> {
  return (await db.query<ClientRow>('select * from api_client order by client_id')).map(toClient);
}

export async function clientById(db: Db, clientId: string): Promise<ClientRow | undefined> {
  const [row] = await db.query<ClientRow>('select * from api_client where client_id = $1', [clientId]);
  return row;
}

export async function getClient(db: Db, clientId: string): Promise<Client> {
  const row = await clientById(db, clientId);
  if (!row) throw notFound('client');
  return toClient(row);
}

export async function updateClient(
  db: Db,
  clientId: string,
  input: { name?: string; roles?: string[]; areas?: string[] | null; disabled?: boolean; public_jwk?: JWK | null },
): Promise<Client> {
  const current = await clientById(db, clientId);
  if (!current) throw notFound('client');
  if (input.roles) await scopesOf(db, input.roles);
  if (input.areas) await checkAreas(db, input.areas);
  checkJwk(input.public_jwk);
  if (input.public_jwk === null && !current.secret_hash) {
    throw unprocessable('client.invalid', [{ field: 'body.public_jwk', message: 'cannot be removed from a client without a secret' }], 'The client would have no way to authenticate.');
  }
  const [row] = await db.query<ClientRow>(
    `update api_client set
       name = coalesce($2, name),
       roles = coalesce($3, roles),
       areas = case when $4 then $5 else areas end,
       disabled_at = case when $6::boolean is null then disabled_at when $6 then coalesce(disabled_at, now()) else null end,
       public_jwk = case when $7 then $8::jsonb else public_jwk end,
       token_epoch = token_epoch + case when $9 then 1 else 0 end,
       updated_at = now()
     where client_id = $1 returning *`,
    [clientId, input.name ?? null, input.roles ?? null, 'areas' in input, input.areas ?? null, input.disabled ?? null,
      'public_jwk' in input, input.public_jwk ? JSON.stringify(input.public_jwk) : null, revokesTokens(current, input)],
  );
  return toClient(row);
}

/** Replaces the client's secret; the old one stops working at once, and so do the tokens issued with it. Returns the new secret (shown once). */
export async function rotateClientSecret(db: Db, clientId: string): Promise<string> {
  if (!(await clientById(db, clientId))) throw notFound('client');
  const secret = newSecret(32);
  await db.query('update api_client set secret_hash = $2, secret_rotated_at = now(), token_epoch = token_epoch + 1, updated_at = now() where client_id = $1', [clientId, await hashSecret(secret)]);
  return secret;
}

/** Records a used assertion id; false when it was seen before (a replay). */
export async function claimAssertion(db: Db, clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
  await db.query('delete from client_assertion where expires_at < now()');
  const rows = await db.query(
    `insert into client_assertion (client_id, jti, expires_at) values ($1, $2, $3) on conflict do nothing returning jti`,
    [clientId, jti, expiresAt],
  );
  return rows.length > 0;
}
