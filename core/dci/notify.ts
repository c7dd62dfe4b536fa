// Notifications: an outbox consumer matches registry events to subscriptions (each subscription's filter run by the
// query engine, restricted to the records the events touched and to what the subscriber may see: set-based, never
// JavaScript over rows) and queues one notify per (subscription, event, record): the dedupe key makes it once, the
// ordering key (the record) keeps a record's notifications in order. Subscriptions with a cron frequency collect
// their notifications and release them at each run. The record itself is read when the notify is sent, through the
// consent checks of that moment.
import { coveringConsentCondition, decideDisclosure } from '../../consent/policy.js';
import type { Db } from '../db/index.js';
import { enqueueDelivery } from '../delivery/queue.js';
import type { OutgoingMessage } from '../delivery/worker.js';
import type { OutboxConsumer } from '../outbox/dispatcher.js';
import type { OutboxEvent } from '../outbox/events.js';
import { nextRun, parseCron } from './cron.js';
import { concernsProgram, disclosureRecipient, eligibilityDetail, programCode, withEligibility, type EligibilityDetail } from './eligibility.js';
import { callbackHeader, DCI_VERSION, hubSenderId, REG_TYPE } from './envelope.js';
import { sealMessage } from './messages.js';
import { runSearch } from './query/search.js';
import { loadRecords, personIdsOf } from './records.js';
import { dciStore, type SubscriptionRow } from './store.js';
import { filterSealContext } from './subscriptions.js';
import { actingAs, type DciDeps } from './transactions.js';

/** Registry topics -> the event types a subscriber can ask for. */
const EVENT_TYPES: Record<string, string> = {
  'household.registered': 'REGISTER',
  'person.registered': 'REGISTER',
  'household.member_added': 'NewHouseHoldMember',
  'household.updated': 'UPDATE',
  'household.member_removed': 'UPDATE',
  'person.updated': 'UPDATE',
  'person.deceased': 'DEATH',
  'household.deregistered': 'DEREGISTER',
  'person.deregistered': 'DEREGISTER',
  // core/programs: a household became eligible or ineligible for a program (ELIGIBILITY names the program)
  'household.eligibility_changed': 'ELIGIBILITY',
};

export const NOTIFY_KIND = 'dci.notify';
const MATCH_CHUNK = 500;

interface Notification {
  subscription: SubscriptionRow;
  event: OutboxEvent;
  eventType: string;
  recordId: string;
  detail?: EligibilityDetail;
}

export function subscriptionConsumer(deps: DciDeps): OutboxConsumer {
  return {
    name: 'dci.subscriptions',
    topics: Object.keys(EVENT_TYPES),
    async handle(tx, events) {
      const subscriptions = await dciStore.activeSubscriptions(tx, [...new Set(events.map((e) => EVENT_TYPES[e.topic]))]);
      if (subscriptions.length === 0) return;
      const records = await recordsOfEvents(tx, events);
      const matched: Notification[] = [];
      for (const subscription of subscriptions) {
        const candidates: { event: OutboxEvent; recordId: string }[] = [];
        for (const event of events) {
          if (EVENT_TYPES[event.topic] !== subscription.reg_event_type || !concernsProgram(subscription, event)) continue;
          for (const recordId of records.get(event.id)?.[subscription.record_type] ?? []) candidates.push({ event, recordId });
        }
        if (candidates.length === 0) continue;
        const hits = await matchingRecords(deps, tx, subscription, [...new Set(candidates.map((c) => c.recordId))]);
        const program = subscription.program_id ? await programCode(tx, subscription.program_id) : undefined;
        for (const c of candidates) {
          if (!hits.has(c.recordId)) continue;
          const detail = eligibilityDetail(subscription, program, c.event);
          matched.push({ subscription, event: c.event, eventType: subscription.reg_event_type, recordId: c.recordId, ...(detail ? { detail } : {}) });
        }
      }
      await queue(deps, tx, matched);
    },
  };
}

