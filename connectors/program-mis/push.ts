// The push job: each configured program's eligible households (core/programs listEligible, in rank order) go to the
// MIS's enrolment API, each member with only the fields their consent lets the program receive (decideDisclosure,
// the program's code as recipient). The enrolment the MIS answers is recorded as the household's participation.
// Households already enrolled are skipped; the MIS is idempotent per program and household (Idempotency-Key), so a
// run retried after a lost answer creates nothing twice.
import { HOUSEHOLD_FIELDS, keepCategories, PERSON_FIELDS, type DataCategory } from '../../consent/categories.js';
import { decideDisclosure } from '../../consent/policy.js';
import { recordParticipation, PARTICIPATION_STATUSES, type ParticipationStatus } from '../../core/participation/index.js';
import { participationStore } from '../../core/participation/store.js';
import { listEligible } from '../../core/programs/index.js';
import { householdStore } from '../../core/registry/households/store.js';
import { viewHousehold } from '../../core/registry/households/view.js';
import { fn } from '../framework/openfn.js';
import type { HubOperations, Operation, State } from '../framework/types.js';
import { headersOf, readConfig, type ProgramMisConfig } from './config.js';

interface Candidate {
  program: string;
  programId: string;
  householdId: string;
  score: number | null;
  rank: number;
}

export function pushJob(hub: HubOperations): Operation[] {
  return [
    fn(async (state: State) => {
      state.candidates = await candidates(hub, readConfig(state.configuration));
      return state;
    }),
    hub.eachItem<Candidate>(
      (state) => state.candidates as Candidate[],
      async (candidate, state) => pushHousehold(hub, readConfig(state.configuration), candidate),
    ),
    fn((state) => {
      hub.result({ candidates: (state.candidates as Candidate[] | undefined)?.length ?? 0 });
      return state;
    }),
  ];
}

/** Every eligible household of the configured programs not handed to the MIS yet. */
async function candidates(hub: HubOperations, config: ProgramMisConfig): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const code of config.programs) {
    const [program] = await hub.ctx.db.query<{ id: string; status: string }>('select id, status from program where code = $1', [code]);
    if (!program || program.status !== 'active') {
      hub.log('program not active; nothing pushed', { program: code, found: !!program });
      continue;
    }
    let cursor: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await listEligible(hub.ctx, program.id, { cursor, limit: config.pageSize });
      const done = await participationStore.pushed(hub.ctx.db, code, page.households.map((h) => h.id));
      for (const h of page.households) {
        // eligibility recomputed while paging can move a household to a later page: take it once
        if (seen.has(h.id)) continue;
        seen.add(h.id);
        if (done.has(h.id)) hub.count('households.already_enrolled');
        else out.push({ program: code, programId: program.id, householdId: h.id, score: h.score, rank: h.rank });
      }
      cursor = page.next ?? undefined;
    } while (cursor);
  }
  return out;
}

async function pushHousehold(hub: HubOperations, config: ProgramMisConfig, c: Candidate): Promise<void> {
  const row = await householdStore.byId(hub.ctx.db, c.householdId, null);
  if (!row) return void hub.count('households.gone');
  const household = await viewHousehold(hub.ctx.db, hub.ctx.secrets, row);
  const wanted = new Set(config.categories as DataCategory[]);
  const decisions = await decideDisclosure(hub.ctx, { purpose: config.purpose, recipient: c.program, personIds: household.members.map((m) => m.person_id) });
  const allowed = (personId: string) => {
    const d = decisions.get(personId);
    return d?.allowed ? new Set([...d.categories].filter((x) => wanted.has(x))) : undefined;
  };
  const members = household.members.filter((m) => allowed(m.person_id));
  if (members.length === 0) return void hub.count('households.no_consent');
  // the household's own fields: the categories every member allows (they concern them all)
  const common = household.members.map((m) => allowed(m.person_id) ?? new Set<DataCategory>()).reduce((a, b) => new Set([...a].filter((x) => b.has(x))));
  const { members: _members, ...own } = keepCategories(household, common, HOUSEHOLD_FIELDS);
  const body = {
    household_ref: household.id,
    score: c.score,
    rank: c.rank,
    household: own,
    members: members.map((m) => ({
      person_ref: m.person_id,
      relationship: m.relationship,
      ...keepCategories(m.person, allowed(m.person_id)!, PERSON_FIELDS),
    })),
  };
  const res = await hub.http({
    method: 'POST',
    url: `${config.baseUrl}/api/v1/programs/${encodeURIComponent(c.program)}/enrolments`,
    headers: { ...headersOf(config), 'idempotency-key': `${c.program}:${c.householdId}` },
    body,
    // the MIS keeps one enrolment per Idempotency-Key: sending again is safe
    retry: true,
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`the MIS refused the enrolment (HTTP ${res.status})`);
  const { enrolment_id: enrolmentId, status, updated_at: updatedAt } = res.body ?? {};
  if (typeof enrolmentId !== 'string' || !PARTICIPATION_STATUSES.includes(status)) throw new Error('the MIS answered without an enrolment id and status');
  const { outcome } = await hub.transaction((tx) => recordParticipation(hub.ctx, tx, {
    householdId: c.householdId,
    programCode: c.program,
    externalEnrolmentId: enrolmentId,
    status: status as ParticipationStatus,
    statusChangedAt: updatedAt ? new Date(updatedAt) : null,
    source: hub.connectorId,
  }));
  hub.count(`households.${res.status === 201 ? 'enrolled' : 'already_at_mis'}`);
  hub.count(`participation.${outcome}`);
}
