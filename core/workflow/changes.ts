// Change requests: updates to a registered household or its people (new phone, new address, new member, someone
// leaving) from beneficiaries, officers and connectors go through one path. Rules (rules.ts) approve some at once;
// the runner applies approved changes after commit (apply.ts); the rest wait in the review queue.
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import { householdStore } from '../registry/households/store.js';
import { checkIdentifiers, checkNewPerson } from '../registry/persons/rules.js';
import { scopeParam } from '../registry/scope.js';
import type { MemberInput, PersonInput } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { conflict, notFound, unprocessable, type FieldError } from '../server/errors.js';
import { currentVersion, type ChangeData } from './apply.js';
import { decideChange, DEFAULT_CHANGE_RULES } from './rules.js';
import { caseStore, type CaseRow } from './store.js';
import { recordSubmitted } from './submit.js';
import { transition } from './transitions.js';
import type { ChangeRequest, ChangeResult, ChangeStatus } from './types.js';

const HOUSEHOLD_FIELDS = ['household_type', 'address', 'area_code', 'location', 'attributes'];
const PERSON_FIELDS = [
  'given_name', 'family_name', 'other_names', 'sex', 'birth_date', 'birth_date_estimated', 'death_date', 'phone', 'email',
  'preferred_language', 'disabilities', 'vulnerabilities', 'attributes', 'identifiers',
];
const KINDS = ['update_household', 'update_person', 'add_member', 'end_membership'];

export interface ChangeOptions {
  /** Where the change sits in the request, for field errors (default 'body'). */
  at?: string;
}

/**
 * Records a change request: 'approved' when a rule approves it (the runner applies it after commit), else
 * 'needs_review'. The household must be visible to the caller (404 otherwise); changes that can never apply are
 * refused at once (422 naming the field). The same clientRef again answers the first case.
 */
export async function submitChange(ctx: Ctx, tx: Db, change: ChangeRequest, options: ChangeOptions = {}): Promise<ChangeResult> {
  const at = options.at ?? 'body';
  if (change.clientRef) {
    const earlier = await caseStore.byClientRef(tx, 'change', change.clientRef);
    if (earlier) return replay(ctx, earlier);
  }
  if (!KINDS.includes(change.kind)) throw unprocessable('change.invalid', [{ field: `${at}.kind`, message: `must be one of ${KINDS.join(', ')}` }], 'The change cannot be accepted as given.');
  const household = await householdStore.byId(tx, change.householdId, scopeParam(ctx.principal));
  if (!household) throw notFound('household');
  if (household.deregistered_at && change.kind !== 'end_membership') {
    throw conflict('household.deregistered', 'The household is deregistered; it takes no more changes.');
  }
  const errors = await changeErrors(ctx, tx, change, at);
  if (errors.length) throw unprocessable('change.invalid', errors, 'The change cannot be accepted as given.');
  const current = await currentVersion(tx, change.kind, change.householdId, change.personId ?? null);
  if (current === undefined) throw notFound(change.kind === 'update_person' ? 'person' : 'household');

  const id = uuidv7();
  const data: ChangeData = { changes: change.changes, ...(change.reason ? { reason: change.reason } : {}) };
  const inserted = await caseStore.insert(tx, ctx.secrets, {
    id,
    kind: 'change',
    status: 'submitted',
    channel: change.channel,
    area_code: household.area_code,
    household_id: change.householdId,
    person_id: change.personId ?? null,
    change_kind: change.kind,
    // absent: made from the version it was submitted against
    base_version: change.baseVersion ?? current,
    form_id: null,
    form_version: null,
    client_ref: change.clientRef ?? null,
    device_id: null,
    captured_at: null,
    source: change.source ?? null,
    by_proxy: false,
    assisted: false,
    reasons: [],
    submitted_by: ctx.principal.id,
    submitted_by_kind: ctx.principal.kind,
    data,
  });
  if (!inserted) return replay(ctx, (await caseStore.byClientRef(tx, 'change', change.clientRef!))!);
  const row = (await caseStore.byId(tx, id, null, true))!;
  await recordSubmitted(tx, ctx, row);
  const rules = ctx.config.workflow?.changeRules ?? DEFAULT_CHANGE_RULES;
  const { decision, rule } = decideChange(rules, change, ctx.principal);
  const reasons = rule ? [`rule:${rule}`] : ['review_required'];
  const decided = await transition(tx, ctx, row, { action: 'checks', to: decision === 'approve' ? 'approved' : 'needs_review', reasons });
  return { caseId: id, status: decided.status as ChangeStatus };
}

function replay(ctx: Ctx, row: CaseRow): ChangeResult {
  if (row.submitted_by !== ctx.principal.id) {
    throw conflict('change.client_ref_taken', 'This client reference was used by another submitter; use a new one.');
  }
  return { caseId: row.id, status: row.status as ChangeStatus, replayed: true };
}

async function changeErrors(ctx: Ctx, tx: Db, change: ChangeRequest, at: string): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  const changes = change.changes;
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) return [{ field: `${at}.changes`, message: 'must be an object' }];
  const unknown = (allowed: string[]) =>
    Object.keys(changes).filter((k) => !allowed.includes(k) && k !== 'channel').forEach((k) => errors.push({ field: `${at}.changes.${k}`, message: 'cannot be changed this way' }));
  const needsMember = async () => {
    if (!change.personId) return errors.push({ field: `${at}.person_id`, message: `is required for ${change.kind}` });
    const members = await householdStore.members(tx, change.householdId);
    if (!members.some((m) => m.person_id === change.personId)) errors.push({ field: `${at}.person_id`, message: 'is not a current member of the household' });
  };
  switch (change.kind) {
    case 'update_household':
      unknown(HOUSEHOLD_FIELDS);
      if (Object.keys(changes).length === 0) errors.push({ field: `${at}.changes`, message: 'names no field to change' });
      break;
    case 'update_person':
      unknown(PERSON_FIELDS);
      if (Object.keys(changes).length === 0) errors.push({ field: `${at}.changes`, message: 'names no field to change' });
      if (Array.isArray(changes.identifiers)) errors.push(...checkIdentifiers(changes.identifiers as PersonInput['identifiers'] & object, `${at}.changes.identifiers`, ctx.config.idTypes));
      await needsMember();
      break;
    case 'add_member': {
      const member = changes as unknown as MemberInput;
      if (typeof member.relationship !== 'string' || !member.relationship) errors.push({ field: `${at}.changes.relationship`, message: 'is required' });
      if ((member.person === undefined) === (member.person_id === undefined)) {
        errors.push({ field: `${at}.changes`, message: 'give either person (someone new) or person_id (someone registered)' });
      }
      if (member.person) {
        errors.push(...checkNewPerson(member.person, `${at}.changes.person`));
        errors.push(...checkIdentifiers(member.person.identifiers ?? [], `${at}.changes.person.identifiers`, ctx.config.idTypes));
      }
      break;
    }
    case 'end_membership':
      unknown(['end_date']);
      if (changes.end_date !== undefined && (typeof changes.end_date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(changes.end_date))) {
        errors.push({ field: `${at}.changes.end_date`, message: 'must be a date (YYYY-MM-DD)' });
      }
      await needsMember();
      break;
  }
  return errors;
}
