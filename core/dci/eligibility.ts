// ELIGIBILITY subscriptions (the hub's own reg_event_type): a program's management system hears, by DCI notify, of
// each household that becomes eligible or ineligible for the program (core/programs emits
// household.eligibility_changed). Only clients registered as the program's systems may subscribe (core/programs/
// systems.ts), and what the notify discloses is decided for the program as recipient, under the subscription's
// purpose: the same consents as the program's REST enrolment push (connectors/program-mis), whichever channel
// carries the data.
import type { Db } from '../db/index.js';
import type { OutboxEvent } from '../outbox/events.js';
import { isProgramSystem } from '../programs/systems.js';
import type { Principal } from '../server/principal.js';
import type { SubscriptionRow } from './store.js';

export const ELIGIBILITY_EVENT = 'ELIGIBILITY';

/** What an ELIGIBILITY notify says besides the record. */
export interface EligibilityDetail {
  program: string;
  eligible: boolean;
}

/**
 * The program an ELIGIBILITY subscription follows, or why it is refused (an rjct.notify_details.invalid message).
 * Other event types name no program. Open access (SRHUB_AUTH=off, a system principal) may subscribe to any program.
 */
export async function subscriptionProgram(
  tx: Db,
  principal: Pick<Principal, 'id' | 'kind'>,
  criteria: { reg_event_type?: unknown; program?: unknown },
): Promise<{ programId: string | null } | { refused: string }> {
  if (criteria.reg_event_type !== ELIGIBILITY_EVENT) {
    return criteria.program === undefined ? { programId: null } : { refused: `program: only an ${ELIGIBILITY_EVENT} subscription names a program.` };
  }
  if (typeof criteria.program !== 'string') return { refused: `program: an ${ELIGIBILITY_EVENT} subscription names the program (its code).` };
  const [program] = await tx.query<{ id: string }>('select id from program where code = $1', [criteria.program]);
  if (!program) return { refused: `program: there is no program ${criteria.program}.` };
  if (principal.kind === 'client') {
    const clientId = principal.id.slice('client:'.length);
    if (!(await isProgramSystem(tx, program.id, clientId))) {
      return { refused: `program: client ${clientId} does not act for program ${criteria.program}; an administrator adds it with PUT /api/v1/programs/{id}/systems/${clientId}.` };
    }
  } else if (principal.kind !== 'system') {
    return { refused: `program: only a program's systems (API clients) may subscribe to its eligibility.` };
  }
  return { programId: program.id };
}

/** Whether an event concerns the subscription's program (every event does for subscriptions without a program). */
export const concernsProgram = (s: Pick<SubscriptionRow, 'program_id'>, event: OutboxEvent) => !s.program_id || event.payload?.program_id === s.program_id;

/** The detail queued with an ELIGIBILITY notification (undefined for other subscriptions). */
export function eligibilityDetail(s: Pick<SubscriptionRow, 'program_id'>, programCode: string | undefined, event: OutboxEvent): EligibilityDetail | undefined {
  if (!s.program_id || !programCode) return undefined;
  return { program: programCode, eligible: event.payload?.eligible === true };
}

export async function programCode(db: Db, programId: string): Promise<string | undefined> {
  const [row] = await db.query<{ code: string }>('select code from program where id = $1', [programId]);
  return row?.code;
}

/**
 * Who a subscription's notifies are disclosed to, in consent terms: the program for ELIGIBILITY (and only while the
 * subscriber still acts for it; undefined = disclose nothing), the subscriber itself otherwise.
 */
export async function disclosureRecipient(db: Db, s: Pick<SubscriptionRow, 'program_id' | 'principal_id'>): Promise<string | undefined> {
  if (!s.program_id) return s.principal_id;
  const code = await programCode(db, s.program_id);
  if (!code) return undefined;
  if (s.principal_id.startsWith('client:') && !(await isProgramSystem(db, s.program_id, s.principal_id.slice('client:'.length)))) return undefined;
  return code;
}

/** The record with the eligibility it is notified about, as one of its additional_attributes (AttributeNameValue). */
export function withEligibility(record: Record<string, unknown>, detail: EligibilityDetail): Record<string, unknown> {
  const additional = Array.isArray(record.additional_attributes) ? record.additional_attributes : [];
  return { ...record, additional_attributes: [...additional, { name: 'program_eligibility', value: detail }] };
}
