// Applying an approved change through the registry's own services, from the version it was made from: when the
// record changed since, changes to other fields still apply (merged), the same field changed on both sides is a
// conflict surfaced to an officer, never a silent overwrite.
import type { Db } from '../db/index.js';
import { addMember, endMembership, updateHousehold } from '../registry/households/service.js';
import { updatePerson } from '../registry/persons/service.js';
import type { HouseholdPatch, MemberInput, PersonPatch } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { conflict, notFound } from '../server/errors.js';
import { submitterContext } from './acting.js';
import type { CaseRow } from './store.js';
import type { ChangeKind } from './types.js';

export interface ChangeData {
  changes: Record<string, unknown>;
  reason?: string;
}

/** Whose version a change is made from: a person update, the person's; anything else, the household's. */
export const versionedEntity = (kind: ChangeKind) => (kind === 'update_person' ? 'person' : 'household');

export async function currentVersion(db: Db, kind: ChangeKind, householdId: string, personId: string | null): Promise<number | undefined> {
  const entity = versionedEntity(kind);
  const [row] = await db.query<{ version: number }>(`select version from ${entity} where id = $1`, [entity === 'person' ? personId : householdId]);
  return row?.version;
}

/** The fields changed in versions after `base` (from the record history). */
async function changedSince(db: Db, entity: 'person' | 'household', id: string, base: number): Promise<Set<string>> {
  const rows = await db.query<{ changes: Record<string, unknown> }>(
    'select changes from record_history where entity = $1 and entity_id = $2 and version > $3',
    [entity, id, base],
  );
  return new Set(rows.flatMap((r) => Object.keys(r.changes)));
}

/**
 * Applies the change in tx (throws the registry's HubError when it refuses: 404, 409, 422). `acceptVersion` is an
 * officer's If-Match on approval: the version they reviewed, applied over whatever the change's base was.
 */
export async function applyChange(tx: Db, ctx: Ctx, row: CaseRow, data: ChangeData, acceptVersion?: number): Promise<void> {
  const kind = row.change_kind!;
  const householdId = row.household_id!;
  const current = await currentVersion(tx, kind, householdId, row.person_id);
  if (current === undefined) throw notFound(versionedEntity(kind));
  const base = acceptVersion ?? row.base_version ?? current;
  if (acceptVersion !== undefined && acceptVersion !== current) {
    throw conflict('change.stale', `The ${versionedEntity(kind)} changed again since the version you reviewed.`, { current_version: current });
  }
  if (base !== current && (kind === 'update_household' || kind === 'update_person')) {
    const entity = versionedEntity(kind);
    const touched = await changedSince(tx, entity, entity === 'person' ? row.person_id! : householdId, base);
    const requested = Object.keys(data.changes).filter((f) => f !== 'channel');
    // a person's phone is recorded in history as 'phone'; identifiers as 'identifiers': the same names as the patch
    const both = requested.filter((f) => touched.has(f));
    if (both.length) {
      throw conflict('change.conflict', 'The same fields were changed since the version this change was made from.', {
        fields: both,
        base_version: base,
        current_version: current,
      });
    }
  }
  const acting = submitterContext(ctx, tx, row);
  const channel = row.channel;
  switch (kind) {
    case 'update_household':
      await updateHousehold(acting, householdId, current, { ...(data.changes as HouseholdPatch), channel });
      return;
    case 'update_person':
      await updatePerson(acting, row.person_id!, current, { ...(data.changes as PersonPatch), channel });
      return;
    case 'add_member': {
      const member = data.changes as unknown as MemberInput;
      await addMember(acting, householdId, current, member.person ? { ...member, person: { ...member.person, channel: member.person.channel ?? channel } } : member);
      return;
    }
    case 'end_membership':
      await endMembership(acting, householdId, row.person_id!, current, (data.changes.end_date as string | undefined) ?? undefined);
      return;
  }
}
