// The pull job: enrolment statuses the MIS changed since the last run, page by page in the MIS's order
// (updated_at, enrolment id). Each page is applied with the checkpoint in one transaction, so a run stopped midway
// (a kill, an outage) continues after the last page it applied and never applies a change twice.
import { recordParticipation, PARTICIPATION_STATUSES, type ParticipationStatus } from '../../core/participation/index.js';
import { householdStore } from '../../core/registry/households/store.js';
import { fn } from '../framework/openfn.js';
import type { HubOperations, Operation, State } from '../framework/types.js';
import { headersOf, readConfig, type ProgramMisConfig } from './config.js';

interface Cursor {
  updated_at: string;
  enrolment_id: string;
}

interface Reported {
  enrolment_id: string;
  household_ref: string;
  status: string;
  updated_at: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_PAGES = 10_000;

export function pullJob(hub: HubOperations): Operation[] {
  return [
    fn(async (state: State) => {
      const config = readConfig(state.configuration);
      for (const program of config.programs) await pullProgram(hub, config, program);
      hub.result({ programs: config.programs.length });
      return state;
    }),
  ];
}

async function pullProgram(hub: HubOperations, config: ProgramMisConfig, program: string): Promise<void> {
  const name = `pull:${program}`;
  let cursor = await hub.checkpoint.get<Cursor>(name);
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: String(config.pageSize), ...(cursor ? { updated_since: cursor.updated_at, after: cursor.enrolment_id } : {}) });
    const res = await hub.http({ method: 'GET', url: `${config.baseUrl}/api/v1/programs/${encodeURIComponent(program)}/enrolments?${query}`, headers: headersOf(config) });
    if (res.status !== 200 || !Array.isArray(res.body?.items)) throw new Error(`the MIS answered ${res.status} to the status query`);
    const items = res.body.items as Reported[];
    if (items.length === 0) return;
    const last = items[items.length - 1];
    if (typeof last.updated_at !== 'string' || typeof last.enrolment_id !== 'string') throw new Error('the MIS answered items without updated_at and enrolment_id');
    const next: Cursor = { updated_at: last.updated_at, enrolment_id: last.enrolment_id };
    await hub.transaction(async (tx) => {
      for (const item of items) await apply(hub, tx, program, item);
      await hub.checkpoint.set(tx, name, next);
    });
    cursor = next;
    if (!res.body.has_more) return;
  }
}

async function apply(hub: HubOperations, tx: Parameters<Parameters<HubOperations['transaction']>[0]>[0], program: string, item: Reported): Promise<void> {
  if (!PARTICIPATION_STATUSES.includes(item.status as ParticipationStatus)) {
    hub.log('status not known to the hub; left out', { program, enrolment: String(item.enrolment_id).slice(0, 60), status: String(item.status).slice(0, 40) });
    return void hub.count('statuses.unknown');
  }
  if (!UUID.test(String(item.household_ref)) || !(await householdStore.byId(tx, item.household_ref, null))) return void hub.count('statuses.unknown_household');
  const { outcome } = await recordParticipation(hub.ctx, tx, {
    householdId: item.household_ref,
    programCode: program,
    externalEnrolmentId: item.enrolment_id,
    status: item.status as ParticipationStatus,
    statusChangedAt: new Date(item.updated_at),
    source: hub.connectorId,
  });
  hub.count(`statuses.${outcome}`);
}
