// The registry's events for the outbox (subscriptions, connectors, re-assessment): which record changed and how,
// never the personal data itself (subscribers read the record, through the consent checks, when they are told).
import type { OutboxEventInput } from '../outbox/events.js';

export const REGISTRY_TOPICS = [
  'household.registered',
  'household.updated',
  'household.member_added',
  'household.member_removed',
  'person.registered',
  'person.updated',
  // a death recorded (death_date set where it was null); it comes with the person.updated of the same change
  'person.deceased',
  // a household deregistered (POST /households/{id}/deregister): its id, its members' ids and the reason code
  'household.deregistered',
] as const;

export type RegistryTopic = (typeof REGISTRY_TOPICS)[number];

export function householdEvent(topic: RegistryTopic, householdId: string, payload: Record<string, unknown>): OutboxEventInput {
  return { topic, aggregateType: 'household', aggregateId: householdId, payload };
}

export function personEvent(topic: RegistryTopic, personId: string, payload: Record<string, unknown>): OutboxEventInput {
  return { topic, aggregateType: 'person', aggregateId: personId, payload };
}
