// A verified registration case becomes a household through the registry's one register path (registerHouseholds),
// like every other channel; what was verified about its members before they existed is attached to them.
import type { Db } from '../db/index.js';
import { registerHouseholds } from '../registry/households/register.js';
import { householdStore } from '../registry/households/store.js';
import type { Ctx } from '../server/context.js';
import { conflict, HubError, unprocessable } from '../server/errors.js';
import { inSavepoint, submitterContext } from './acting.js';
import { attachCaseVerifications } from './peers.js';
import { openCaseData, type CaseRow } from './store.js';
import type { RegistrationData } from './submit.js';
import { transition } from './transitions.js';

/**
 * Registers the case's household and moves the case to 'registered'. When the registry refuses (an identifier
 * registered meanwhile, an area gone), onFailure 'review' sends the case to review with the reason, 'throw' answers
 * the caller (an officer approving) and changes nothing.
 */
export async function registerCase(tx: Db, ctx: Ctx, row: CaseRow, onFailure: 'review' | 'throw'): Promise<CaseRow> {
  const data = openCaseData<RegistrationData>(ctx.secrets, row);
  let failure: { reasons: string[]; fields: { field: string; message?: string }[]; error: HubError } | undefined;
  let householdId: string | undefined;
  try {
    householdId = await inSavepoint(tx, async () => {
      const registration = await registerHouseholds(tx, submitterContext(ctx, tx, row), [data.household], {
        defaultChannel: row.channel,
        at: () => 'household',
        skipInvalid: false,
      });
      if (registration.errors.length) {
        // identifier messages name the value: keep the field paths only
        const taken = registration.identifierConflicts;
        failure = {
          reasons: [taken ? 'identifier_registered' : 'registration_invalid'],
          fields: registration.errors.map((e) => (taken ? { field: e.field } : { field: e.field, message: e.message })),
          error: taken
            ? conflict('identifier.duplicate', 'An identifier is already registered or given twice.', { errors: registration.errors })
            : unprocessable('household.invalid', registration.errors, 'The household cannot be registered as given.'),
        };
        throw failure.error;
      }
      return registration.created[0].id;
    });
  } catch (err) {
    if (!failure) {
      if (onFailure === 'throw' || !(err instanceof HubError || isDbError(err))) throw err;
      failure = { reasons: ['registration_failed'], fields: [], error: err as HubError };
      ctx.log.warn({ case_id: row.id, code: (err as { code?: string }).code }, 'registration of a verified case failed');
    }
  }
  if (failure) {
    if (onFailure === 'throw') throw failure.error;
    return transition(tx, ctx, row, {
      action: 'checks',
      to: 'needs_review',
      reasons: failure.reasons,
      fields: { checks: [...row.checks, { check: 'registration', outcome: 'needs_review', reason: failure.reasons[0], details: { errors: failure.fields } }] },
    });
  }
  await attachVerifications(tx, ctx, row, data, householdId!);
  return transition(tx, ctx, row, { action: 'register', to: 'registered', fields: { household_id: householdId! } });
}

const isDbError = (err: unknown) => typeof (err as { code?: unknown })?.code === 'string' && /^[0-9A-Z]{5}$/.test((err as { code: string }).code);

/**
 * Verification records a connector made during the case (members not yet registered) move to the new people.
 * New members are created in member order with time-ordered ids, so sorting the new ids gives member order.
 */
async function attachVerifications(tx: Db, ctx: Ctx, row: CaseRow, data: RegistrationData, householdId: string): Promise<void> {
  const named = new Set(data.household.members.flatMap((m) => (m.person_id ? [m.person_id] : [])));
  const members = await householdStore.members(tx, householdId);
  const created = members.map((m) => m.person_id).filter((id) => !named.has(id)).sort();
  const byIndex = new Map<number, string>();
  let next = 0;
  data.household.members.forEach((m, index) => {
    if (m.person) byIndex.set(index, created[next++]);
    else if (m.person_id) byIndex.set(index, m.person_id);
  });
  try {
    await inSavepoint(tx, () => attachCaseVerifications(tx, row.id, byIndex));
  } catch (err) {
    ctx.log.warn({ case_id: row.id, err: (err as Error).name }, 'attaching verification records failed');
  }
}
