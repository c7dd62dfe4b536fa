// Async calls: the request is accepted (replay claim, transaction row, queued answer) in one database transaction and
// ACKed at once; the answer is worked out by the delivery worker just before each send attempt (a preparer), so it
// survives a restart and is retried with backoff. txn/status reports the transactions of the caller.
import type { Audit } from '../audit/audit.js';
import type { Bus, Cache } from '../cache/index.js';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import { deliveryStatus, enqueueDelivery } from '../delivery/queue.js';
import type { KeyStore } from '../keys/key-store.js';
import type { Secrets } from '../keys/secrets.js';
import type { Logger } from '../log.js';
import { systemContext, type Ctx } from '../server/context.js';
import type { Principal } from '../server/principal.js';
import { newId, now, rejectionError, type MsgHeader } from './envelope.js';
import { dciStore, type TransactionRow } from './store.js';

export interface DciDeps {
  config: Config;
  db: Db;
  secrets: Secrets;
  keys: KeyStore;
  log: Logger;
  audit: Audit;
  cache: Cache;
  bus: Bus;
}

/** What an async answer needs later: the message and who asked, for what. */
export interface StoredRequest {
  message: unknown;
  principal: { id: string; kind: Principal['kind']; scopes: string[]; areas: string[] | null };
  purpose?: string;
  clientId?: string;
  senderId: string;
}

export type AsyncAction = 'search' | 'subscribe' | 'unsubscribe' | 'txn-status';

const sealContext = (id: string) => `dci_transaction:${id}`;

/** Claims the message id; a second use by the same sender is refused (rjct.message_id.duplicate). */
export async function claimMessageId(db: Db, header: MsgHeader): Promise<void> {
  if (!(await dciStore.claimMessage(db, header.sender_id, header.message_id))) {
    throw rejectionError({ code: 'rjct.message_id.duplicate', message: `message_id ${header.message_id} was already received from ${header.sender_id}.` });
  }
}

/**
 * Accepts an async request: claims its message id, records the transaction and queues its answer, all or nothing.
 * `work` may write more in the same transaction (subscriptions) and returns the delivery body.
 */
export async function acceptAsync(
  ctx: Ctx,
  input: { header: MsgHeader; message: unknown; clientId?: string; action: AsyncAction; transactionId: string; referenceIds: string[]; url: string; kind: string },
  work?: (tx: Db, transaction: { id: string; correlationId: string }) => Promise<unknown>,
): Promise<string> {
  const id = newId();
  const correlationId = newId();
  const stored: StoredRequest = {
    message: input.message,
    principal: { id: ctx.principal.id, kind: ctx.principal.kind, scopes: [...ctx.principal.scopes], areas: ctx.principal.areas ? [...ctx.principal.areas] : null },
    purpose: ctx.purpose,
    clientId: input.clientId,
    senderId: input.header.sender_id,
  };
  await ctx.db.transaction(async (tx) => {
    await claimMessageId(tx, input.header);
    await dciStore.insertTransaction(tx, {
      id,
      sender_id: input.header.sender_id,
      principal_id: ctx.principal.id,
      transaction_id: input.transactionId,
      correlation_id: correlationId,
      message_id: input.header.message_id,
      action: input.action,
      reference_ids: input.referenceIds,
      request_sealed: ctx.secrets.seal(JSON.stringify(stored), sealContext(id)),
      callback_url: input.url,
    });
    const body = work ? await work(tx, { id, correlationId }) : { transaction: id };
    const delivery = await enqueueDelivery(tx, ctx.secrets, { kind: input.kind, url: input.url, body, dedupeKey: `dci:${id}` });
    await dciStore.setDelivery(tx, id, delivery.id);
  });
  return correlationId;
}

/** The stored transaction and request, and a context acting as the original caller. */
export async function reopen(deps: DciDeps, id: string): Promise<{ row: TransactionRow; request: StoredRequest; ctx: Ctx }> {
  const row = await dciStore.transactionById(deps.db, id);
  if (!row) throw new Error(`DCI transaction ${id} is gone`);
  const request = JSON.parse(deps.secrets.open(row.request_sealed, sealContext(id))) as StoredRequest;
  return { row, request, ctx: actingAs(deps, request.principal, request.purpose) };
}

/** A context for work done later on a caller's behalf (their areas, scopes and purpose). */
export function actingAs(deps: DciDeps, p: StoredRequest['principal'], purpose: string | undefined, db: Db = deps.db): Ctx {
  const principal: Principal = { id: p.id, kind: p.kind, scopes: new Set(p.scopes), areas: p.areas };
  const ctx = systemContext(deps.config, db, deps.secrets, deps.log, principal, { audit: deps.audit, keys: deps.keys, cache: deps.cache, bus: deps.bus });
  return { ...ctx, purpose };
}

const STATUS_OF = { pending: 'pdng', delivered: 'succ', failed: 'rjct' } as const;

/**
 * TxnStatusResponse for a TxnStatusRequest of this sender and principal (two people using one sender_id do not see
 * each other's transactions); undefined when no transaction matches.
 */
export async function transactionStatus(
  db: Db,
  senderId: string,
  principalId: string,
  request: { transaction_id: string; txnstatus_request: { txn_type: string; attribute_type: string; attribute_value: unknown } },
) {
  const { txn_type, attribute_type, attribute_value } = request.txnstatus_request;
  const value = attribute_type === 'reference_id_list' ? [attribute_value].flat().map(String) : String(attribute_value);
  const rows = (await dciStore.findTransactions(db, senderId, attribute_type as 'transaction_id', value)).filter((r) =>
    r.principal_id === principalId && (txn_type === 'subscribe' ? r.action === 'subscribe' || r.action === 'unsubscribe' : r.action === txn_type),
  );
  if (rows.length === 0) return undefined;
  const [row] = rows;
  const delivery = row.delivery_id ? await deliveryStatus(db, row.delivery_id) : undefined;
  const status = delivery ? STATUS_OF[delivery.status] : 'rcvd';
  const wanted = Array.isArray(value) ? new Set(value) : undefined;
  return {
    transaction_id: request.transaction_id,
    correlation_id: newId(),
    txnstatus_response: {
      txn_type,
      txn_status: {
        transaction_id: row.transaction_id,
        correlation_id: row.correlation_id,
        search_response: row.reference_ids
          .filter((ref) => !wanted || wanted.has(ref))
          .map((reference_id) => ({
            reference_id,
            timestamp: now(),
            status,
            ...(status === 'rjct' ? { status_reason_message: 'The answer could not be delivered to the callback URL; it will not be retried.' } : {}),
          })),
      },
    },
  };
}
