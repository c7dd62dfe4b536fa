// An update pushed from a device: a three-way merge against the version the device edited. Fields the server did
// not change since that base are applied (through the registry's update services, at the current version); a field
// both sides changed to different values becomes a conflict record for an officer; equal values simply agree.
import type { Db } from '../db/index.js';
import { householdStore } from '../registry/households/store.js';
import { addMember, readHousehold, updateHousehold } from '../registry/households/service.js';
import { readPerson, updatePerson } from '../registry/persons/service.js';
import { scopeParam } from '../registry/scope.js';
import type { HouseholdPatch, PersonPatch } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { unprocessable, type FieldError } from '../server/errors.js';
import { recordConflicts, type NewConflict } from './conflicts.js';
import { changedSince, currentValues, flatten, patchOf, sameValue } from './fields.js';
import type { PushLookups } from './lookups.js';
import type { ItemResult, PushItem } from './types.js';
import { changeErrors } from './validate-changes.js';

const reject = (errors: FieldError[], message = 'The update cannot be applied.') => unprocessable('sync.item_rejected', errors, message);

export async function applyUpdate(ctx: Ctx, tx: Db, item: PushItem, at: string, lookups: PushLookups): Promise<ItemResult> {
  const txCtx: Ctx = { ...ctx, db: tx };
  const id = item.household_id!;
  const base = item.base_version!;
  const row = await householdStore.byId(tx, id, scopeParam(ctx.principal), true);
  if (!row) throw reject([{ field: `${at}.household_id`, message: 'is not a household in your assigned areas' }]);
  if (row.deregistered_at) throw reject([{ field: `${at}.household_id`, message: 'the household is deregistered; it takes no more changes' }]);
  if (base > row.version) throw reject([{ field: `${at}.base_version`, message: `is newer than the household (version ${row.version})` }]);
  const changes = item.changes ?? {};
  validateChanges(lookups, item, at);

  const conflicts: NewConflict[] = [];
  const merged: string[] = [];

  // the household's own fields
  const householdFields = flatten((changes.household ?? {}) as Record<string, unknown>);
  if (changes.household?.area_code !== undefined && changes.household.area_code !== row.area_code) {
    if (!lookups.usableAreas.has(changes.household.area_code)) throw reject([{ field: `${at}.changes.household.area_code`, message: 'is not one of your assigned areas' }]);
  }
  if (householdFields.size) {
    const current = await readHousehold(tx, txCtx, id);
    const serverChanged = await changedSince(tx, 'household', id, base);
    const apply = split(householdFields, serverChanged, currentValues(current as unknown as Record<string, unknown>, householdFields.keys()), (field, mine, theirs) =>
      conflicts.push({ clientId: item.client_id, householdId: id, entity: 'household', entityId: id, field, baseVersion: base, serverVersion: current.version, mine, theirs }),
    );
    if (apply.size) {
      await updateHousehold(txCtx, id, current.version, { ...(patchOf(apply) as HouseholdPatch), channel: 'mobile' });
      merged.push(...apply.keys());
    }
  }

  // members' own records: each with the person's base version
  const members = new Set((await householdStore.members(tx, id)).map((m) => m.person_id));
  for (const [j, p] of (changes.persons ?? []).entries()) {
    const pAt = `${at}.changes.persons[${j}]`;
    if (!members.has(p.person_id)) throw reject([{ field: `${pAt}.person_id`, message: 'is not a current member of this household' }]);
    const person = await readPerson(tx, txCtx, p.person_id);
    if (p.base_version > person.version) throw reject([{ field: `${pAt}.base_version`, message: `is newer than the person (version ${person.version})` }]);
    const fields = flatten(p.changes as Record<string, unknown>);
    const serverChanged = await changedSince(tx, 'person', p.person_id, p.base_version);
    const apply = split(fields, serverChanged, currentValues(person as unknown as Record<string, unknown>, fields.keys()), (field, mine, theirs) =>
      conflicts.push({ clientId: item.client_id, householdId: id, entity: 'person', entityId: p.person_id, field, baseVersion: p.base_version, serverVersion: person.version, mine, theirs }),
    );
    if (apply.size) {
      await updatePerson(txCtx, p.person_id, person.version, { ...(patchOf(apply) as PersonPatch), channel: 'mobile' });
      merged.push(...[...apply.keys()].map((f) => `persons[${j}].${f}`));
    }
  }

  // new members never conflict: each joins at the household's current version
  for (const [j, member] of (changes.add_members ?? []).entries()) {
    const current = await householdStore.byId(tx, id, scopeParam(ctx.principal));
    await addMember(txCtx, id, current!.version, { ...member, person: member.person ? { ...member.person, channel: 'mobile' } : undefined });
    merged.push(`add_members[${j}]`);
  }

  const recorded = await recordConflicts(tx, ctx.secrets, conflicts);
  const after = await householdStore.byId(tx, id, scopeParam(ctx.principal));
  return {
    client_id: item.client_id,
    status: recorded.length ? 'conflict' : 'accepted',
    household_id: id,
    version: after!.version,
    merged,
    conflicts: recorded.map(({ id: conflictId, c }) => ({ id: conflictId, entity: c.entity, entity_id: c.entityId, field: c.field })),
  };
}

/**
 * Which submitted fields to apply: a field the server did not change since the base is applied; one it changed to
 * the same value agrees (nothing to do); one it changed to another value is a conflict.
 */
function split(
  mine: Map<string, unknown>,
  serverChanged: Set<string>,
  theirs: Map<string, unknown>,
  onConflict: (field: string, mine: unknown, theirs: unknown) => void,
): Map<string, unknown> {
  const apply = new Map<string, unknown>();
  for (const [field, value] of mine) {
    const current = theirs.get(field);
    if (sameValue(value, current)) continue;
    if (serverChanged.has(field)) onConflict(field, value, current);
    else apply.set(field, value);
  }
  return apply;
}

/** The changes against the form version the device used (the field app runs the same checks: validate-changes.ts). */
function validateChanges(lookups: PushLookups, item: PushItem, at: string): void {
  const formAt = `${at}.form`;
  const errors = changeErrors((data, options) => lookups.validate(item.form, data, { ...options, formAt }), item.changes ?? {}, at, formAt);
  if (errors.length) throw reject(errors, 'The update does not match its form version.');
}
