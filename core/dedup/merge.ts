// Merging two records of one person: the survivor keeps every identifier, both histories (the merged record stays
// as a tombstone with its own history, and each history names the other), the memberships, and fills its blank
// fields from the merged record; consents and verifications follow by the rules of follow.ts. The merged id then
// redirects to the survivor (getPerson answers 308).
import { forgetStatusList } from '../../consent/status-list.js';
import type { Db } from '../db/index.js';
import { emitEvents, type OutboxEventInput } from '../outbox/events.js';
import { personEntries } from '../registry/audit.js';
import { householdEvent, personEvent } from '../registry/events.js';
import { householdStore } from '../registry/households/store.js';
import { diff, historyStore, type Changes } from '../registry/history.js';
import { normaliseName } from '../registry/names.js';
import { historyFields, today } from '../registry/persons/rules.js';
import { identifiersForHistory, openPhone, phoneColumns, phoneForHistory } from '../registry/persons/sealing.js';
import { personStore, type PersonFields, type PersonRow } from '../registry/persons/store.js';
import { personVisible, scopeParam } from '../registry/scope.js';
import type { Ctx } from '../server/context.js';
import { conflict, HubError, notFound } from '../server/errors.js';
import { followMerge } from './follow.js';
import type { MergeResult } from './index.js';
import { writeMatchKeys } from './keys.js';
import { orderedPair } from './pairs.js';
import { uuidv7 } from '../ids.js';

type MergeRow = PersonRow & { merged_into: string | null };

/** The survivor a merged person's id redirects to (following chains of merges), or undefined. */
export async function mergedInto(db: Db, personId: string): Promise<string | undefined> {
  let current = personId;
  // a survivor merged later into a third record: follow, a few steps at most in practice
  for (let step = 0; step < 16; step++) {
    const [row] = await db.query<{ merged_into: string | null }>('select merged_into from person where id = $1', [current]);
    if (!row?.merged_into) return current === personId ? undefined : current;
    current = row.merged_into;
  }
  return current;
}

/**
 * Merges `mergedId` into `survivorId` in one transaction, audited, with a person.merged event. A retry of a merge
 * already done answers the same result with changed=false; merging into another record afterwards is a conflict.
 * `pairId`: the review-queue pair this decides (recorded as merged either way).
 */
