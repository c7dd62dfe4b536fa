// What a signed-in person may see and do about their own record (scope registry.self, principal.subject = the
// person): their data in full, their household's members (names, relationship, sex, birth date: not the others'
// phones or identifiers), corrections through the registration workflow (channel online, source beneficiary_portal,
// reviewed by an officer), the requests they made, and who else read or changed their data.
import { auditEntries } from '../audit/entry.js';
import type { AccessLogRow } from '../audit/store.js';
import { getHousehold } from '../registry/households/service.js';
import { getPerson } from '../registry/persons/service.js';
import type { Page, Person } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { HubError, unprocessable } from '../server/errors.js';
import { submitChange } from '../workflow/changes.js';
import { caseStore } from '../workflow/store.js';

export const PORTAL_SOURCE = 'beneficiary_portal';

/** The person the caller speaks for; a token without one (staff, an applicant) has no "me". */
export function subjectOf(ctx: Ctx): string {
  const subject = ctx.principal.subject;
  if (!subject) throw new HubError(403, 'portal.no_person', 'This token does not speak for a registered person (sign in through the portal).');
  return subject;
}

export interface MyHousehold {
  id: string;
  version: number;
  area_code: string;
  address: string | null;
  household_type: string | null;
  attributes: Record<string, unknown>;
  my_relationship: string;
  members: { person_id: string; relationship: string; me: boolean; given_name: string | null; family_name: string | null; sex: string | null; birth_date: string | null }[];
}

export async function myRecord(ctx: Ctx): Promise<{ person: Person; household: MyHousehold | null }> {
  const person = await getPerson(ctx, subjectOf(ctx));
  if (!person.household) return { person, household: null };
  const h = await getHousehold(ctx, person.household.household_id);
  return {
    person,
    household: {
      id: h.id,
      version: h.version,
      area_code: h.area_code,
      address: h.address ?? null,
      household_type: h.household_type ?? null,
      attributes: h.attributes ?? {},
      my_relationship: person.household.relationship,
      members: h.members.map((m) => ({
        person_id: m.person_id,
        relationship: m.relationship,
        me: m.person_id === person.id,
        given_name: m.person.given_name,
        family_name: m.person.family_name,
        sex: m.person.sex,
        birth_date: m.person.birth_date,
      })),
    },
  };
}

export interface CorrectionInput {
  kind: 'update_person' | 'update_household';
  changes: Record<string, unknown>;
  reason?: string;
  base_version?: number;
  client_ref?: string;
}

/** A correction of the person's own record, or (heads only) of their household's, as a change request for review. */
export async function requestCorrection(ctx: Ctx, input: CorrectionInput): Promise<{ caseId: string; replayed: boolean }> {
  const personId = subjectOf(ctx);
  const [membership] = await ctx.db.query<{ household_id: string; relationship: string }>(
    'select household_id, relationship from membership where person_id = $1 and end_date is null',
    [personId],
  );
  if (!membership) throw new HubError(409, 'portal.no_household', 'You are not a member of a registered household; contact your registration office.');
  if (input.kind === 'update_household' && membership.relationship !== 'SELF') {
    throw unprocessable('change.invalid', [{ field: 'body.kind', message: 'only the head of the household may ask to change the household' }], 'Only the head of the household may ask for this change.');
  }
  const result = await ctx.db.transaction((tx) =>
    submitChange(ctx, tx, {
      householdId: membership.household_id,
      kind: input.kind,
      ...(input.kind === 'update_person' ? { personId } : {}),
      baseVersion: input.base_version,
      changes: input.changes,
      channel: 'online',
      reason: input.reason,
      source: PORTAL_SOURCE,
      clientRef: input.client_ref,
    }),
  );
  return { caseId: result.caseId, replayed: Boolean(result.replayed) };
}

/** A case as its submitter follows it: no check details (they name other people's records), a short reference. */
export interface MyCase {
  id: string;
  reference: string;
  kind: 'registration' | 'change';
  change_kind: string | null;
  status: string;
  household_id: string | null;
  created_at: string;
  updated_at: string;
}

export async function casesSubmittedBy(ctx: Ctx, limit = 50): Promise<MyCase[]> {
  const rows = await ctx.db.query<{ id: string; kind: 'registration' | 'change'; change_kind: string | null; status: string; household_id: string | null; created_at: Date; updated_at: Date }>(
    `select id, kind, change_kind, status, household_id, created_at, updated_at from registration_case
      where submitted_by = $1 order by created_at desc, id desc limit $2`,
    [ctx.principal.id, limit],
  );
  return rows.map((r) => myCase(r));
}

export function myCase(r: { id: string; kind: 'registration' | 'change'; change_kind: string | null; status: string; household_id: string | null; created_at: Date | string; updated_at: Date | string }): MyCase {
  return {
    id: r.id,
    // what the notification connector's messages call the case
    reference: r.id.slice(-8).toUpperCase(),
    kind: r.kind,
    change_kind: r.change_kind,
    status: r.status,
    household_id: r.household_id,
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
  };
}

export async function myCaseById(ctx: Ctx, caseId: string): Promise<MyCase> {
  const row = await caseStore.byId(ctx.db, caseId, null);
  if (!row) throw new HubError(500, 'portal.case_missing', 'The case just recorded cannot be read.');
  return myCase(row);
}

/**
 * Who else read or changed the person's data, newest first: the audit log's entries about them, leaving out their
 * own reads through the portal (what they do themselves is not news to them). Reading it is recorded too. The
 * purpose is the one the reader gave (X-Purpose), or the one a consent decision was asked for.
 */
export async function myAccessLog(ctx: Ctx, query: { limit: number; cursor?: string }): Promise<Page<AccessLogRow>> {
  const personId = subjectOf(ctx);
  const before = query.cursor === undefined ? null : decodeCursor(query.cursor);
  const rows = await ctx.db.query<AccessLogRow & { id: number }>(
    // a consent decision (a DCI search, a program's read) keeps the purpose it was asked for in its details
    `select id, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, actor, actor_kind, action, entity, entity_id, fields,
            coalesce(purpose, details->>'purpose') as purpose, outcome
       from audit_log
      where subject_person_id = $1 and actor <> $2 and ($3::bigint is null or id < $3)
      order by id desc limit $4`,
    [personId, ctx.principal.id, before, query.limit + 1],
  );
  const page = rows.slice(0, query.limit);
  await ctx.audit.recordReads(auditEntries(ctx, [{ action: 'read', entity: 'access_log', entityId: personId, subjectPersonId: personId, fields: ['access_log'] }]));
  return {
    items: page.map(({ id: _id, ...item }) => item),
    next_cursor: rows.length > query.limit ? Buffer.from(String(page[page.length - 1].id)).toString('base64url') : null,
  };
}

function decodeCursor(cursor: string): number {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[1-9]\d{0,14}$/.test(id)) {
    throw new HubError(400, 'request.invalid', 'The cursor is not one this API gave out.', { errors: [{ field: 'query.cursor', message: 'is not a valid cursor' }] });
  }
  return Number(id);
}
