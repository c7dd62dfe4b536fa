// Subscribe and unsubscribe: each subscribe_request item becomes a subscription (its filter checked by the query
// engine, its cron frequency parsed) or gets its own rjct.* code. Subscriptions live in the database.
import type { Db } from '../db/index.js';
import type { Ctx } from '../server/context.js';
import { canonicalJson } from './canonical.js';
import { nextRun, parseCron } from './cron.js';
import { subscriptionProgram } from './eligibility.js';
import { newId, now, REG_TYPE } from './envelope.js';
import { runSearch } from './query/search.js';
import { dciSchemas, describeErrors, failingPaths } from './schemas.js';
import { localeOf } from './search-batch.js';
import { dciStore, type SubscriptionRow } from './store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Item = Record<string, any>;

export const filterSealContext = (code: string) => `dci_subscription:${code}`;

/** The record type a subscriber is notified with: Group (households) unless it asks for members. */
export function recordTypeOf(notifyRecordType: unknown): 'Group' | 'Member' {
  return typeof notifyRecordType === 'string' && /member|person/i.test(notifyRecordType) ? 'Member' : 'Group';
}

/** filter_type is optional in the standard: guess it from the filter's shape when absent. */
function filterTypeOf(criteria: Item): string {
  if (typeof criteria.filter_type === 'string') return criteria.filter_type;
  if (Array.isArray(criteria.filter)) return 'predicate';
  const value = criteria.filter?.value;
  return value !== null && typeof value === 'object' ? 'expression' : 'idtype-value';
}

/** Creates the subscriptions of a SubscribeRequest (in the caller's transaction); the SubscribeResponse items. */
export async function subscribe(ctx: Ctx, tx: Db, request: { subscribe_request: Item[] }, senderId: string, callbackUrl: string) {
  const schemas = await dciSchemas();
  const seen = new Set<string>();
  const items = [];
  for (const item of request.subscribe_request) {
    const reference_id = typeof item.reference_id === 'string' && item.reference_id ? item.reference_id : 'unknown';
    const reject = (code: string, message: string) => ({ reference_id, timestamp: now(), status: 'rjct', status_reason_code: code, status_reason_message: message.slice(0, 999) });
    // the filter itself is the query engine's to judge, below
    const errors = schemas.subscribeItem(item) ? [] : (schemas.subscribeItem.errors ?? []).filter((e) => !/^\/subscribe_criteria\/filter(\/|$)/.test(e.instancePath));
    if (errors.some((e) => !['if', 'anyOf', 'allOf', 'oneOf'].includes(e.keyword))) {
      const [first = []] = failingPaths(errors);
      const code =
        first[0] === 'reference_id' ? 'rjct.reference_id.invalid'
        : first[0] === 'timestamp' ? 'rjct.timestamp.invalid'
        : first[1] === 'reg_event_type' ? 'rjct.notify_types.invalid'
        : 'rjct.notify_details.invalid';
      items.push(reject(code, describeErrors(errors)));
      continue;
    }
    if (seen.has(reference_id)) {
      items.push(reject('rjct.reference_id.duplicate', `reference_id ${reference_id} appears twice in this message.`));
      continue;
    }
    seen.add(reference_id);
    const criteria = item.subscribe_criteria as Item;
    const filterType = filterTypeOf(criteria);
    const recordType = recordTypeOf(criteria.notify_record_type);
    // the engine checks the filter as it would run it (against no one: nothing is read)
    const check = await runSearch(tx, { query_type: filterType, query: criteria.filter, response_entity: recordType, pagination: { page_size: 1, page_number: 1 } }, { areas: ctx.principal.areas, personCondition: async () => 'none' }, ctx.config, ctx.secrets);
    if (!check.ok) {
      items.push(reject('rjct.notify_details.invalid', `filter: ${check.message}`));
      continue;
    }
    const program = await subscriptionProgram(tx, ctx.principal, criteria);
    if ('refused' in program) {
      items.push(reject('rjct.notify_details.invalid', program.refused));
      continue;
    }
    let nextRunAt: Date | null = null;
    const frequency = criteria.frequency as { start_time: string; end_time: string; frequency: string } | undefined;
    if (frequency) {
      const schedule = parseCron(frequency.frequency);
      if (typeof schedule === 'string') {
        items.push(reject('rjct.notify_details.invalid', schedule));
        continue;
      }
      const start = new Date(Math.max(Date.parse(frequency.start_time), Date.now()) - 60_000);
      nextRunAt = nextRun(schedule, start);
    }
    const code = newId();
    const created = await dciStore.insertSubscription(tx, {
      code,
      sender_id: senderId,
      principal_id: ctx.principal.id,
      areas: ctx.principal.areas ? [...ctx.principal.areas] : null,
      purpose: criteria.authorize?.purpose?.code ?? ctx.purpose ?? null,
      reg_event_type: criteria.reg_event_type,
      record_type: recordType,
      filter_type: filterType,
      filter_sealed: ctx.secrets.seal(JSON.stringify(criteria.filter), filterSealContext(code)),
      filter_fingerprint: ctx.secrets.index('dci-subscription-filter', canonicalJson({ filterType, filter: criteria.filter, frequency: frequency ?? null, program: program.programId ?? undefined })),
      frequency: frequency?.frequency ?? null,
      start_time: frequency?.start_time ?? null,
      end_time: frequency?.end_time ?? null,
      next_run_at: nextRunAt?.toISOString() ?? null,
      locale: localeOf(item.locale),
      callback_url: callbackUrl,
      program_id: program.programId,
    });
    if (!created) {
      items.push(reject('rjct.event.already_subscribed', `You already subscribe to ${criteria.reg_event_type} with this filter.`));
      continue;
    }
    items.push({
      reference_id,
      timestamp: now(),
      status: 'succ',
      subscriptions: [
        {
          version: '1.0.0',
          code,
          status: 'subscribe',
          timestamp: now(),
          reg_type: REG_TYPE,
          reg_event_type: criteria.reg_event_type,
          ...(frequency ? { frequency } : {}),
          filter_type: filterType,
          filter: criteria.filter,
          notify_record_type: recordType,
          ...(program.programId ? { program: criteria.program } : {}),
          locale: localeOf(item.locale),
        },
      ],
    });
  }
  return items;
}

/** Ends a sender's subscriptions by code: all or nothing when a code is unknown or not the sender's. */
export async function unsubscribe(tx: Db, senderId: string, codes: string[]) {
  const rows = await dciStore.subscriptionsByCode(tx, codes);
  const mine = new Map<string, SubscriptionRow>(rows.filter((r) => r.sender_id === senderId).map((r) => [r.code, r]));
  const unknown = codes.filter((c) => !mine.has(c));
  if (unknown.length) {
    return { status: 'rjct', status_reason_code: 'rjct.subscription_code.invalid', status_reason_message: `No subscription of yours has the code ${unknown.slice(0, 5).join(', ')}.` };
  }
  const active = codes.filter((c) => mine.get(c)!.status === 'subscribe');
  if (active.length === 0) {
    return { status: 'rjct', status_reason_code: 'rjct.event.already_unsubscribed', status_reason_message: 'These subscriptions had already ended.' };
  }
  await dciStore.unsubscribe(tx, active);
  return { status: 'succ', subscription_status: [...new Set(codes)].map((code) => ({ code, status: 'unsubscribe' })) };
}
