// Crash consistency of notifications: households are registered through the hub (a real process) while the
// notification connector tells each head by SMS through a slow gateway; the hub is killed -9 at random points, twice,
// with registrations, connector runs and gateway calls in flight. After the restarts every registration answered
// 201 (and every one sent again with its Idempotency-Key) is there once, and every head gets exactly one message id:
// none missing, none sent as two different messages. The gateway may see a message again (delivery is at least
// once: the hub died between its answer and the record), and keeps it once by its id.
import { notificationSimulator } from '../../connectors/notification/simulator.js';
import { callHub, CHILD_START_TIMEOUT_MS, childHubStorage, killHard, stopGracefully, waitUntil, type ChildHubStorage } from '../helpers/child-hub.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { postgresUrl } from '../helpers/services.js';
import { crashSeed, seededRandom, sql } from './crash-random.js';

const AREA = 'CN1';
const KILLS = 2;
const HOUSEHOLDS_PER_ROUND = 12;

interface Registration {
  n: number;
  phone: string;
  key: string;
  id?: string;
}

describe('killing the hub while it notifies people (PostgreSQL)', () => {
  const seed = crashSeed();
  const random = seededRandom(seed);
  let storage: ChildHubStorage;
  let sim: { url: string; stop(): Promise<void> };

  beforeAll(async () => {
    if (!postgresUrl()) throw new Error('the crash tests need PostgreSQL: set DATABASE_URL');
    console.log(`crash seed ${seed} (replay: CRASH_SEED=${seed})`);
    storage = await childHubStorage('postgres', { SRHUB_DELIVERY_BASE_DELAY_MS: '200', SRHUB_DELIVERY_MAX_DELAY_MS: '1000', SRHUB_DELIVERY_TIMEOUT_MS: '5000' });
    sim = await notificationSimulator.start({ port: 0 });
  });
  afterAll(async () => {
    await sim?.stop();
    await storage?.drop();
  });

  const control = (body: Record<string, unknown>) => fetch(`${sim.url}/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const gatewayMessages = async () => ((await (await fetch(`${sim.url}/messages`)).json()) as { items: { id: string; to: string; text: string }[] }).items;

  const register = async (hub: HubProcess, r: Registration): Promise<number | 'connection lost'> => {
    try {
      const res = await fetch(`${hub.url}/api/v1/households`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': r.key },
        body: JSON.stringify({ area_code: AREA, members: [{ relationship: 'SELF', person: { given_name: `Notified${r.n}`, family_name: 'Crash', birth_date: '1980-01-01', phone: r.phone } }] }),
      });
      const body = await res.json();
      if (res.status === 201) r.id = body.id;
      return res.status;
    } catch {
      return 'connection lost';
    }
  };

  it(`delivers one message per registered household across ${KILLS} kills at random points`, async () => {
    let hub = await startHubProcess([], storage.env, CHILD_START_TIMEOUT_MS);
    expect((await callHub(hub, 'POST', '/api/v1/admin-areas', { code: AREA, name: 'Notify' })).status).toBe(201);
    const agreement = await callHub(hub, 'POST', '/api/v1/consent/agreements', {
      code: 'crash-notify', purpose_code: 'notification', purpose_text: { en: 'notification' }, lawful_basis: 'public_task',
      categories: ['contact'], recipients: ['connector:notification'], controller: { name: 'Registry' }, retention_days: 365, max_validity_days: 365,
    });
    expect(agreement.status).toBe(201);
    expect((await callHub(hub, 'POST', `/api/v1/consent/agreements/${agreement.body.id}/publish`, {})).status).toBe(200);
    const configured = await callHub(hub, 'PUT', '/api/v1/connectors/notification/configuration', { configuration: notificationSimulator.demoConfiguration(sim.url), enabled: true });
    expect(configured.status).toBe(200);
    // each message takes a while at the gateway: kills land while messages are being sent
    expect((await control({ mode: 'slow', delayMs: 300 })).status).toBe(200);

    const registrations: Registration[] = [];
    for (let round = 1; round <= KILLS; round++) {
      const batch: Registration[] = Array.from({ length: HOUSEHOLDS_PER_ROUND }, (_, i) => {
        const n = registrations.length + i + 1;
        return { n, phone: `+254 700 ${String(100000 + n)}`, key: `crash-notify-${seed}-${n}` };
      });
      registrations.push(...batch);
      const target = hub;
      // three at a time, so that registrations, connector runs and gateway calls overlap the kill
      const sending = (async () => {
        for (let i = 0; i < batch.length; i += 3) await Promise.all(batch.slice(i, i + 3).map((r) => register(target, r)));
      })();
      // the kill comes after a random number of registrations, then a random moment more: runs and messages in flight
      const killAfter = random.between(2, HOUSEHOLDS_PER_ROUND - 3);
      await waitUntil(`${killAfter} registrations`, async () => (batch.filter((r) => r.id).length >= killAfter ? true : undefined), 120_000);
      await new Promise((r) => setTimeout(r, random.between(0, 1500)));
      await killHard(hub);
      await sending;
      hub = await startHubProcess([], storage.env, CHILD_START_TIMEOUT_MS);
      // the registrations without an answer, again with their keys: applied once whether or not they had committed
      for (const r of registrations.filter((x) => !x.id)) expect(await register(hub, r)).toBe(201);
    }

    const phones = new Set(registrations.map((r) => r.phone));
    await waitUntil('a message for every registered head', async () => {
      const got = new Set((await gatewayMessages()).map((m) => m.to));
      return [...phones].every((p) => got.has(p)) ? true : undefined;
    }, 180_000, async () => {
      const got = new Set((await gatewayMessages()).map((m) => m.to));
      const deliveries = await sql(storage.env.DATABASE_URL, `select status, attempts, last_status, last_error from delivery`);
      return `${[...phones].filter((p) => !got.has(p)).length} heads without a message; deliveries ${JSON.stringify(deliveries)}; ${hub.output().slice(-2000)}`;
    });

    const messages = (await gatewayMessages()).filter((m) => phones.has(m.to));
    // one message id per head: nothing missing, nothing sent as two messages
    expect(messages.length).toBe(phones.size);
    expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
    // every registration once, and the deliveries all recorded as delivered once the hub settles
    const [{ n }] = await sql<{ n: string }>(storage.env.DATABASE_URL, 'select count(*) as n from household where area_code = $1', [AREA]);
    expect(Number(n)).toBe(registrations.length);
    await waitUntil('every delivery recorded', async () => {
      const rows = await sql<{ status: string; n: string }>(storage.env.DATABASE_URL, `select status, count(*) as n from delivery where kind = 'notification.message' group by status`);
      return rows.length === 1 && rows[0].status === 'delivered' && Number(rows[0].n) === phones.size ? true : undefined;
    }, 60_000);
    const verified = await callHub(hub, 'GET', '/api/v1/audit/verify');
    expect(verified.body).toMatchObject({ valid: true });
    const attempts = ((await (await fetch(`${sim.url}/control`)).json()) as { requests: number }).requests;
    await stopGracefully(hub);
    console.log(`crash consistency, notifications: ${KILLS} kills -9 injected, ${registrations.length} registrations and ${messages.length} messages checked (${attempts} gateway calls, ${attempts - messages.length} repeats kept once by message id), lost: 0, duplicated: 0 (seed ${seed})`);
  }, 420_000);
});
