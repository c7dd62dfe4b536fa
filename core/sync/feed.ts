// What a field app downloads: the bootstrap (forms, code lists, areas, the households of the worker's areas) and
// the pull (households changed since a cursor, and the fate of the worker's submissions). The cursor is an outbox
// event id: ids follow commit order (core/outbox/events.ts), so reading past it never skips a change.
import { STANDARD_ID_TYPES } from '../config.js';
import type { Db } from '../db/index.js';
import { formStore } from '../forms/store.js';
import { WASHINGTON_GROUP } from '../forms/default-household.js';
import { householdEntries, memberIdsOf, HOUSEHOLD_SHOWN } from '../registry/audit.js';
import { discloseHousehold, isExternalClient, shownFields } from '../registry/disclosure.js';
import { householdStore, type HouseholdRow } from '../registry/households/store.js';
import { viewHousehold } from '../registry/households/view.js';
import { decodeCursor, encodeCursor } from '../registry/persons/service.js';
import { areaVisible, scopeParam } from '../registry/scope.js';
import type { Household } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { HubError, invalid } from '../server/errors.js';
import { submissionStore } from './submissions.js';

/** How long the pull reports the fate of a worker's submissions. */
export const FATE_DAYS = 30;
const FATE_LIMIT = 500;

export function encodeSyncCursor(eventId: number): string {
  return Buffer.from(`sync:${eventId}`).toString('base64url');
}

function decodeSyncCursor(cursor: string): number {
  const m = /^sync:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw invalid([{ field: 'query.cursor', message: 'is not a cursor this API gave out' }]);
  return Number(m[1]);
}

async function lastEventId(db: Db): Promise<number> {
  const [row] = await db.query<{ id: number | null }>('select max(id)::bigint as id from outbox_event');
  return Number(row.id ?? 0);
}

/** Households as the caller may see them, with the reads recorded (for an API client, cut by consent). */
async function shownHouseholds(ctx: Ctx, rows: HouseholdRow[]): Promise<Partial<Household>[]> {
  const households = await Promise.all(rows.map((r) => viewHousehold(ctx.db, ctx.secrets, r)));
  if (isExternalClient(ctx)) {
    const shown = await Promise.all(households.map((h) => discloseHousehold(ctx, h)));
    await ctx.audit.recordReads(householdEntries(ctx, 'read', shown.map((h) => ({ id: h.id!, memberIds: (h.members ?? []).map((m) => m.person_id), fields: shownFields(h) }))));
    return shown;
  }
  await ctx.audit.recordReads(householdEntries(ctx, 'read', households.map((h) => ({ id: h.id, memberIds: memberIdsOf(h), fields: HOUSEHOLD_SHOWN }))));
  return households;
}

export async function bootstrap(ctx: Ctx, query: { limit: number; households_cursor?: string }) {
  // the cursor first: a change committed while the households are read comes again in the next pull
  const cursor = encodeSyncCursor(await lastEventId(ctx.db));
  const scope = scopeParam(ctx.principal);
  const forms = (await formStore.latestPublished(ctx.db)).map((f) => ({ form_id: f.form_id, version: f.version, title: f.title, definition: f.definition }));
  const areas = await ctx.db.query<{ code: string; name: string; level: number; parent_code: string | null }>(
    `select code, name, level, parent_code from admin_area a where ${areaVisible('a.code', 1)} order by path`,
    [scope],
  );
  const rows = await householdStore.list(ctx.db, scope, undefined, query.limit + 1, decodeCursor(query.households_cursor));
  const page = rows.slice(0, query.limit);
  const households = await shownHouseholds(ctx, page.filter((h) => h.deregistered_at === null));
  return {
    cursor,
    forms,
    code_lists: {
      id_types: [...new Set([...STANDARD_ID_TYPES, ...ctx.config.idTypes])],
      sex: ['male', 'female', 'other', 'unknown'],
      disability_types: WASHINGTON_GROUP.map((w) => w.code),
    },
    admin_areas: areas,
    households,
    households_next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}

interface EventRow {
  id: number;
  aggregate_type: string;
  aggregate_id: string;
  payload: Record<string, unknown>;
}

export async function pull(ctx: Ctx, query: { cursor: string; limit: number }) {
  const after = decodeSyncCursor(query.cursor);
  await requireRetained(ctx.db, after);
  // every event up to `upTo` is committed (ids follow commit order), so the cursor can move there even past
  // events of other topics; a change committing meanwhile gets a larger id and comes in the next pull
  const upTo = await lastEventId(ctx.db);
  const events = await ctx.db.query<EventRow>(
    `select id, aggregate_type, aggregate_id, payload from outbox_event
     where id > $1 and id <= $2 and aggregate_type in ('household', 'person') order by id limit $3`,
    [after, upTo, query.limit],
  );
  const householdIds = new Set<string>();
  for (const e of events) {
    if (e.aggregate_type === 'household') householdIds.add(e.aggregate_id);
    else if (typeof e.payload.household_id === 'string') householdIds.add(e.payload.household_id);
  }
  const scope = scopeParam(ctx.principal);
  const rows = (await Promise.all([...householdIds].map((id) => householdStore.byId(ctx.db, id, scope)))).filter((r): r is HouseholdRow => r !== undefined);
  const households = await shownHouseholds(ctx, rows);
  const full = events.length === query.limit;
  return {
    cursor: encodeSyncCursor(full ? Number(events[events.length - 1].id) : Math.max(after, upTo)),
    has_more: full,
    households,
    submissions: await fates(ctx),
  };
}

/** A cursor older than the events kept (SRHUB_OUTBOX_RETENTION_DAYS) cannot be continued: bootstrap again. */
async function requireRetained(db: Db, after: number): Promise<void> {
  if (after === 0) return;
  const [row] = await db.query<{ id: number | null }>('select min(id)::bigint as id from outbox_event');
  let gone = row.id !== null && Number(row.id) > after + 1;
  if (row.id === null) {
    // every event was purged: the id sequence still says how far they went
    const [seq] = await db.query<{ last: number | null }>(
      `select last_value::bigint as last from outbox_event_id_seq where is_called`,
    );
    gone = seq !== undefined && seq.last !== null && Number(seq.last) > after;
  }
  if (gone) throw new HubError(410, 'sync.cursor_expired', 'The changes since this cursor are no longer kept; bootstrap again (GET /api/v1/sync/bootstrap).');
}

/** The caller's recent submissions with what became of them (the registration case's status once there is one). */
async function fates(ctx: Ctx) {
  const rows = await submissionStore.recentOf(ctx.db, ctx.principal.id, FATE_DAYS, FATE_LIMIT);
  const caseIds = rows.map((r) => r.case_id).filter((id): id is string => id !== null);
  const cases = new Map<string, { status: string; household_id: string | null }>();
  if (caseIds.length) {
    const found = await ctx.db.query<{ id: string; status: string; household_id: string | null }>(
      'select id, status, household_id from registration_case where id = any($1::uuid[])',
      [caseIds],
    );
    for (const c of found) cases.set(c.id, c);
  }
  return rows.map((r) => {
    const c = r.case_id ? cases.get(r.case_id) : undefined;
    return {
      client_id: r.client_id,
      outcome: r.outcome,
      received_at: r.received_at.toISOString(),
      case_id: r.case_id,
      case_status: c?.status ?? null,
      household_id: c?.household_id ?? r.household_id,
    };
  });
}
