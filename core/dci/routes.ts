// The DCI operations by operationId (openapi/dci-sr.yaml). Sync calls answer with the signed callback message; async
// calls ACK at once and the answer is delivered to the caller's callback (transactions.ts).
import type { ValidateFunction } from 'ajv';
import type { Response } from 'express';
import type { Db } from '../db/index.js';
import type { OutgoingMessage } from '../delivery/worker.js';
import type { Ctx } from '../server/context.js';
import type { ApiRequest, Handlers } from '../server/handlers.js';
import { ack, callbackHeader, checkHeader, DciError, hubSenderId, rejectionError, requestShapedHeader, type Envelope, type HeaderRejection, type MsgHeader } from './envelope.js';
import { callbackBase, callbackUrl, openMessage, sealMessage, sealMessageText, type OpenedMessage } from './messages.js';
import { dciSchemas, describeErrors } from './schemas.js';
import { searchBatch } from './search-batch.js';
import { subscribe, unsubscribe } from './subscriptions.js';
import { acceptAsync, claimMessageId, reopen, transactionStatus, type DciDeps } from './transactions.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Message = any;

export const ON_SEARCH_KIND = 'dci.on-search';
/** A callback built when it was queued (on-subscribe, on-unsubscribe, txn/on-status): signed when sent. */
export const MESSAGE_KIND = 'dci.message';

/** Opens and checks a request: sender, signature, decryption, message shape, header. */
async function receive(ctx: Ctx, req: ApiRequest, action: string, schema: keyof Awaited<ReturnType<typeof dciSchemas>>, count: (m: Message) => number) {
  const opened = await openMessage(ctx, req.body as Envelope);
  const validate: ValidateFunction = (await dciSchemas())[schema];
  if (!validate(opened.message)) throw new DciError(400, 'err.request.bad', `The message is not a valid ${action} request: ${describeErrors(validate.errors)}.`);
  const rejection = checkHeader(opened.header, { action, itemCount: count(opened.message) });
  return { opened, message: opened.message as Message, rejection };
}

/** A sync answer whose header refuses the request (rjct.* in status_reason_code). */
async function sendRejected(ctx: Ctx, res: Response, opened: OpenedMessage, action: string, rejection: HeaderRejection) {
  const header = callbackHeader(opened.header, action, hubSenderId(ctx.config), {
    status: 'rjct',
    status_reason_code: rejection.code,
    status_reason_message: rejection.message,
  });
  sendSealed(res, await sealMessageText(ctx, opened.clientId, header, undefined, opened.settings ?? null));
}

/**
 * A sync answer: the sealed envelope's text as it was signed. Written directly rather than with res.send, which
 * would hash the whole body (~100 kB for a page of records) for an ETag that no answer to a POST uses.
 */
function sendSealed(res: Response, text: string): void {
  res.status(200).set({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) }).end(text);
}

const referenceIds = (items: Message[]) => items.map((i) => i?.reference_id).filter((r): r is string => typeof r === 'string');

