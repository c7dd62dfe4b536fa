// Registrations that did not come through a case (POST /api/v1/households by an officer in person, the bulk
// endpoint, the CSV import) still get one: a case recorded as 'registered' after the fact, so every household has
// a case and every channel shows in the same queues and reports. The duplicate check runs afterwards and flags (the
// case's reasons, and the pair in the dedup review queue) without blocking: the household is registered already.
// Bulk imports are left to the batch dedup job (P6), which scores the whole registry at once far more cheaply.
import { auditEntries } from '../audit/entry.js';
import type { Db } from '../db/index.js';
import { insertRows } from '../db/insert-rows.js';
import { uuidv7 } from '../ids.js';
import { emitEvents } from '../outbox/events.js';
import type { OutboxConsumer } from '../outbox/dispatcher.js';
import type { Ctx } from '../server/context.js';
import { inSavepoint } from './acting.js';
import { DUPLICATE_CHECK } from './builtin-checks.js';
import type { StoredCheckResult } from './run-checks.js';
import { findCandidates, recordDuplicatePairs } from './peers.js';
import { sealCaseData } from './store.js';
import { caseEvent } from './transitions.js';

interface DirectHousehold {
  id: string;
  area_code: string;
  channel: string;
  created_by: string;
}

const CASE_COLUMNS = [
  { name: 'id', type: 'uuid' },
  { name: 'kind', type: 'text' },
  { name: 'status', type: 'text' },
  { name: 'channel', type: 'text' },
  { name: 'area_code', type: 'text' },
  { name: 'household_id', type: 'uuid' },
  { name: 'data_sealed', type: 'text' },
  { name: 'reasons', type: 'text[]' },
  { name: 'checks', type: 'jsonb' },
  { name: 'submitted_by', type: 'text' },
  { name: 'submitted_by_kind', type: 'text' },
];
const EVENT_COLUMNS = [
  { name: 'case_id', type: 'uuid' },
  { name: 'action', type: 'text' },
  { name: 'to_status', type: 'text' },
  { name: 'actor', type: 'text' },
];

const kindOf = (principalId: string) => (principalId.startsWith('user:') ? 'user' : principalId.startsWith('client:') ? 'client' : 'system');

export function directRegistrations(ctx: () => Ctx): OutboxConsumer {
  return {
    name: 'workflow.direct_registrations',
    topics: ['household.registered'],
    async handle(tx, events) {
      const ids = [...new Set(events.map((e) => e.aggregateId))];
      // households registered through a case have it already (written in the same transaction as the household)
      const households = await tx.query<DirectHousehold>(
        `select h.id, h.area_code, h.channel, h.created_by from household h
         where h.id = any($1::uuid[]) and not exists (select 1 from registration_case c where c.household_id = h.id)
         order by h.id`,
        [ids],
      );
      if (households.length === 0) return;
      const c = ctx();
      const checked = households.filter((h) => h.channel !== 'bulk_import');
      let flagged: Map<string, StoredCheckResult[]>;
      try {
        flagged = await inSavepoint(tx, () => duplicateFlags(tx, c, checked));
      } catch (err) {
        // the households are registered whatever happens here: record the cases, with the check's failure
        c.log.warn({ err: (err as Error).name }, 'duplicate check after a direct registration failed');
        const failed: StoredCheckResult[] = [{ check: DUPLICATE_CHECK, outcome: 'needs_review', reason: 'check_error' }];
        flagged = new Map(checked.map((h) => [h.id, failed]));
      }
      const rows = households.map((h) => {
        const checks: StoredCheckResult[] = flagged.get(h.id) ?? [];
        return {
          id: uuidv7(),
          kind: 'registration',
          status: 'registered',
          channel: h.channel,
          area_code: h.area_code,
          household_id: h.id,
          reasons: checks.filter((r) => r.outcome === 'needs_review').map((r) => r.reason!),
          checks,
          submitted_by: h.created_by,
          submitted_by_kind: kindOf(h.created_by),
        };
      });
      // nothing was submitted: the household itself is the record; the case says so
      await insertRows(tx, 'registration_case', CASE_COLUMNS, rows.map((r) => ({ ...r, data_sealed: sealCaseData(c.secrets, r.id, { direct: true }) })));
      await insertRows(tx, 'registration_case_event', EVENT_COLUMNS, rows.map((r) => ({ case_id: r.id, action: 'register', to_status: 'registered', actor: r.submitted_by })));
      await emitEvents(tx, rows.map((r) => caseEvent({ ...r, kind: 'registration', status: 'registered', change_kind: null } as Parameters<typeof caseEvent>[0])));
      await c.audit.recordIn(
        tx,
        auditEntries(c, rows.map((r) => ({ action: 'create' as const, entity: 'registration_case', entityId: r.id, details: { kind: 'registration', channel: r.channel, direct: true, reasons: r.reasons } }))),
      );
    },
  };
}

/** The duplicate check over the new households' members (registered already, so excluded from their own matches). */
async function duplicateFlags(tx: Db, ctx: Ctx, households: DirectHousehold[]): Promise<Map<string, StoredCheckResult[]>> {
  const flags = new Map<string, StoredCheckResult[]>();
  if (households.length === 0) return flags;
  const members = await tx.query<{ household_id: string; person_id: string; given_name: string | null; family_name: string | null; other_names: string | null; birth_date: string | null; sex: string | null; area_code: string }>(
    `select m.household_id, p.id as person_id, p.given_name, p.family_name, p.other_names, p.birth_date, p.sex, h.area_code
     from membership m join person p on p.id = m.person_id join household h on h.id = m.household_id
     where m.household_id = any($1::uuid[]) and m.end_date is null`,
    [households.map((h) => h.id)],
  );
  if (members.length === 0) return flags;
  const matches = await findCandidates(
    tx,
    ctx.secrets,
    members.map((m) => ({ ref: m.person_id, given_name: m.given_name, family_name: m.family_name, other_names: m.other_names, birth_date: m.birth_date, sex: m.sex, area_code: m.area_code })),
    { excludePersonIds: members.map((m) => m.person_id), limit: 5 },
  );
  if (matches.length === 0) return flags;
  await recordDuplicatePairs(
    tx,
    matches.map((m) => ({ personA: m.ref, personB: m.personId, score: m.score, decision: m.decision, reasons: m.reasons })),
    'registration',
  );
  const householdOf = new Map(members.map((m) => [m.person_id, m.household_id]));
  for (const h of households) {
    const found = matches.filter((m) => householdOf.get(m.ref) === h.id);
    if (found.length === 0) continue;
    flags.set(h.id, [
      {
        check: DUPLICATE_CHECK,
        outcome: 'needs_review',
        reason: found.some((m) => m.decision === 'match') ? 'duplicate' : 'possible_duplicate',
        details: { candidates: found.map((m) => ({ person_id: m.ref, matches_person_id: m.personId, score: m.score, decision: m.decision, reasons: m.reasons })) },
      },
    ]);
  }
  return flags;
}
