// Submitting a registration: any channel (sync push, portal, office, import, connector) records a case in the
// caller's transaction; the checks run after commit (runner.ts), so a 1,000-item push stays fast.
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import { HEAD } from '../registry/households/register.js';
import { householdStore } from '../registry/households/store.js';
import { checkIdentifiers, checkNewPerson } from '../registry/persons/rules.js';
import { scopeParam } from '../registry/scope.js';
import type { HouseholdInput } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { conflict, HubError, unprocessable, type FieldError } from '../server/errors.js';
import { auditEntries } from '../audit/entry.js';
import { emitEvents } from '../outbox/events.js';
import { checkInclusive } from './inclusive.js';
import { caseStore, type CaseRow, type NewCase } from './store.js';
import { caseEvent } from './transitions.js';
import type { CaseStatus, Submission, SubmitResult } from './types.js';

/** What a registration case holds (sealed). */
export interface RegistrationData {
  household: HouseholdInput;
  proxy?: Submission['proxy'];
  witness?: Submission['witness'];
}

export interface SubmitOptions {
  /**
   * Where the household sits in the request, for field errors (default 'body.household'); proxy and witness errors
   * are named next to it ('body.items[3].household' -> 'body.items[3].proxy.name').
   */
  at?: string;
}

/**
 * Records a registration case ('submitted'). Input that can never be registered (no head, a person without a name,
 * an unknown area or one outside the caller's areas, incomplete proxy or witness) is refused at once: 422 naming
 * each field, nothing written. The same clientRef again answers the first case (`replayed`), writing nothing.
 */
export async function submitRegistration(ctx: Ctx, tx: Db, submission: Submission, options: SubmitOptions = {}): Promise<SubmitResult> {
  const at = options.at ?? 'body.household';
  if (submission.clientRef) {
    const earlier = await caseStore.byClientRef(tx, 'registration', submission.clientRef);
    if (earlier) return replay(ctx, earlier);
  }
  const errors = await submissionErrors(ctx, tx, submission, at);
  if (errors.length) throw unprocessable('registration.invalid', errors, 'The registration cannot be accepted as given.');

  const c = newCase(ctx, submission);
  const id = c.id;
  const inserted = await caseStore.insert(tx, ctx.secrets, c);
  if (!inserted) {
    // a concurrent submission with the same clientRef committed first: answer its case
    return replay(ctx, (await caseStore.byClientRef(tx, 'registration', submission.clientRef!))!);
  }
  await recordSubmitted(tx, ctx, { id, kind: 'registration', status: 'submitted', household_id: null, area_code: c.area_code, channel: submission.channel, reasons: [], change_kind: null, person_id: null });
  return { caseId: id, status: 'submitted' };
}

/** A submission as a new case row ('submitted'). */
function newCase(ctx: Ctx, submission: Submission): NewCase {
  const { household, proxy, witness } = submission;
  const data: RegistrationData = { household, ...(proxy ? { proxy } : {}), ...(witness ? { witness } : {}) };
  return {
    id: uuidv7(),
    kind: 'registration',
    status: 'submitted',
    channel: submission.channel,
    area_code: household.area_code,
    household_id: null,
    person_id: null,
    change_kind: null,
    base_version: null,
    form_id: submission.form?.id ?? null,
    form_version: submission.form?.version ?? null,
    client_ref: submission.clientRef ?? null,
    device_id: submission.deviceId ?? null,
    captured_at: submission.capturedAt ?? null,
    source: submission.source ?? null,
    by_proxy: Boolean(proxy),
    assisted: Boolean(witness),
    reasons: [],
    submitted_by: ctx.principal.id,
    submitted_by_kind: ctx.principal.kind,
    data,
  };
}

/**
 * Several registrations at once (the sync push's new items): each checked as submitRegistration checks it, then the
 * cases, their first events, outbox events and audit entries written with one statement each instead of per case.
 * Answers per submission its result, or the HubError refusing it (nothing written for it). The caller looked up the
 * areas once, and sends a submission whose clientRef a case may hold already through submitRegistration.
 */
