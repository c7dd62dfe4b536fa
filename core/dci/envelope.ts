// The DCI message envelope: {signature, header, message}. Header checks with the standard's rjct.* codes, the
// headers of the messages the hub sends, and the ACK body of async calls.
import { randomUUID } from 'node:crypto';

export const DCI_VERSION = '1.0.0';
export const REG_TYPE = 'ns:org:RegistryType:Social';

export interface MsgHeader {
  version?: string;
  message_id: string;
  message_ts: string;
  action: string;
  sender_id: string;
  sender_uri?: string;
  receiver_id?: string;
  total_count: number;
  is_msg_encrypted?: boolean;
  meta?: object;
}

export interface Envelope {
  signature?: string;
  header: MsgHeader;
  message: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type HeaderRejection = { code: string; message: string };

export type AckStatus = 'ACK' | 'NACK' | 'ERR';

/** An ERR answer of an async call (or of a sync one that could not be read): err.* code, HTTP status. */
export class DciError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The standard's err.* code for a header rejection in an ACK (the rjct.* code is named in the message). */
export function rejectionError(rejection: HeaderRejection): DciError {
  const code = rejection.code === 'rjct.version.invalid' ? 'err.version.not_supported' : 'err.request.bad';
  return new DciError(rejection.code === 'rjct.message_id.duplicate' ? 409 : 400, code, `${rejection.code}: ${rejection.message}`);
}

export function ack(correlationId: string, status: AckStatus = 'ACK', error?: { code: string; message: string }) {
  return { message: { ack_status: status, timestamp: now(), correlation_id: correlationId, ...(error ? { error } : {}) } };
}

export const now = () => new Date().toISOString();
export const newId = () => randomUUID();

// a message older than this (or this far in the future) is refused: the replay table only has to remember so long
export const MESSAGE_WINDOW_MS = 24 * 60 * 60 * 1000;
const FUTURE_SKEW_MS = 5 * 60 * 1000;
export const MAX_ITEMS = 100;

/** The header checks every request passes; the first failure, or undefined. */
export function checkHeader(header: MsgHeader, expected: { action: string; itemCount: number }): HeaderRejection | undefined {
  if (header.version !== undefined && header.version !== DCI_VERSION) {
    return { code: 'rjct.version.invalid', message: `version ${header.version} is not supported; use ${DCI_VERSION}.` };
  }
  if (header.action !== expected.action) {
    return { code: 'rjct.action.invalid', message: `action must be ${expected.action} on this endpoint.` };
  }
  const ts = Date.parse(header.message_ts);
  if (!Number.isFinite(ts) || ts > Date.now() + FUTURE_SKEW_MS || ts < Date.now() - MESSAGE_WINDOW_MS) {
    return { code: 'rjct.message_ts.invalid', message: 'message_ts must be an ISO 8601 time within the last 24 hours.' };
  }
  if (header.total_count > MAX_ITEMS) {
    return { code: 'rjct.total_count.limit_exceeded', message: `At most ${MAX_ITEMS} requests in one message.` };
  }
  if (header.total_count !== expected.itemCount) {
    return { code: 'rjct.total_count.invalid', message: `total_count is ${header.total_count} but the message holds ${expected.itemCount} requests.` };
  }
  return undefined;
}

/** The header of a callback or sync answer (MsgCallbackHeader). */
export function callbackHeader(request: MsgHeader | undefined, action: string, hubId: string, extra: Record<string, unknown> = {}) {
  return {
    version: DCI_VERSION,
    message_id: newId(),
    message_ts: now(),
    action,
    status: 'succ',
    sender_id: hubId,
    ...(request ? { receiver_id: request.sender_id } : {}),
    is_msg_encrypted: false,
    ...extra,
  };
}

/** on-subscribe and on-unsubscribe use the request header shape (the standard's defect 3). */
export function requestShapedHeader(receiverId: string, action: string, hubId: string, totalCount: number) {
  return {
    version: DCI_VERSION,
    message_id: newId(),
    message_ts: now(),
    action,
    sender_id: hubId,
    receiver_id: receiverId,
    total_count: totalCount,
    is_msg_encrypted: false,
  };
}

/** The hub's sender id in the messages it sends: SRHUB_DCI_SENDER_ID, else the host of its public URL. */
export function hubSenderId(config: { dciSenderId?: string; publicUrl?: string }): string {
  if (config.dciSenderId) return config.dciSenderId;
  return config.publicUrl ? new URL(config.publicUrl).host : 'srhub';
}