/** The Group (household) and Member (person) records each event is about. */
async function recordsOfEvents(tx: Db, events: OutboxEvent[]): Promise<Map<string, { Group: string[]; Member: string[] }>> {
  const householdIds = events.filter((e) => e.aggregateType === 'household').map((e) => e.aggregateId);
  const personIds = events.filter((e) => e.aggregateType === 'person').map((e) => e.aggregateId);
  const members = new Map<string, string[]>();
  for (const m of await dciStore.householdMembers(tx, householdIds)) members.set(m.household_id, [...(members.get(m.household_id) ?? []), m.person_id]);
  const households = new Map((await dciStore.householdsOf(tx, personIds)).map((m) => [m.person_id, m.household_id]));
  const result = new Map<string, { Group: string[]; Member: string[] }>();
  for (const e of events) {
    const payload = e.payload ?? {};
    if (e.aggregateType === 'household') {
      const people =
        typeof payload.person_id === 'string' ? [payload.person_id]
        : Array.isArray(payload.member_ids) ? (payload.member_ids as string[])
        : (members.get(e.aggregateId) ?? []);
      result.set(e.id, { Group: [e.aggregateId], Member: people });
    } else {
      const household = typeof payload.household_id === 'string' ? payload.household_id : households.get(e.aggregateId);
      // a person registered into a household is that household's news too only as NewHouseHoldMember (its own topic)
      result.set(e.id, { Group: e.topic === 'person.registered' || !household ? [] : [household], Member: [e.aggregateId] });
    }
  }
  return result;
}

/** The candidate records the subscription's filter selects, within the subscriber's areas and consent. */
async function matchingRecords(deps: DciDeps, tx: Db, s: SubscriptionRow, recordIds: string[]): Promise<Set<string>> {
  const ctx = actingAs(deps, subscriber(s), s.purpose ?? undefined, tx);
  const filter = JSON.parse(deps.secrets.open(s.filter_sealed, filterSealContext(s.code)));
  const hits = new Set<string>();
  // an ELIGIBILITY subscriber that no longer acts for its program matches nothing
  const recipient = await disclosureRecipient(tx, s);
  if (!recipient) return hits;
  for (let i = 0; i < recordIds.length; i += MATCH_CHUNK) {
    const chunk = recordIds.slice(i, i + MATCH_CHUNK);
    const outcome = await runSearch(
      tx,
      { query_type: s.filter_type, query: filter, response_entity: s.record_type, pagination: { page_size: chunk.length, page_number: 1 } },
      {
        areas: s.areas,
        // search leaves deregistered households (and their current members) out, so a DEREGISTER event's record
        // would never match: for DEREGISTER the filter is evaluated over the record as it was deregistered (its
        // areas and the subscriber's consent still apply); every other event type sees current records only
        includeDeregistered: s.reg_event_type === 'DEREGISTER',
        personCondition: async (param, column) => {
          const only =
            s.record_type === 'Member'
              ? `${column} = any(${param(chunk)}::uuid[])`
              : // a Group's column is its head of household
                `${column} in (select head_person_id from household where id = any(${param(chunk)}::uuid[]))`;
          const consent = await coveringConsentCondition(ctx, { purpose: s.purpose ?? undefined, recipient }, column, param);
          if (consent === 'none') return 'none';
          return consent ? `(${only}) and (${consent})` : only;
        },
      },
      deps.config,
      deps.secrets,
    );
    if (!outcome.ok) {
      deps.log.warn({ subscription: s.code, code: outcome.code }, 'subscription filter no longer runs');
      continue;
    }
    for (const id of outcome.ids) hits.add(id);
  }
  return hits;
}

/** Queues notifications: at once, or for the subscription's next scheduled run. */
async function queue(deps: DciDeps, tx: Db, notifications: Notification[]): Promise<void> {
  const scheduled = notifications.filter((n) => n.subscription.frequency);
  await dciStore.queueNotifications(
    tx,
    scheduled.map((n) => ({ subscription_code: n.subscription.code, ...notificationOf(n) })),
  );
  for (const n of notifications.filter((x) => !x.subscription.frequency)) {
    await enqueueNotify(deps, tx, n.subscription, notificationOf(n));
  }
}