export async function submitRegistrations(
  ctx: Ctx,
  tx: Db,
  batch: readonly { submission: Submission; at: string }[],
  usableAreas: ReadonlySet<string>,
): Promise<(SubmitResult | HubError)[]> {
  const answers: (SubmitResult | HubError)[] = new Array(batch.length);
  const cases: { slot: number; c: NewCase }[] = [];
  for (const [slot, { submission, at }] of batch.entries()) {
    const errors = await submissionErrors(ctx, tx, submission, at, usableAreas);
    if (errors.length) answers[slot] = unprocessable('registration.invalid', errors, 'The registration cannot be accepted as given.');
    else cases.push({ slot, c: newCase(ctx, submission) });
  }
  const inserted = await caseStore.insertMany(tx, ctx.secrets, cases.map(({ c }) => c));
  for (const { slot, c } of cases) {
    if (inserted.has(c.id)) {
      answers[slot] = { caseId: c.id, status: 'submitted' };
      continue;
    }
    // a concurrent submission with the same clientRef committed first: answer its case
    try {
      answers[slot] = replay(ctx, (await caseStore.byClientRef(tx, 'registration', c.client_ref!))!);
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      answers[slot] = err;
    }
  }
  const created = cases.map(({ c }) => c).filter((c) => inserted.has(c.id));
  await caseStore.addSubmitEvents(tx, created.map((c) => c.id), ctx.principal.id);
  await emitEvents(tx, created.map((c) => caseEvent({ ...c, status: 'submitted' })));
  await ctx.audit.recordIn(
    tx,
    auditEntries(ctx, created.map((c) => ({ action: 'create' as const, entity: 'registration_case', entityId: c.id, subjectPersonId: null, details: { kind: c.kind, channel: c.channel } }))),
  );
  return answers;
}

/** The case's first event, its outbox event and audit entry. */
export async function recordSubmitted(
  tx: Db,
  ctx: Ctx,
  row: Pick<CaseRow, 'id' | 'kind' | 'status' | 'household_id' | 'area_code' | 'channel' | 'reasons' | 'change_kind' | 'person_id'>,
): Promise<void> {
  await caseStore.addEvent(tx, ctx.secrets, { caseId: row.id, action: 'submit', to: 'submitted', actor: ctx.principal.id });
  await emitEvents(tx, [caseEvent({ ...row, status: 'submitted' })]);
  await ctx.audit.recordIn(
    tx,
    auditEntries(ctx, [{ action: 'create', entity: 'registration_case', entityId: row.id, subjectPersonId: row.person_id, details: { kind: row.kind, channel: row.channel } }]),
  );
}

function replay(ctx: Ctx, row: CaseRow): SubmitResult {
  // a client's id is the client's: someone else reusing it learns nothing about the first case
  if (row.submitted_by !== ctx.principal.id) {
    throw conflict('registration.client_ref_taken', 'This client reference was used by another submitter; use a new one.');
  }
  return { caseId: row.id, status: row.status as CaseStatus, replayed: true, ...(row.household_id ? { householdId: row.household_id } : {}) };
}

/** What the registry would refuse whatever the checks say, checked now so the submitter hears it at once. */
async function submissionErrors(ctx: Ctx, tx: Db, s: Submission, hAt: string, known?: ReadonlySet<string>): Promise<FieldError[]> {
  const h = s.household;
  const errors: FieldError[] = [];
  if (!h || typeof h.area_code !== 'string' || !Array.isArray(h.members)) {
    return [{ field: hAt, message: 'a household with area_code and members is required' }];
  }
  const usable = known ?? (await householdStore.usableAreas(tx, [h.area_code], scopeParam(ctx.principal)));
  if (!usable.has(h.area_code)) errors.push({ field: `${hAt}.area_code`, message: `${h.area_code} is not a known admin area you may register in` });
  const heads = h.members.filter((m) => m.relationship === HEAD).length;
  if (heads !== 1) errors.push({ field: `${hAt}.members`, message: `exactly one member must be the head (relationship ${HEAD}); found ${heads}` });
  h.members.forEach((m, i) => {
    const mAt = `${hAt}.members[${i}]`;
    if ((m.person === undefined) === (m.person_id === undefined)) {
      errors.push({ field: mAt, message: 'give either person (someone new) or person_id (someone registered)' });
    }
    if (m.person) {
      errors.push(...checkNewPerson(m.person, `${mAt}.person`));
      errors.push(...checkIdentifiers(m.person.identifiers ?? [], `${mAt}.person.identifiers`, ctx.config.idTypes));
    }
  });
  errors.push(...checkInclusive(h, s.proxy, s.witness, hAt, hAt.replace(/\.household$/, '')));
  return errors;
}
