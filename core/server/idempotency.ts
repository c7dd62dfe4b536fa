// Idempotent creates: the first request with an Idempotency-Key claims the key in the same transaction as its
// writes and stores its answer there; a retry (even a concurrent one, which waits on the key's row) gets that
// answer back and writes nothing.
import { createHash } from 'node:crypto';
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
  const requestHash = createHash('sha256').update(JSON.stringify(request ?? null)).digest('hex');
  const keyParams = [ctx.principal.id, operation, key];
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
        [...keyParams, result.status, JSON.stringify(result.body)],
      );
      return result;
    });
    return { ...response, replayed: false };
  } catch (err) {
    if (!(err instanceof AlreadyClaimed)) throw err;
  }
  const [stored] = await ctx.db.query<{ request_hash: string; status: number; response: T }>(
    'select request_hash, status, response from idempotency_key where principal_id = $1 and operation = $2 and key = $3',
    keyParams,
  );
  if (stored.request_hash !== requestHash) {
    throw new HubError(422, 'idempotency.key_reused', 'This Idempotency-Key was used for a different request; use a new key.', {
      errors: [{ field: 'header.idempotency-key', message: 'was used before with a different body' }],
    });
  }
  return { status: stored.status, body: stored.response, replayed: true };
}
