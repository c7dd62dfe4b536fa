// Program participation: which program each household is enrolled in, and how it stands, as the program's
// management system (MIS) reports it (connectors/program-mis pushes enrolments and pulls statuses back).
// A change is audited, and announced on the outbox as household.program_changed (ids and codes only).
import { auditEntries } from '../audit/entry.js';
import type { Db } from '../db/index.js';
import { emitEvents } from '../outbox/events.js';
import type { Ctx } from '../server/context.js';
import { participationStore, PARTICIPATION_STATUSES, type ParticipationRow, type ParticipationStatus } from './store.js';

export { PARTICIPATION_STATUSES, type ParticipationStatus } from './store.js';

export interface Participation {
  household_id: string;
  program_code: string;
  external_enrolment_id: string | null;
  status: ParticipationStatus;
  status_changed_at: string | null;
  source: string;
  updated_at: string;
}

export interface ParticipationInput {
  householdId: string;
  programCode: string;
  externalEnrolmentId?: string | null;
  status: ParticipationStatus;
  /** When the MIS says the status changed; an older report than the stored one is ignored (out of order). */
  statusChangedAt?: Date | null;
  /** Who reports it: a connector id or a user's principal id. */
  source: string;
}

export type ParticipationOutcome = 'created' | 'changed' | 'unchanged' | 'stale';

/** Records a household's participation in the caller's transaction; writing the same state again changes nothing. */
export async function recordParticipation(ctx: Ctx, tx: Db, input: ParticipationInput): Promise<{ outcome: ParticipationOutcome; participation: Participation }> {
  if (!PARTICIPATION_STATUSES.includes(input.status)) throw new TypeError(`status must be one of ${PARTICIPATION_STATUSES.join(', ')}`);
  const current = await participationStore.get(tx, input.householdId, input.programCode, true);
  const enrolmentId = input.externalEnrolmentId === undefined ? (current?.external_enrolment_id ?? null) : input.externalEnrolmentId;
  const changedAt = input.statusChangedAt ?? null;
  if (current) {
    const known = current.status_changed_at ? new Date(current.status_changed_at).getTime() : null;
    if (changedAt && known !== null && changedAt.getTime() < known) return { outcome: 'stale', participation: toParticipation(current) };
    const same = current.status === input.status && current.external_enrolment_id === enrolmentId &&
      (changedAt === null || known === changedAt.getTime());
    if (same) return { outcome: 'unchanged', participation: toParticipation(current) };
  }
  const stored = await participationStore.upsert(tx, {
    household_id: input.householdId,
    program_code: input.programCode,
    external_enrolment_id: enrolmentId,
    status: input.status,
    status_changed_at: changedAt ?? (current?.status_changed_at ?? null),
    source: input.source,
  });
  const members = await tx.query<{ person_id: string }>('select person_id from membership where household_id = $1 and end_date is null', [input.householdId]);
  const event = { action: current ? ('update' as const) : ('create' as const), entity: 'household_program', entityId: `${input.householdId}:${input.programCode}`, fields: ['status', 'external_enrolment_id'], details: { program: input.programCode, status: input.status } };
  await ctx.audit.recordIn(tx, auditEntries(ctx, members.length ? members.map((m) => ({ ...event, subjectPersonId: m.person_id })) : [event]));
  if (!current || current.status !== input.status) {
    await emitEvents(tx, [{
      topic: 'household.program_changed',
      aggregateType: 'household',
      aggregateId: input.householdId,
      payload: { household_id: input.householdId, program_code: input.programCode, status: input.status, previous_status: current?.status ?? null },
    }]);
  }
  return { outcome: current ? 'changed' : 'created', participation: toParticipation(stored) };
}

export async function householdPrograms(db: Db, householdId: string): Promise<Participation[]> {
  return (await participationStore.ofHousehold(db, householdId)).map(toParticipation);
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function toParticipation(row: ParticipationRow): Participation {
  return {
    household_id: row.household_id,
    program_code: row.program_code,
    external_enrolment_id: row.external_enrolment_id,
    status: row.status,
    status_changed_at: iso(row.status_changed_at),
    source: row.source,
    updated_at: iso(row.updated_at)!,
  };
}
