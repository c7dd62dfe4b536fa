// A new registration pushed from a device: checked against its form version and the worker's areas at once (so
// the device hears about field errors in the push's answer), then handed to the registration workflow (P5), which
// records a case in the push's transaction (the chunk's cases together) and runs its checks after commit.
import type { Db } from '../db/index.js';
import { deriveDisabilities } from '../forms/default-household.js';
import type { HouseholdInput } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { unprocessable, type FieldError } from '../server/errors.js';
import { submitRegistration, type ProxyInfo, type Submission, type SubmitResult, type WitnessInfo } from '../workflow/index.js';
import type { PushLookups } from './lookups.js';
import type { ItemResult, PushItem } from './types.js';

const reject = (errors: FieldError[], message: string) => unprocessable('sync.item_rejected', errors, message);

/** The item as a workflow submission, or a 422 naming what is wrong with it (area, form version, answers). */
export function newSubmission(item: PushItem, deviceId: string, at: string, lookups: PushLookups): Submission {
  const submitted = item.household!;
  checkArea(lookups, submitted.area_code, `${at}.household.area_code`);
  const errors = lookups.validate(item.form, submitted, { at: `${at}.household`, formAt: `${at}.form` });
  if (errors.length) throw reject(errors, 'The registration does not match its form version.');
  // the channel goes with the submission (the form's schema describes the answers only)
  const household: HouseholdInput = deriveDisabilities(structuredClone(submitted));
  return {
    channel: 'mobile',
    household,
    form: item.form,
    clientRef: item.client_id,
    deviceId,
    capturedAt: item.captured_at,
    proxy: item.proxy as ProxyInfo | undefined,
    witness: item.witness as WitnessInfo | undefined,
  };
}

/** The item's answer: the case; its household exists once the case's checks pass after commit (the pull says so). */
export function newResult(item: PushItem, submitted: SubmitResult): ItemResult {
  return { client_id: item.client_id, status: 'accepted', case_id: submitted.caseId, case_status: submitted.status, household_id: submitted.householdId ?? null };
}

/** One item on its own: for a UUID a case holds already (from another channel), which the workflow answers. */
export async function applyNew(ctx: Ctx, tx: Db, item: PushItem, deviceId: string, at: string, lookups: PushLookups): Promise<ItemResult> {
  return newResult(item, await submitRegistration(ctx, tx, newSubmission(item, deviceId, at, lookups), { at: `${at}.household` }));
}

/** An area the worker is not assigned to is refused, naming which of the two it is (unknown or not theirs). */
function checkArea(lookups: PushLookups, areaCode: string, field: string): void {
  if (lookups.usableAreas.has(areaCode)) return;
  const known = lookups.knownAreas.has(areaCode);
  throw reject([{ field, message: known ? `${areaCode} is not one of your assigned areas` : `${areaCode} is not a known admin area` }], 'The registration is for an area you cannot register in.');
}