export async function mergePersons(ctx: Ctx, survivorId: string, mergedId: string, reason?: string, tx?: Db): Promise<MergeResult & { statusLists?: number[] }> {
  if (survivorId === mergedId) {
    throw new HubError(422, 'dedup.same_person', 'A person cannot be merged into themselves.', {
      errors: [{ field: 'body.survivor_id', message: 'must be the other person of the pair' }],
    });
  }
  const work = async (tx: Db): Promise<MergeResult & { statusLists?: number[] }> => {
    const rows = await tx.query<MergeRow>(
      `select p.* from person p where p.id = any($2::uuid[]) and ${personVisible('p.id', 1)} order by p.id for update of p`,
      [scopeParam(ctx.principal), [survivorId, mergedId]],
    );
    const survivor = rows.find((r) => r.id === survivorId);
    const merged = rows.find((r) => r.id === mergedId);
    if (!merged) {
      // already merged: its membership ended, so a scoped caller no longer sees it; a retry must still answer
      const done = await tx.query<{ merged_into: string }>('select merged_into from person where id = $1', [mergedId]);
      if (done[0]?.merged_into === survivorId && survivor) return { survivorId, mergedId, changed: false };
      throw notFound('person');
    }
    if (!survivor) throw notFound('person');
    if (merged.merged_into === survivorId) return { survivorId, mergedId, changed: false };
    if (merged.merged_into) throw conflict('dedup.already_merged', 'This person was already merged into another record.', { survivor_id: merged.merged_into });
    if (survivor.merged_into) throw conflict('dedup.survivor_merged', 'The survivor was itself merged into another record; merge into that one.', { survivor_id: survivor.merged_into });

    const memberships = await moveMemberships(tx, ctx, survivor.id, merged.id);
    const movedIdentifiers = await tx.query<{ id_type: string; value_sealed: string; issued_by_hub: boolean }>(
      `select id_type, value_sealed, issued_by_hub from person_identifier where person_id = $1 order by issued_by_hub, id_type`,
      [merged.id],
    );
    const survivorIdentifiers = (await personStore.identifiersOf(tx, [survivor.id])).get(survivor.id) ?? [];
    await tx.query('update person_identifier set person_id = $1 where person_id = $2', [survivor.id, merged.id]);
    // the civil registry's records name the person they were applied to: a later version must find the survivor
    await tx.query('update civil_registry_record set person_id = $1 where person_id = $2', [survivor.id, merged.id]);
    const followed = await followMerge(tx, ctx, survivor.id, merged.id, memberships.deregistered);

    const fields = filledFields(survivor, merged);
    const phone = phoneFill(ctx, survivor, merged);
    Object.assign(fields, phone.fields);
    const changes: Changes = {
      ...diff(historyFields(survivor), historyFields({ ...survivor, ...fields })),
      ...phone.changes,
      merged_from: { from: null, to: merged.id },
    };
    if (movedIdentifiers.length) {
      changes.identifiers = {
        from: identifiersForHistory(survivorIdentifiers),
        to: identifiersForHistory([...survivorIdentifiers, ...movedIdentifiers]),
      };
    }
    const updated = await personStore.update(tx, survivor.id, fields, ctx.principal.id);
    await writeMatchKeys(tx, [updated]);

    const [tomb] = await tx.query<{ version: number }>(
      `update person set merged_into = $2, version = version + 1, updated_by = $3, updated_at = now() where id = $1 returning version`,
      [merged.id, survivor.id, ctx.principal.id],
    );
    await tx.query('delete from dedup_match_key where person_id = $1', [merged.id]);
    const mergedChanges: Changes = { merged_into: { from: null, to: survivor.id } };
    if (movedIdentifiers.length) mergedChanges.identifiers = { from: identifiersForHistory(movedIdentifiers), to: [] };
    await historyStore.insert(tx, [
      { entity: 'person', entityId: survivor.id, version: updated.version, changedBy: ctx.principal.id, channel: survivor.channel, changes },
      { entity: 'person', entityId: merged.id, version: tomb.version, changedBy: ctx.principal.id, channel: merged.channel, changes: mergedChanges },
    ]);

    await decidePair(tx, ctx, survivor.id, merged.id, reason);
    const payload = {
      survivor_id: survivor.id,
      merged_id: merged.id,
      household_ids: memberships.households,
      consents_moved: followed.consentsMoved,
      consents_ended: [...followed.consentsEnded, ...followed.survivorConsentsWithdrawn],
      verifications_moved: followed.verificationsMoved,
      // for the programs' systems: a deregistered duplicate household's enrolments are theirs to exit or transfer
      participation_to_review: followed.participationToReview,
    };
    await emitEvents(tx, [
      { topic: 'person.merged', aggregateType: 'person', aggregateId: survivor.id, payload },
      personEvent('person.updated', survivor.id, { fields: Object.keys(changes), household_id: memberships.survivorHousehold }),
      ...(fields.death_date ? [personEvent('person.deceased', survivor.id, { fields: Object.keys(changes), household_id: memberships.survivorHousehold })] : []),
      ...memberships.events,
    ]);
    await ctx.audit.recordIn(
      tx,
      personEntries(ctx, 'update', [
        { id: survivor.id, fields: Object.keys(changes) },
        { id: merged.id, fields: Object.keys(mergedChanges) },
      ]),
    );
    const { statusLists, ...moved } = followed;
    return { survivorId: survivor.id, mergedId: merged.id, changed: true, moved, statusLists };
  };
  if (tx) return work(tx);
  const { statusLists, ...result } = await ctx.db.transaction(work);
  await forgetStatusLists(ctx, statusLists);
  return result;
}

