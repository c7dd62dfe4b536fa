// Conflicts: the same field changed on the server and on a device since the device's base version. Recorded for an
// officer (never a silent overwrite), listed in the officer's areas, resolved by choosing mine, theirs or a value.
import { auditEntries } from '../audit/entry.js';
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import type { Secrets } from '../keys/secrets.js';
import { householdEntries } from '../registry/audit.js';
import { householdStore } from '../registry/households/store.js';
import { updateHousehold } from '../registry/households/service.js';
import { readPerson, updatePerson } from '../registry/persons/service.js';
import { areaVisible, scopeParam } from '../registry/scope.js';
import type { Ctx } from '../server/context.js';
import { conflict, HubError, invalid } from '../server/errors.js';
import { decodeCursor, encodeCursor } from '../registry/persons/service.js';
import { currentValue, patchFor } from './fields.js';

export interface NewConflict {
  clientId: string;
  householdId: string;
  entity: 'household' | 'person';
  entityId: string;
  field: string;
  baseVersion: number;
  serverVersion: number;
  mine: unknown;
  theirs: unknown;
}

export interface SyncConflict {
  id: string;
  client_id: string;
  household_id: string;
  entity: 'household' | 'person';
  entity_id: string;
  field: string;
  base_version: number;
  server_version: number;
  mine: unknown;
  theirs: unknown;
  status: 'open' | 'resolved';
  resolution: 'mine' | 'theirs' | 'value' | null;
  resolved_by: string | null;
  resolved_at: string | null;
  created_at: string;
}

interface ConflictRow {
  id: string;
  client_id: string;
  household_id: string;
  entity: 'household' | 'person';
  entity_id: string;
  field: string;
  base_version: number;
  server_version: number;
  values_sealed: string;
  status: 'open' | 'resolved';
  resolution: 'mine' | 'theirs' | 'value' | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  created_at: Date;
}

const sealedAs = (id: string) => `sync_conflict:${id}`;

export async function recordConflicts(tx: Db, secrets: Secrets, conflicts: NewConflict[]): Promise<{ id: string; c: NewConflict }[]> {
  const recorded = conflicts.map((c) => ({ id: uuidv7(), c }));
  for (const { id, c } of recorded) {
    await tx.query(
      `insert into sync_conflict (id, client_id, household_id, entity, entity_id, field, base_version, server_version, values_sealed)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, c.clientId, c.householdId, c.entity, c.entityId, c.field, c.baseVersion, c.serverVersion, secrets.seal(JSON.stringify({ mine: c.mine ?? null, theirs: c.theirs ?? null }), sealedAs(id))],
    );
  }
  return recorded;
}

function view(secrets: Secrets, row: ConflictRow): SyncConflict {
  const { mine, theirs } = JSON.parse(secrets.open(row.values_sealed, sealedAs(row.id))) as { mine: unknown; theirs: unknown };
  const { values_sealed: _sealed, resolved_at, created_at, ...rest } = row;
  return { ...rest, mine, theirs, resolved_at: resolved_at?.toISOString() ?? null, created_at: created_at.toISOString() };
}

export async function listConflicts(
  ctx: Ctx,
  query: { status?: 'open' | 'resolved'; household_id?: string; limit: number; cursor?: string },
): Promise<{ items: SyncConflict[]; next_cursor: string | null }> {
  const after = decodeCursor(query.cursor);
  const rows = await ctx.db.query<ConflictRow>(
    `select c.* from sync_conflict c join household h on h.id = c.household_id
     where ${areaVisible('h.area_code', 1)} and ($2::text is null or c.status = $2) and ($3::uuid is null or c.household_id = $3)
       and ($4::uuid is null or c.id > $4)
     order by c.id limit $5`,
    [scopeParam(ctx.principal), query.status ?? null, query.household_id ?? null, after ?? null, query.limit + 1],
  );
  const page = rows.slice(0, query.limit);
  const items = page.map((r) => view(ctx.secrets, r));
  // the values are personal data: recorded as reads of each household concerned
  const households = [...new Set(items.map((c) => c.household_id))];
  const members = await householdStore.currentMemberIds(ctx.db, households);
  await ctx.audit.recordReads(householdEntries(ctx, 'read', households.map((id) => ({ id, memberIds: members.get(id) ?? [], fields: ['sync_conflict'] }))));
  return { items, next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].id) : null };
}

export type Resolution = { choice: 'mine' | 'theirs' } | { choice: 'value'; value: unknown };

/**
 * Resolves an open conflict. mine / value are applied through the registry's update services at the current
 * version; when the field changed again since the conflict was recorded, only `theirs` (keep what is there) is
 * accepted, so a resolution never overwrites a change nobody has seen.
 */
export async function resolveConflict(ctx: Ctx, id: string, resolution: Resolution): Promise<SyncConflict> {
  if (resolution.choice === 'value' && !('value' in resolution)) throw invalid([{ field: 'body.value', message: 'is required with choice value' }]);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.query<ConflictRow>(
      `select c.* from sync_conflict c join household h on h.id = c.household_id where c.id = $1 and ${areaVisible('h.area_code', 2)} for update of c`,
      [id, scopeParam(ctx.principal)],
    );
    if (!row) throw new HubError(404, 'sync_conflict.not_found', 'No such conflict (or it is outside your areas).');
    if (row.status !== 'open') throw conflict('sync_conflict.resolved', `The conflict was resolved already (${row.resolution}).`);
    const current = view(ctx.secrets, row);
    const txCtx: Ctx = { ...ctx, db: tx };
    if (resolution.choice !== 'theirs') {
      const now = await currentValue(tx, txCtx, row.entity, row.entity_id, row.field);
      if (JSON.stringify(now.value ?? null) !== JSON.stringify(current.theirs ?? null)) {
        throw conflict('sync_conflict.stale', 'The field changed again since the conflict was recorded; read the record and resolve it again (or keep theirs).');
      }
      const value = resolution.choice === 'value' ? resolution.value : current.mine;
      const patch = { ...patchFor(row.field, value), channel: 'mobile' as const };
      if (row.entity === 'household') await updateHousehold(txCtx, row.entity_id, now.version, patch);
      else await updatePerson(txCtx, row.entity_id, now.version, patch);
    } else {
      // nothing changes in the registry; the decision itself is recorded
      const person = row.entity === 'person' ? await readPerson(tx, txCtx, row.entity_id) : undefined;
      await ctx.audit.recordIn(tx, auditEntries(ctx, [{
        action: 'update', entity: 'sync_conflict', entityId: id, subjectPersonId: person?.id ?? null, fields: [row.field], details: { resolution: 'theirs' },
      }]));
    }
    await tx.query(
      `update sync_conflict set status = 'resolved', resolution = $2, resolved_by = $3, resolved_at = now() where id = $1`,
      [id, resolution.choice, ctx.principal.id],
    );
    const [after] = await tx.query<ConflictRow>('select * from sync_conflict where id = $1', [id]);
    return view(ctx.secrets, after);
  });
}
