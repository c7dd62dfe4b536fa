// The notification jobs: a consent expiry notice to the person (consent.expired), and the registration workflow's
// news to the household's head (registration.registered, change.approved|rejected|applied). Each event is one item:
// a failure dead-letters that event alone, and a run retried queues nothing twice (the delivery's dedupe key).
import { householdStore } from '../../core/registry/households/store.js';
import { fn } from '../framework/openfn.js';
import type { HubOperations, Operation, State } from '../framework/types.js';
import { queueNotification, type NotificationOutcome } from './send.js';
import { WORKFLOW_TEMPLATES } from './templates.js';

interface EventItem {
  event?: { id: string; topic: string; aggregateId: string };
  [key: string]: unknown;
}

const itemsOf = (state: State): EventItem[] => (Array.isArray(state.data) ? state.data : [state.data]).filter((i) => i && typeof i === 'object');

function counted(hub: HubOperations, outcome: NotificationOutcome): void {
  if (outcome.queued) hub.count(outcome.created ? 'messages.queued' : 'messages.already_queued');
  else hub.count(`messages.skipped.${outcome.reason.replace(/[^a-z_.]/g, '_')}`);
}

export function consentExpiredJob(hub: HubOperations): Operation[] {
  return [
    hub.eachItem(itemsOf, async (item) => {
      const personId = typeof item.person_id === 'string' ? item.person_id : undefined;
      if (!personId || !item.event) return void hub.count('messages.skipped.no_person');
      counted(hub, await queueNotification(hub.ctx, { personId, template: 'consent_expired', key: `consent.expired:${item.event.aggregateId}` }));
    }),
    fn((state) => {
      hub.result({ events: itemsOf(state).length });
      return state;
    }),
  ];
}

export function workflowNoticesJob(hub: HubOperations): Operation[] {
  return [
    hub.eachItem(itemsOf, async (item) => {
      const topic = item.event?.topic ?? '';
      const template = WORKFLOW_TEMPLATES[topic];
      const caseId = typeof item.case_id === 'string' ? item.case_id : item.event?.aggregateId;
      const householdId = typeof item.household_id === 'string' ? item.household_id : undefined;
      if (!template || !caseId) return void hub.count('messages.skipped.not_notified');
      // a case without a household (a rejected registration) has no one registered to tell
      const household = householdId ? await householdStore.byId(hub.ctx.db, householdId, null) : undefined;
      if (!household?.head_person_id) return void hub.count('messages.skipped.no_household_head');
      counted(hub, await queueNotification(hub.ctx, {
        personId: household.head_person_id,
        template,
        values: { reference: caseId.slice(-8).toUpperCase() },
        key: `${topic}:${caseId}`,
      }));
    }),
    fn((state) => {
      hub.result({ events: itemsOf(state).length });
      return state;
    }),
  ];
}