/** After the commit: the hub's cached copies of status lists with a token the merge revoked (others see it at their ttl). */
export async function forgetStatusLists(ctx: Ctx, listIds: number[] | undefined): Promise<void> {
  for (const id of listIds ?? []) {
    await forgetStatusList(ctx.cache, id).catch((err) => ctx.log.warn({ err: (err as Error).message }, 'status list cache not cleared'));
  }
}

/** The survivor's blank fields, taken from the merged record (what either record knew is kept). */
function filledFields(survivor: PersonRow, merged: PersonRow): Partial<PersonFields> {
  const fields: Partial<PersonFields> = {};
  const blank = (v: unknown) => v === null || v === undefined || v === '';
  for (const key of ['given_name', 'family_name', 'other_names', 'email', 'preferred_language'] as const) {
    if (blank(survivor[key]) && !blank(merged[key])) fields[key] = merged[key];
  }
  if ((blank(survivor.sex) || survivor.sex === 'unknown') && !blank(merged.sex) && merged.sex !== 'unknown') fields.sex = merged.sex;
  if (blank(survivor.birth_date) && !blank(merged.birth_date)) {
    fields.birth_date = merged.birth_date;
    fields.birth_date_estimated = merged.birth_date_estimated;
  }
  // a death recorded on either record is the person's: the survivor must not stay alive in the registry (and its
  // DCI subscribers hear of it as the DEATH event below)
  if (blank(survivor.death_date) && !blank(merged.death_date)) {
    const birth = fields.birth_date ?? survivor.birth_date;
    if (birth && String(merged.death_date) < String(birth)) {
      throw conflict('dedup.death_before_birth', 'The merged record\'s death date is before the survivor\'s birth date: correct one of the records first.', {
        errors: [{ field: 'body.survivor_id', message: 'its birth date is after the other record\'s death date' }],
      });
    }
    fields.death_date = merged.death_date;
  }
  if (fields.given_name !== undefined) fields.given_name_norm = normaliseName(fields.given_name);
  if (fields.family_name !== undefined) fields.family_name_norm = normaliseName(fields.family_name);
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
  if (merged.disabilities.some((d) => !survivor.disabilities.includes(d))) fields.disabilities = union(survivor.disabilities, merged.disabilities);
  if (merged.vulnerabilities.some((d) => !survivor.vulnerabilities.includes(d))) fields.vulnerabilities = union(survivor.vulnerabilities, merged.vulnerabilities);
  return fields;
}

/** The merged record's phone for a survivor without one: opened and sealed anew, bound to the survivor's row. */
function phoneFill(ctx: Ctx, survivor: PersonRow, merged: PersonRow): { fields: Partial<PersonFields>; changes: Changes } {
  if (survivor.phone_sealed !== null || merged.phone_sealed === null) return { fields: {}, changes: {} };
  const fields = phoneColumns(ctx.secrets, survivor.id, openPhone(ctx.secrets, merged.id, merged.phone_sealed));
  return { fields, changes: { phone: { from: null, to: phoneForHistory(fields.phone_sealed) } } };
}

/**
 * Memberships follow the survivor. The merged record's current membership becomes the survivor's when the survivor
 * has none; otherwise it ends today (kept, as the survivor's past membership). A household the merged record was
 * alone in (the usual duplicate: registered again as a household of one) is deregistered as a duplicate; a merged
 * record heading a household with other members the survivor is not in is refused: it would be left without a head.
 */
