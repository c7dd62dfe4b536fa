// Idempotent creates: the first request with an Idempotency-Key claims the key in the same transaction as its
// writes and stores its answer there; a retry (even a concurrent one, which waits on the key's row) gets that
// answer back and writes nothing.
import type { Db } from '../db/index.js';
import type { Ctx } from './context.js';
import { HubError } from './errors.js';

export interface StoredResponse<T = unknown> {
  status: number;
  body: T;
}

class AlreadyClaimed extends Error {}

export async function idempotent<T>(
  ctx: Ctx,
  operation: string,
  key: string | undefined,
  request: unknown,
  work: (tx: Db) => Promise<StoredResponse<T>>,
): Promise<StoredResponse<T> & { replayed: boolean }> {
  if (!key) return { ...(await ctx.db.transaction(work)), replayed: false };
  // keyed, and the answer sealed: both hold identifiers and phone numbers, and an unkeyed hash of a body whose other
  // fields a dump shows could be brute-forced back to the identifier in it
  const requestHash = ctx.secrets.index('idempotency_request', JSON.stringify(request ?? null));
  const keyParams = [ctx.principal.id, operation, key];
  const sealedAs = `idempotency_key:${JSON.stringify(keyParams)}`;
  try {
    const response = await ctx.db.transaction(async (tx) => {
      const claimed = await tx.query(
        `insert into idempotency_key (principal_id, operation, key, request_hash) values ($1, $2, $3, $4)
         on conflict do nothing returning key`,
        [...keyParams, requestHash],
      );
      if (claimed.length === 0) throw new AlreadyClaimed();
      const result = await work(tx);
      await tx.query(
        'update idempotency_key set status = $4, response = $5 where principal_id = $1 and operation = $2 and key = $3',
        [...keyParams, result.status, JSON.stringify(ctx.secrets.seal(JSON.stringify(result.body), sealedAs))],
      );
      return result;
    });
    return { ...response, replayed: false };
  } catch (err) {
    if (!(err instanceof AlreadyClaimed)) throw err;
  }
  const [stored] = await ctx.db.query<{ request_hash: string; status: number; response: string }>(
    'select request_hash, status, response from idempotency_key where principal_id = $1 and operation = $2 and key = $3',
    keyParams,
  );
  if (stored.request_hash !== requestHash) {
    throw new HubError(422, 'idempotency.key_reused', 'This Idempotency-Key was used for a different request; use a new key.', {
      errors: [{ field: 'header.idempotency-key', message: 'was used before with a different body' }],
    });
  }
  return { status: stored.status, body: JSON.parse(ctx.secrets.open(stored.response, sealedAs)) as T, replayed: true };
}

/** Forgets keys older than `days`: a retry comes within minutes or hours, and the stored answers must not pile up. */
export async function expireIdempotencyKeys(db: Db, days: number): Promise<number> {
  const rows = await db.query(`delete from idempotency_key where created_at < now() - make_interval(days => $1) returning key`, [days]);
  return rows.length;
}
