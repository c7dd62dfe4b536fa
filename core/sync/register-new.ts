// A new registration pushed from a device: checked against its form version and the worker's areas at once (so
// the device hears about field errors in the push's answer), then handed to the registration workflow (P5), which
// records a case in the item's transaction and runs its checks after commit.
import type { Db } from '../db/index.js';
import { deriveDisabilities } from '../forms/default-household.js';
import { validateSubmission } from '../forms/service.js';
import { householdStore } from '../registry/households/store.js';
import { scopeParam } from '../registry/scope.js';
import type { HouseholdInput } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { unprocessable, type FieldError } from '../server/errors.js';
import { submitRegistration, type ProxyInfo, type WitnessInfo } from '../workflow/index.js';
import type { ItemResult, PushItem } from './types.js';

const reject = (errors: FieldError[], message: string) => unprocessable('sync.item_rejected', errors, message);

export async function applyNew(ctx: Ctx, tx: Db, item: PushItem, deviceId: string, at: string): Promise<ItemResult> {
  const submitted = item.household!;
  await checkArea(tx, ctx, submitted.area_code, `${at}.household.area_code`);
  const errors = await validateSubmission(tx, item.form, submitted, { at: `${at}.household`, formAt: `${at}.form` });
  if (errors.length) throw reject(errors, 'The registration does not match its form version.');
  // the channel goes with the submission (the form's schema describes the answers only)
  const household: HouseholdInput = deriveDisabilities(structuredClone(submitted));
  const registered = await register(ctx, tx, item, household, deviceId, at);
  return { client_id: item.client_id, status: 'accepted', ...registered };
}

/** An area the worker is not assigned to is refused, naming which of the two it is (unknown or not theirs). */
async function checkArea(tx: Db, ctx: Ctx, areaCode: string, field: string): Promise<void> {
  if ((await householdStore.usableAreas(tx, [areaCode], scopeParam(ctx.principal))).has(areaCode)) return;
  const known = (await householdStore.usableAreas(tx, [areaCode], null)).has(areaCode);
  throw reject([{ field, message: known ? `${areaCode} is not one of your assigned areas` : `${areaCode} is not a known admin area` }], 'The registration is for an area you cannot register in.');
}

async function register(ctx: Ctx, tx: Db, item: PushItem, household: HouseholdInput, deviceId: string, at: string): Promise<Partial<ItemResult>> {
  const submitted = await submitRegistration(
    ctx,
    tx,
    {
      channel: 'mobile',
      household,
      form: item.form,
      clientRef: item.client_id,
      deviceId,
      capturedAt: item.captured_at,
      proxy: item.proxy as ProxyInfo | undefined,
      witness: item.witness as WitnessInfo | undefined,
    },
    { at: `${at}.household` },
  );
  // checks run after commit: the household exists once the case is registered (the pull tells the device)
  return { case_id: submitted.caseId, case_status: submitted.status, household_id: submitted.householdId ?? null };
}