async function moveMemberships(
  tx: Db,
  ctx: Ctx,
  survivorId: string,
  mergedId: string,
): Promise<{ households: string[]; survivorHousehold: string | null; deregistered: string[]; events: OutboxEventInput[] }> {
  const current = await tx.query<{ id: string; person_id: string; household_id: string; head: boolean; others: number; channel: string }>(
    `select m.id, m.person_id, m.household_id, (h.head_person_id = m.person_id) as head, h.channel,
            (select count(*)::int from membership o where o.household_id = m.household_id and o.end_date is null and o.person_id <> m.person_id) as others
     from membership m join household h on h.id = m.household_id
     where m.person_id = any($1::uuid[]) and m.end_date is null for update of m, h`,
    [[survivorId, mergedId]],
  );
  const survivorCurrent = current.find((m) => m.person_id === survivorId);
  const mergedCurrent = current.find((m) => m.person_id === mergedId);
  const events: OutboxEventInput[] = [];
  const deregistered: string[] = [];
  // both in households: the merged record's membership ends (the survivor takes it over only when it has none)
  if (mergedCurrent && survivorCurrent) {
    const alone = mergedCurrent.household_id !== survivorCurrent.household_id && mergedCurrent.others === 0;
    if (mergedCurrent.head && mergedCurrent.household_id !== survivorCurrent.household_id && !alone) {
      throw conflict(
        'dedup.merged_heads_household',
        'The person to merge heads a household with other members that the survivor is not in: change that household\'s head first, or keep this person as the survivor.',
        { household_id: mergedCurrent.household_id },
      );
    }
    await tx.query(`update membership set end_date = greatest(start_date, $2::date) where id = $1`, [mergedCurrent.id, today()]);
    if (alone) {
      events.push(...(await deregisterDuplicate(tx, ctx, mergedCurrent.household_id, mergedCurrent.channel, mergedId)));
      deregistered.push(mergedCurrent.household_id);
    }
  }
  await tx.query('update membership set person_id = $1 where person_id = $2', [survivorId, mergedId]);
  // head of a household the survivor now belongs to (or of the deregistered one, so the record still names someone)
  await tx.query('update household set head_person_id = $1 where head_person_id = $2', [survivorId, mergedId]);
  const households = [...new Set(current.map((m) => m.household_id))];
  return { households, survivorHousehold: survivorCurrent?.household_id ?? mergedCurrent?.household_id ?? null, deregistered, events };
}

/** A household that was the duplicate alone leaves the registry as a duplicate, with its history and event. */
async function deregisterDuplicate(tx: Db, ctx: Ctx, household: string, channel: string, mergedId: string): Promise<OutboxEventInput[]> {
  const done = await householdStore.deregister(tx, household, 'duplicate', ctx.principal.id);
  if (!done) return []; // already deregistered
  const changes = {
    deregistered_at: { from: null, to: done.deregistered_at.toISOString() },
    deregistration_reason: { from: null, to: 'duplicate' },
  };
  await historyStore.insert(tx, [{ entity: 'household', entityId: household, version: done.version, changedBy: ctx.principal.id, channel, changes }]);
  return [householdEvent('household.deregistered', household, { member_ids: [mergedId], reason: 'duplicate' })];
}

/** The pair of these two people marked merged (recorded if the merge came without one), other open pairs of the merged record closed. */
async function decidePair(tx: Db, ctx: Ctx, survivorId: string, mergedId: string, reason: string | undefined): Promise<void> {
  const [a, b] = orderedPair(survivorId, mergedId);
  await tx.query(
    `insert into duplicate_pair (id, person_a, person_b, score, decision, reasons, status, source, survivor_id, decided_by, decided_at, decision_reason)
     values ($1, $2, $3, 0, 'match', '["manual"]', 'merged', 'manual', $4, $5, now(), $6)
     on conflict (person_a, person_b) do update set status = 'merged', survivor_id = $4, decided_by = $5, decided_at = now(),
       decision_reason = $6, updated_at = now()`,
    [uuidv7(), a, b, survivorId, ctx.principal.id, reason ?? null],
  );
  // the merged record's other open pairs concern a tombstone now; the next batch proposes the survivor instead
  await tx.query(`delete from duplicate_pair where status = 'open' and $1::uuid in (person_a, person_b)`, [mergedId]);
}

/** The answer to a read of a merged id: 308 to the survivor (a client follows it; the body names it too). */
export function personMoved(mergedId: string, survivorId: string): HubError {
  return new HubError(
    308,
    'person.merged',
    'This record was merged into another; the person is now at the survivor\'s id.',
    { merged_id: mergedId, survivor_id: survivorId },
    { location: `/api/v1/persons/${survivorId}` },
  );
}
