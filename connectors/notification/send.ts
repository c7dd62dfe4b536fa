// Telling a person something through the SMS/e-mail gateway: the consent check (their contact details go to the
// gateway), the channel they can be reached on, and the message queued in the durable delivery queue (core/delivery:
// sealed, sent with retries and backoff, once per dedupe key). The number and address never reach a log.
import { createHash, randomUUID } from 'node:crypto';
import { auditEntries } from '../../core/audit/entry.js';
import { enqueueDelivery } from '../../core/delivery/queue.js';
import type { Preparer } from '../../core/delivery/worker.js';
import type { Db } from '../../core/db/index.js';
import type { Secrets } from '../../core/keys/secrets.js';
import { openPhone } from '../../core/registry/persons/sealing.js';
import { personStore } from '../../core/registry/persons/store.js';
import type { Ctx } from '../../core/server/context.js';
import { decideDisclosure } from '../../consent/policy.js';
import { configStore, openConfiguration } from '../framework/configuration.js';
import { readConfig } from './config.js';
import { render, type TemplateName } from './templates.js';

export const CONNECTOR_ID = 'notification';
export const NOTIFICATION_KIND = 'notification.message';

export interface NotificationInput {
  personId: string;
  template: TemplateName;
  values?: Record<string, string>;
  /** What this message is about (an event, a case, an OTP request): the same key twice sends one message. */
  key: string;
}

export type NotificationOutcome =
  | { queued: true; created: boolean; deliveryId: string; channel: 'sms' | 'email' }
  | { queued: false; reason: 'not_configured' | 'no_contact' | 'unknown_person' | `consent.${string}` | string };

/** The body the gateway receives (sealed while queued). */
export interface GatewayMessage {
  id: string;
  channel: 'sms' | 'email';
  to: string;
  sender: string;
  subject?: string;
  text: string;
}

/** The connector's own principal: what it may read to reach people, and the recipient consent decisions name. */
const connectorCtx = (ctx: Ctx): Ctx => ({
  ...ctx,
  principal: { id: `connector:${CONNECTOR_ID}`, kind: 'system', scopes: new Set(['registry.read']), areas: null },
});

/** Queues one message for one person, or says why not; call it outside any open transaction (it opens its own). */
export async function queueNotification(ctx: Ctx, input: NotificationInput): Promise<NotificationOutcome> {
  const row = await configStore.row(ctx.db, CONNECTOR_ID);
  if (!row?.enabled) return { queued: false, reason: 'not_configured' };
  const config = readConfig(await openConfiguration(ctx.db, ctx.secrets, CONNECTOR_ID));
  const as = connectorCtx(ctx);
  const decision = (await decideDisclosure(as, { purpose: config.purpose, recipient: as.principal.id, personIds: [input.personId] })).get(input.personId);
  if (!decision?.allowed || !decision.categories.has('contact')) return { queued: false, reason: decision?.allowed ? 'consent.category_contact' : (decision?.reason ?? 'consent.none') };
  const person = await personStore.byId(ctx.db, input.personId, null);
  if (!person) return { queued: false, reason: 'unknown_person' };
  const phone = openPhone(ctx.secrets, person.id, person.phone_sealed);
  const channel = config.channels.find((c) => (c === 'sms' ? !!phone : !!person.email));
  if (!channel) return { queued: false, reason: 'no_contact' };
  const { subject, text } = render(input.template, person.preferred_language, input.values);
  const dedupeKey = `notification:${input.key}`;
  const message: GatewayMessage = {
    // derived from the key: a message sent twice (a retry after a lost answer) carries the same id, and the gateway drops the second
    id: createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32),
    channel,
    to: channel === 'sms' ? phone! : person.email!,
    sender: config.sender,
    ...(channel === 'email' ? { subject } : {}),
    text,
  };
  return ctx.db.transaction(async (tx) => {
    // no ordering key: a one-time code must not wait behind a notice the gateway keeps refusing
    const queued = await enqueueDelivery(tx, ctx.secrets, { kind: NOTIFICATION_KIND, url: `${config.baseUrl}/messages`, body: message, dedupeKey });
    if (queued.created) {
      await ctx.audit.recordIn(tx, auditEntries(as, [{
        action: 'read', entity: 'notification', entityId: queued.id, subjectPersonId: input.personId,
        fields: [channel === 'sms' ? 'phone' : 'email'], details: { template: input.template, channel, recipient: as.principal.id },
      }]));
    }
    return { queued: true as const, created: queued.created, deliveryId: queued.id, channel };
  });
}

/**
 * Sends a one-time code to the person's phone (or e-mail), for the portal's sign-in and confirmations. The code goes
 * through the delivery queue like every message; `key` (default: a new id) makes a retried request send it once.
 */
export async function sendOneTimeCode(
  ctx: Ctx,
  input: { personId: string; code: string; ttlMinutes?: number; key?: string },
): Promise<NotificationOutcome> {
  if (!/^[0-9A-Za-z]{4,12}$/.test(input.code)) throw new TypeError('code must be 4-12 letters or digits');
  return queueNotification(ctx, {
    personId: input.personId,
    template: 'otp',
    values: { code: input.code, minutes: String(input.ttlMinutes ?? 10) },
    key: `otp:${input.personId}:${input.key ?? randomUUID()}`,
  });
}

/**
 * Sends a one-time code to a phone number that is no one's record yet (the portal's online registration verifies the
 * applicant's phone first). No registry data goes to the gateway, only the number the person typed, so no consent
 * decision applies; the text is in `language` ('en', 'fr', ...). `key` makes a retried request send it once.
 */
export async function sendOneTimeCodeToNumber(
  ctx: Ctx,
  input: { phone: string; code: string; language?: string; ttlMinutes?: number; key: string },
): Promise<NotificationOutcome> {
  if (!/^[0-9A-Za-z]{4,12}$/.test(input.code)) throw new TypeError('code must be 4-12 letters or digits');
  const row = await configStore.row(ctx.db, CONNECTOR_ID);
  if (!row?.enabled) return { queued: false, reason: 'not_configured' };
  const config = readConfig(await openConfiguration(ctx.db, ctx.secrets, CONNECTOR_ID));
  if (!config.channels.includes('sms')) return { queued: false, reason: 'no_contact' };
  const { text } = render('otp', input.language, { code: input.code, minutes: String(input.ttlMinutes ?? 10) });
  const dedupeKey = `notification:otp-number:${input.key}`;
  const message: GatewayMessage = { id: createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32), channel: 'sms', to: input.phone, sender: config.sender, text };
  return ctx.db.transaction(async (tx) => {
    const queued = await enqueueDelivery(tx, ctx.secrets, { kind: NOTIFICATION_KIND, url: `${config.baseUrl}/messages`, body: message, dedupeKey });
    return { queued: true as const, created: queued.created, deliveryId: queued.id, channel: 'sms' as const };
  });
}

/** How queued messages are sent: to the gateway configured now, with its key; refused while the connector is off. */
export function notificationPreparer(db: Db, secrets: Secrets): Preparer {
  return async (message) => {
    const row = await configStore.row(db, CONNECTOR_ID);
    if (!row?.enabled) throw new Error('the notification connector is disabled; the message waits');
    const config = readConfig(await openConfiguration(db, secrets, CONNECTOR_ID));
    const body = message.body as GatewayMessage;
    return {
      url: `${config.baseUrl}/messages`,
      body,
      headers: { 'idempotency-key': body.id, ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}) },
    };
  };
}