export const dciRoutes: Handlers = {
  async post_reg_sync_search(ctx, req, res) {
    const { opened, message, rejection } = await receive(ctx, req, 'search', 'searchRequest', (m) => m.search_request.length);
    if (rejection) return sendRejected(ctx, res, opened, 'on-search', rejection);
    await claimMessageId(ctx.db, opened.header).catch(async (err) => {
      if (!(err instanceof DciError)) throw err;
      await sendRejected(ctx, res, opened, 'on-search', { code: 'rjct.message_id.duplicate', message: err.message.replace(/^rjct\.[a-z_.]+: /, '') });
    });
    if (res.headersSent) return;
    const answer = await searchBatch(ctx, message);
    const n = answer.search_response.length;
    const header = callbackHeader(opened.header, 'on-search', hubSenderId(ctx.config), { total_count: n, completed_count: n });
    sendSealed(res, await sealMessageText(ctx, opened.clientId, header, answer, opened.settings ?? null));
  },

  async post_reg_search(ctx, req, res) {
    const { opened, message, rejection } = await receive(ctx, req, 'search', 'searchRequest', (m) => m.search_request.length);
    if (rejection) throw rejectionError(rejection);
    const url = callbackUrl(callbackBase(ctx.config, opened.header.sender_uri, opened.settings), 'on-search');
    const correlationId = await acceptAsync(ctx, {
      header: opened.header,
      message,
      clientId: opened.clientId,
      action: 'search',
      transactionId: message.transaction_id,
      referenceIds: referenceIds(message.search_request),
      url,
      kind: ON_SEARCH_KIND,
    });
    res.status(202).json(ack(correlationId));
  },

  async post_reg_subscribe(ctx, req, res) {
    const { opened, message, rejection } = await receive(ctx, req, 'subscribe', 'subscribeRequest', (m) => m.subscribe_request.length);
    if (rejection) throw rejectionError(rejection);
    const base = callbackBase(ctx.config, opened.header.sender_uri, opened.settings);
    const correlationId = await acceptAsync(
      ctx,
      { header: opened.header, message, clientId: opened.clientId, action: 'subscribe', transactionId: message.transaction_id, referenceIds: referenceIds(message.subscribe_request), url: callbackUrl(base, 'on-subscribe'), kind: MESSAGE_KIND },
      async (tx, txn) => {
        const items = await subscribe(ctx, tx, message, opened.header.sender_id, callbackUrl(base, 'notify'));
        return outgoing(opened, requestShapedHeader(opened.header.sender_id, 'on-subscribe', hubSenderId(ctx.config), items.length), {
          transaction_id: message.transaction_id,
          correlation_id: txn.correlationId,
          subscribe_response: items,
        });
      },
    );
    res.status(202).json(ack(correlationId));
  },

  async post_reg_unsubscribe(ctx, req, res) {
    const { opened, message, rejection } = await receive(ctx, req, 'unsubscribe', 'unsubscribeRequest', (m) => m.subscription_codes.length);
    if (rejection) throw rejectionError(rejection);
    const base = callbackBase(ctx.config, opened.header.sender_uri, opened.settings);
    const correlationId = await acceptAsync(
      ctx,
      { header: opened.header, message, clientId: opened.clientId, action: 'unsubscribe', transactionId: message.transaction_id, referenceIds: [], url: callbackUrl(base, 'on-unsubscribe'), kind: MESSAGE_KIND },
      async (tx, txn) => {
        const outcome = await unsubscribe(tx, opened.header.sender_id, message.subscription_codes);
        return outgoing(opened, requestShapedHeader(opened.header.sender_id, 'on-unsubscribe', hubSenderId(ctx.config), message.subscription_codes.length), {
          transaction_id: message.transaction_id,
          correlation_id: txn.correlationId,
          timestamp: new Date().toISOString(),
          ...outcome,
        });
      },
    );
    res.status(202).json(ack(correlationId));
  },

  async post_reg_sync_txnstatus(ctx, req, res) {
    const { opened, message, rejection } = await receive(ctx, req, 'txn-status', 'txnStatusRequest', () => 1);
    if (rejection) return sendRejected(ctx, res, opened, 'txn-on-status', rejection);
    await claimMessageId(ctx.db, opened.header).catch(async (err) => {
      if (!(err instanceof DciError)) throw err;
      await sendRejected(ctx, res, opened, 'txn-on-status', { code: 'rjct.message_id.duplicate', message: err.message.replace(/^rjct\.[a-z_.]+: /, '') });
    });
    if (res.headersSent) return;
    const { header, body } = await statusAnswer(ctx, ctx.db, opened, message);
    sendSealed(res, await sealMessageText(ctx, opened.clientId, header, body, opened.settings ?? null));
  },

  async post_reg_txnstatus(ctx, req, res) {
    const { opened, message, rejection } = await receive(ctx, req, 'txn-status', 'txnStatusRequest', () => 1);
    if (rejection) throw rejectionError(rejection);
    const url = callbackUrl(callbackBase(ctx.config, opened.header.sender_uri, opened.settings), 'txn/on-status');
    const correlationId = await acceptAsync(
      ctx,
      { header: opened.header, message, clientId: opened.clientId, action: 'txn-status', transactionId: message.transaction_id, referenceIds: [message.txnstatus_request.reference_id], url, kind: MESSAGE_KIND },
      async (tx) => {
        const { header, body } = await statusAnswer(ctx, tx, opened, message);
        return outgoing(opened, header, body);
      },
    );
    res.status(202).json(ack(correlationId));
  },
};

// inside an async request's transaction, `db` is that transaction (PGlite has one connection: ctx.db would wait on it)
async function statusAnswer(ctx: Ctx, db: Db, opened: OpenedMessage, message: Message) {
  const status = await transactionStatus(db, opened.header.sender_id, ctx.principal.id, message);
  const extra = status
    ? { total_count: 1, completed_count: 1 }
    : { status: 'rjct', status_reason_message: 'No transaction of yours matches this attribute_value.' };
  return { header: callbackHeader(opened.header, 'txn-on-status', hubSenderId(ctx.config), extra), body: status };
}

/** A queued callback message: sealed (encrypted, signed) when it is sent. */
const outgoing = (opened: OpenedMessage, header: Record<string, unknown>, message: unknown) => ({ receiver: opened.clientId ?? null, header, message });

/** How queued DCI messages are prepared just before each send. */
export function dciPreparers(deps: DciDeps) {
  return {
    [ON_SEARCH_KIND]: async (m: OutgoingMessage) => {
      const { row, request, ctx } = await reopen(deps, (m.body as { transaction: string }).transaction);
      const answer = await searchBatch(ctx, request.message as Message, row.correlation_id);
      const n = answer.search_response.length;
      // the delivery's id as message_id: every attempt is the same message, so the receiver can drop a repeat
      const header = callbackHeader({ sender_id: request.senderId } as MsgHeader, 'on-search', hubSenderId(deps.config), { message_id: m.id, total_count: n, completed_count: n });
      return { body: await sealMessage(deps, request.clientId, header, answer) };
    },
    [MESSAGE_KIND]: async (m: OutgoingMessage) => {
      const { receiver, header, message } = m.body as { receiver: string | null; header: Record<string, unknown>; message: unknown };
      return { body: await sealMessage(deps, receiver ?? undefined, header, message ?? undefined) };
    },
  };
}