function notificationOf(n: Notification): Omit<NotifyBody, 'subscription'> {
  return { event_id: `${n.event.id}:${n.recordId}`, record_id: n.recordId, event_type: n.eventType, event_at: n.event.createdAt, ...(n.detail ? { detail: n.detail } : {}) };
}

/** The subscriber as a principal: who it is and its areas; it may search (it subscribed with registry.search). */
const subscriber = (s: SubscriptionRow) => ({ id: s.principal_id, kind: s.principal_id.startsWith('client:') ? ('client' as const) : ('user' as const), scopes: ['registry.search'], areas: s.areas });

interface NotifyBody {
  subscription: string;
  event_id: string;
  record_id: string;
  event_type: string;
  event_at: string;
  detail?: EligibilityDetail;
}

function enqueueNotify(deps: DciDeps, tx: Db, s: SubscriptionRow, n: Omit<NotifyBody, 'subscription'>) {
  const body: NotifyBody = { subscription: s.code, ...n };
  return enqueueDelivery(tx, deps.secrets, { kind: NOTIFY_KIND, url: s.callback_url, body, dedupeKey: `${s.code}:${n.event_id}`, orderingKey: n.record_id });
}

/** Releases the notifications of subscriptions whose scheduled run is due; returns how many were queued. */
export async function runSchedules(deps: DciDeps): Promise<number> {
  return deps.db.transaction(async (tx) => {
    let queued = 0;
    for (const s of await dciStore.dueSubscriptions(tx, 100)) {
      for (const n of await dciStore.takeNotifications(tx, s.code)) {
        await enqueueNotify(deps, tx, s, n);
        queued += 1;
      }
      const schedule = parseCron(s.frequency!);
      const next = typeof schedule === 'string' ? null : nextRun(schedule, new Date());
      await dciStore.setNextRun(tx, s.code, next && (!s.end_time || next < new Date(s.end_time)) ? next : null);
    }
    return queued;
  });
}

/** Builds, encrypts when asked and signs a notify just before it is sent, with the record as it is now. */
export function notifyPreparer(deps: DciDeps) {
  return async (outgoing: OutgoingMessage) => {
    const n = outgoing.body as NotifyBody;
    const [s] = await dciStore.subscriptionsByCode(deps.db, [n.subscription]);
    if (!s) throw new Error(`subscription ${n.subscription} is gone`);
    const ctx = actingAs(deps, subscriber(s), s.purpose ?? undefined);
    const recipient = await disclosureRecipient(ctx.db, s);
    const personIds = recipient ? await personIdsOf(ctx.db, s.record_type, [n.record_id]) : [];
    const decisions = recipient ? await decideDisclosure(ctx, { purpose: s.purpose ?? undefined, recipient, personIds }) : new Map();
    const [loaded] = await loadRecords(ctx, s.record_type, recipient ? [n.record_id] : [], (personId) => {
      const d = decisions.get(personId);
      return d?.allowed ? d.categories : undefined;
    });
    // the eligibility is about the household: said only within a record the subscriber may see
    const record = loaded && n.detail ? withEligibility(loaded as Record<string, unknown>, n.detail) : loaded;
    const message = {
      transaction_id: s.code,
      notify_event: [
        {
          reference_id: n.event_id,
          timestamp: n.event_at,
          // the record as the subscriber may see it now (empty when it may no longer see any of it)
          data: { version: DCI_VERSION, reg_type: REG_TYPE, reg_event_type: n.event_type, reg_record_type: s.record_type, reg_records: record ?? {} },
          locale: s.locale ?? 'eng',
        },
      ],
    };
    // the delivery's id as message_id: a repeated attempt is recognisably the same message
    const header = callbackHeader({ sender_id: s.sender_id } as never, 'notify', hubSenderId(deps.config), { message_id: outgoing.id, total_count: 1, completed_count: 1 });
    const clientId = s.principal_id.startsWith('client:') ? s.principal_id.slice('client:'.length) : undefined;
    return { body: await sealMessage(deps, clientId, header, message) };
  };
}
