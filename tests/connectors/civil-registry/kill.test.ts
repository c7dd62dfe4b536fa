// Resume after a kill: the hub (a real process) is killed -9 in the middle of a pull, after some deaths were
// applied and while the next page hangs. After a restart the next pull starts at the cursor that committed with the
// last applied death: it applies the rest, and nothing twice.
import civilRegistry from '../../../connectors/civil-registry/index.js';
import type { FhirSimulator } from '../../../connectors/civil-registry/simulator.js';
import { callHub as call, CHILD_START_TIMEOUT_MS, childHubStorage, countSince, killHard, runConnectorJob, stopGracefully, waitUntil as until, type ChildHubStorage } from '../../helpers/child-hub.js';
import { startHubProcess } from '../../helpers/hub-process.js';
import { uin } from '../../helpers/registry-data.js';
import { apiEngines } from '../../helpers/services.js';

describe.each(apiEngines())('a civil registry pull killed midway on %s', (engine) => {
  let storage: ChildHubStorage;
  let sim: FhirSimulator;
  beforeEach(async () => {
    storage = await childHubStorage(engine);
    sim = (await civilRegistry.simulator!.start({})) as FhirSimulator;
  });
  afterEach(async () => {
    await sim.stop();
    await storage.drop();
  });

  it('resumes from the cursor that committed with the last applied change', async () => {
    const { env } = storage;
    const first = await startHubProcess([], env, CHILD_START_TIMEOUT_MS);
    const spouses: { id: string; uin: string }[] = [];
    try {
      expect((await call(first, 'POST', '/api/v1/admin-areas', { code: 'K1', name: 'Kill' })).status).toBe(201);
      for (let i = 0; i < 3; i++) {
        const spouseUin = uin();
        const created = await call(first, 'POST', '/api/v1/households', {
          area_code: 'K1',
          members: [
            { relationship: 'SELF', person: { given_name: `Head${i}`, family_name: 'Kill', birth_date: '1970-01-01' } },
            { relationship: 'WIFE', person: { given_name: `Wife${i}`, family_name: 'Kill', birth_date: '1972-01-01', identifiers: [{ type: 'UIN', value: spouseUin }] } },
          ],
        });
        expect(created.status).toBe(201);
        spouses.push({ id: created.body.members.find((m: { relationship: string }) => m.relationship === 'WIFE').person_id, uin: spouseUin });
      }
      for (const s of spouses) sim.addDeath({ uin: s.uin, death_date: '2024-10-10' });
      // one death per page; the third page hangs until the hub is gone
      sim.behave({ mode: 'slow', delayMs: 120_000, slowFromOffset: 2 });
      const configured = await call(first, 'PUT', '/api/v1/connectors/civil-registry/configuration', {
        configuration: { baseUrl: sim.url, system: 'crvs-test', pageSize: 1 },
        enabled: true,
        settings: { httpTimeoutMs: 300_000, retries: 0, concurrency: 2 },
      });
      expect(configured.status).toBe(200);
      expect((await call(first, 'POST', '/api/v1/connectors/civil-registry/runs', { job: 'pull' })).status).toBe(202);
      await until('two deaths applied', async () => {
        const people = await Promise.all(spouses.slice(0, 2).map((s) => call(first, 'GET', `/api/v1/persons/${s.id}`)));
        return people.every((p) => p.body.death_date === '2024-10-10') ? true : undefined;
      }, 60_000, async () => JSON.stringify((await call(first, 'GET', '/api/v1/connectors/civil-registry/runs')).body) + first.output());
      await until('the third page to be asked for (it hangs)', async () => (sim.requests.search >= 3 ? true : undefined));
    } finally {
      await killHard(first);
    }

    sim.behave({ mode: 'normal', delayMs: 0 });
    const restartedAt = new Date().toISOString();
    const second = await startHubProcess([], env, CHILD_START_TIMEOUT_MS);
    try {
      const run = await runConnectorJob(second, 'civil-registry', 'pull');
      expect(run.status).toBe('succeeded');
      // only the third death, applied by the restarted hub (so not by the killed one): the first two are behind the
      // cursor, not even fetched as duplicates
      expect(await countSince(second, 'civil-registry', restartedAt, 'death.applied')).toBe(1);
      expect(await countSince(second, 'civil-registry', restartedAt, 'death.duplicate')).toBe(0);
      for (const s of spouses) {
        expect((await call(second, 'GET', `/api/v1/persons/${s.id}`)).body).toMatchObject({ death_date: '2024-10-10', household: null });
        const history = (await call(second, 'GET', `/api/v1/persons/${s.id}/history`)).body.items;
        expect(history.filter((h: { changes: Record<string, unknown> }) => 'death_date' in h.changes)).toHaveLength(1);
      }
    } finally {
      await stopGracefully(second);
    }
  }, 420_000);
});
