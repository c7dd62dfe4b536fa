// Opening an incoming DCI message (who sent it, its signature, decryption) and sealing an outgoing one (encrypted
// for receivers that ask for it, then signed with the hub's Ed25519 key), and where callbacks go.
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { KeyStore } from '../keys/key-store.js';
import type { Ctx } from '../server/context.js';
import type { Principal } from '../server/principal.js';
import { checkUrl } from './client-settings-rules.js';
import { dciClientSettings, verifySender, type DciClientSettings } from './client-settings.js';
import { decryptMessage, encryptMessage } from './encryption.js';
import { DciError, hubSenderId, type Envelope } from './envelope.js';
import { DciSecurityError } from './security-error.js';
import { canonicalJson } from './canonical.js';
import { signCanonical, signEnvelope } from './signature.js';

export interface OpenedMessage {
  header: Envelope['header'];
  message: unknown;
  settings: DciClientSettings | undefined;
  /** The API client that sent it (undefined for users and open access). */
  clientId: string | undefined;
}

export const clientIdOf = (principal: Principal) => (principal.kind === 'client' ? principal.id.slice('client:'.length) : undefined);

/** Checks who sent the message and its signature, and decrypts it; DciError with the err.* code otherwise. */
export async function openMessage(ctx: Ctx, envelope: Envelope): Promise<OpenedMessage> {
  const { header } = envelope;
  const clientId = clientIdOf(ctx.principal);
  // a client speaks for itself only: the token's client is the sender
  if (clientId !== undefined && header.sender_id !== clientId) {
    throw new DciError(403, 'err.sender_id.invalid', `sender_id must be ${clientId}, the client the access token was issued to.`);
  }
  // a person (console, program officer) must not speak as a registered API client: it would read that client's
  // transactions, end its subscriptions and spend its message ids
  if (clientId === undefined && ctx.principal.kind === 'user' && (await ctx.db.query('select 1 from api_client where client_id = $1', [header.sender_id])).length > 0) {
    throw new DciError(403, 'err.sender_id.invalid', `sender_id ${header.sender_id} is an API client's; a person uses a sender_id of their own.`);
  }
  const hubId = hubSenderId(ctx.config);
  if (header.receiver_id !== undefined && header.receiver_id !== hubId) {
    throw new DciError(400, 'err.receiver_id.invalid', `receiver_id must be ${hubId} (or left out).`);
  }
  const settings = clientId ? await dciClientSettings(ctx.db, clientId) : undefined;
  // a client without DCI settings has no keys: unsigned messages pass, a signature cannot verify (docs/dci.md)
  if (clientId !== undefined) {
    const check = await verifySender(ctx, settings ?? noSettings(clientId), envelope);
    if (!check.ok) throw new DciError(401, check.code, check.message);
  }
  let message: unknown = envelope.message;
  if (header.is_msg_encrypted) {
    try {
      message = await decryptMessage(envelope.message, ctx.keys);
    } catch (err) {
      if (err instanceof DciSecurityError) throw new DciError(400, err.code, err.message);
      throw err;
    }
  }
  return { header, message, settings, clientId };
}

const noSettings = (clientId: string): DciClientSettings => ({
  clientId,
  callbackUrl: null,
  jwksUri: null,
  jwks: null,
  encryptionKey: null,
  requireSignature: false,
  encryptResponses: false,
});

/** The envelope the hub sends: encrypted to the receiver when it asks for it, always signed. */
export async function sealMessage(
  deps: { config: Config; db: Db; keys: KeyStore },
  receiverClientId: string | undefined,
  header: Record<string, unknown>,
  message: unknown,
  /** The receiver's settings when the caller has them already (null: it has none); read otherwise. */
  known?: DciClientSettings | null,
) {
  const { head, body } = await protect(deps, receiverClientId, header, message, known);
  const signature = await signEnvelope(deps.keys, hubSenderId(deps.config), head, body);
  return { signature, header: head, ...(body === undefined ? {} : { message: body }) };
}

/**
 * sealMessage as the JSON text of the envelope, for a sync answer: header and message are written once, in the
 * canonical form the signature covers, and that same text is the body (a page of records is not serialised twice).
 */
export async function sealMessageText(
  deps: { config: Config; db: Db; keys: KeyStore },
  receiverClientId: string | undefined,
  header: Record<string, unknown>,
  message: unknown,
  known?: DciClientSettings | null,
): Promise<string> {
  const { head, body } = await protect(deps, receiverClientId, header, message, known);
  const headerText = canonicalJson(head);
  const messagePart = body === undefined ? '' : `,"message":${canonicalJson(body)}`;
  // canonicalJson({ header, message }): the keys in order, an undefined message left out
  const signature = await signCanonical(deps.keys, hubSenderId(deps.config), `{"header":${headerText}${messagePart}}`);
  return `{"signature":${JSON.stringify(signature)},"header":${headerText}${messagePart}}`;
}

/** The header and message as sent: the message encrypted to the receiver when its settings ask for it. */
async function protect(
  deps: { db: Db },
  receiverClientId: string | undefined,
  header: Record<string, unknown>,
  message: unknown,
  known: DciClientSettings | null | undefined,
): Promise<{ head: Record<string, unknown>; body: unknown }> {
  const settings = known !== undefined ? known : receiverClientId ? await dciClientSettings(deps.db, receiverClientId) : undefined;
  if (message !== undefined && settings?.encryptResponses && settings.encryptionKey) {
    return { head: { ...header, is_msg_encrypted: true }, body: await encryptMessage(message, settings.encryptionKey) };
  }
  return { head: header, body: message };
}

const CALLBACK_SUFFIXES = ['txn/on-status', 'on-search', 'on-subscribe', 'on-unsubscribe', 'notify'];
export type CallbackSuffix = 'txn/on-status' | 'on-search' | 'on-subscribe' | 'on-unsubscribe' | 'notify';

/**
 * Where the callbacks of a request go: header.sender_uri, else the client's registered callback URL. Either is
 * the base of the receiver's endpoints (".../registry") or one of them (".../registry/on-search"); a sender_uri
 * must share the origin of a registered callback URL, so a token cannot send the hub's messages elsewhere.
 */
export function callbackBase(config: Pick<Config, 'dciAllowHttpCallbacks'>, senderUri: string | undefined, settings: DciClientSettings | undefined): string {
  const registered = settings?.callbackUrl ?? undefined;
  if (senderUri) {
    const bad = checkUrl('header.sender_uri', senderUri, config.dciAllowHttpCallbacks);
    if (bad) throw new DciError(400, 'err.sender_uri.invalid', `header.sender_uri ${bad.message}.`);
    if (registered && new URL(senderUri).origin !== new URL(registered).origin) {
      throw new DciError(400, 'err.sender_uri.invalid', `header.sender_uri must be on ${new URL(registered).origin}, where your callbacks are registered.`);
    }
    return senderUri;
  }
  if (registered) return registered;
  throw new DciError(400, 'err.sender_uri.invalid', 'Send header.sender_uri (or register a callback URL for your client): async answers are delivered there.');
}

export function callbackUrl(base: string, suffix: CallbackSuffix): string {
  const url = new URL(base);
  let pathname = url.pathname.replace(/\/+$/, '');
  const known = CALLBACK_SUFFIXES.find((s) => pathname.endsWith(`/${s}`));
  if (known) pathname = pathname.slice(0, -(known.length + 1));
  url.pathname = `${pathname}/${suffix}`;
  return url.toString();
}
