// Resume after a kill: the hub (a real process) is killed -9 in the middle of a program MIS status pull, after two
// pages of statuses were applied and while the third hangs. After a restart the next pull asks from the checkpoint
// that committed with the second page: it applies the third status, and neither of the first two again.
import { DEMO_MIS_KEY, programMisSimulator } from '../../../connectors/program-mis/simulator.js';
import { callHub as call, CHILD_START_TIMEOUT_MS, childHubStorage, countSince, killHard, runConnectorJob, stopGracefully, waitUntil as until, type ChildHubStorage } from '../../helpers/child-hub.js';
import { startHubProcess, type HubProcess } from '../../helpers/hub-process.js';
import { apiEngines } from '../../helpers/services.js';

const PROGRAM = 'cash-transfer';

describe.each(apiEngines())('a program MIS status pull killed midway on %s', (engine) => {
  let storage: ChildHubStorage;
  let sim: { url: string; stop(): Promise<void> };
  beforeEach(async () => {
    storage = await childHubStorage(engine);
    sim = await programMisSimulator.start({ port: 0 });
  });
  afterEach(async () => {
    await sim.stop();
    await storage.drop();
  });

  const atSimulator = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return (await res.json()) as any;
  };
  const serviceRequests = async () => (await (await fetch(`${sim.url}/control`)).json()).requests as number;
  const simulatorQueries = async () => (await (await fetch(`${sim.url}/control/queries`)).json()).items as { updated_since: string | null; after: string | null }[];
  const statusOf = async (hub: HubProcess, householdId: string) => ((await call(hub, 'GET', `/api/v1/households/${householdId}/programs`)).body.items as { status: string }[])[0]?.status;

  it('resumes from the checkpoint that committed with the last applied page', async () => {
    const first = await startHubProcess([], storage.env, CHILD_START_TIMEOUT_MS);
    const households: string[] = [];
    const enrolments: { enrolment_id: string; updated_at: string }[] = [];
    try {
      expect((await call(first, 'POST', '/api/v1/admin-areas', { code: 'PK1', name: 'Kill' })).status).toBe(201);
      for (let i = 0; i < 3; i++) {
        const created = await call(first, 'POST', '/api/v1/households', {
          area_code: 'PK1',
          members: [{ relationship: 'SELF', person: { given_name: `Head${i}`, family_name: 'Kill', birth_date: '1970-01-01' } }],
        });
        expect(created.status).toBe(201);
        households.push(created.body.id);
        // the MIS knows the household (as if pushed earlier) and has enrolled it: one status change each, in order
        const enrolment = await atSimulator(`/api/v1/programs/${PROGRAM}/enrolments`, { household_ref: created.body.id, members: [] }, { authorization: `Bearer ${DEMO_MIS_KEY}` });
        enrolments.push(await atSimulator(`/control/enrolments/${enrolment.enrolment_id}/status`, { status: 'enrolled' }));
      }
      // one status per page; the third page hangs until the hub is gone
      await atSimulator('/control', { slowAfter: 2, delayMs: 120_000 });
      const before = await serviceRequests();
      const configured = await call(first, 'PUT', '/api/v1/connectors/program-mis/configuration', {
        configuration: { ...programMisSimulator.demoConfiguration(sim.url), programs: [PROGRAM], pageSize: 1 },
        enabled: true,
        // the killed hub's run keeps its slot until its lease (the job's time limit) runs out: room for the next one
        settings: { httpTimeoutMs: 300_000, retries: 0, concurrency: 2 },
      });
      expect(configured.status).toBe(200);
      expect((await call(first, 'POST', '/api/v1/connectors/program-mis/runs', { job: 'pull' })).status).toBe(202);
      await until('two statuses applied', async () => {
        const statuses = await Promise.all(households.slice(0, 2).map((id) => statusOf(first, id)));
        return statuses.every((s) => s === 'enrolled') ? true : undefined;
      }, 60_000, async () => JSON.stringify((await call(first, 'GET', '/api/v1/connectors/program-mis/runs')).body) + first.output());
      // (a hanging request is counted when it arrives, and listed in /control/queries only once answered)
      await until('the third page to be asked for (it hangs)', async () => ((await serviceRequests()) >= before + 3 ? true : undefined));
    } finally {
      await killHard(first);
    }

    await atSimulator('/control/reset', {});
    const restartedAt = new Date().toISOString();
    const second = await startHubProcess([], storage.env, CHILD_START_TIMEOUT_MS);
    try {
      const asked = (await simulatorQueries()).length;
      const run = await runConnectorJob(second, 'program-mis', 'pull');
      expect(run.status).toBe('succeeded');
      // only the third status: the first two are behind the checkpoint, not even fetched again (summed over this
      // hub's runs: the quarter-hourly scheduled pull may have started beside the one asked for)
      expect(await countSince(second, 'program-mis', restartedAt, 'statuses.created')).toBe(1);
      expect(await countSince(second, 'program-mis', restartedAt, 'statuses.unchanged')).toBe(0);
      const resumed = (await simulatorQueries()).slice(asked);
      expect(resumed[0]).toMatchObject({ updated_since: enrolments[1].updated_at, after: enrolments[1].enrolment_id });
      // never from the start again (the hung request of the killed hub may still be listed: it asked from the same place)
      for (const q of resumed) expect(q.updated_since! >= enrolments[1].updated_at).toBe(true);
      for (const id of households) expect(await statusOf(second, id)).toBe('enrolled');
      // each household's participation was written once, whichever process wrote it: one audited write each
      for (const id of households) {
        const entries = await call(second, 'GET', `/api/v1/audit?entity=household_program&entity_id=${encodeURIComponent(`${id}:${PROGRAM}`)}`);
        expect(entries.status).toBe(200);
        expect(entries.body.items.map((e: { action: string }) => e.action)).toEqual(['create']);
      }
    } finally {
      await stopGracefully(second);
    }
  }, 420_000);
});
