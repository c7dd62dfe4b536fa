// Crash consistency of DCI async searches: an SPMIS sends async searches to the hub (a real process, tokens
// required) while its callback endpoint answers slowly; the hub is killed -9 at random points, twice. After the
// restarts every search the hub ACKed gets its on-search callback, and exactly one: the SPMIS may see a callback
// again (at least once: the hub died between the receiver's answer and its record) but always with the same
// message_id, which is what it deduplicates by; a search that never got its ACK gets at most one.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../core/config.js';
import { startHub } from '../../core/server/hub.js';
import { CHILD_START_TIMEOUT_MS, childHubStorage, killHard, stopGracefully, waitUntil, type ChildHubStorage } from '../helpers/child-hub.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { postgresUrl } from '../helpers/services.js';
import { aClient, idQuery, publicTask, searchItem, searchMessage } from '../core/dci/dci-helpers.js';
import { crashSeed, seededRandom, sql } from './crash-random.js';

const KILLS = 2;
const SEARCHES_PER_ROUND = 15;
const PEOPLE = 5;

interface Callback {
  messageId: string;
  transactionId: string;
  records: number;
}

/** The SPMIS's on-search endpoint: keeps every POST, answers after `delayMs`. */
async function slowReceiver(delayMs: number) {
  const received: Callback[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => {
      const body = JSON.parse(data);
      received.push({
        messageId: body.header?.message_id,
        transactionId: body.message?.transaction_id,
        records: (body.message?.search_response ?? []).reduce((n: number, item: any) => n + (item.data?.reg_records?.length ?? 0), 0),
      });
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: { ack_status: 'ACK', timestamp: new Date().toISOString(), correlation_id: randomUUID() } }));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/spmis/registry`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('killing the hub with DCI async searches in flight (PostgreSQL)', () => {
  const seed = crashSeed();
  const random = seededRandom(seed);
  let storage: ChildHubStorage;
  let receiver: Awaited<ReturnType<typeof slowReceiver>>;
  let client: { clientId: string; headers: Record<string, string> };
  const uins: string[] = [];

  beforeAll(async () => {
    if (!postgresUrl()) throw new Error('the crash tests need PostgreSQL: set DATABASE_URL');
    console.log(`crash seed ${seed} (replay: CRASH_SEED=${seed})`);
    storage = await childHubStorage('postgres', { SRHUB_AUTH: 'on', SRHUB_DELIVERY_BASE_DELAY_MS: '200', SRHUB_DELIVERY_MAX_DELAY_MS: '1000' });
    receiver = await slowReceiver(250);
    // the registry's people, the SPMIS client, its token and the agreement, made by a hub in this process on the same
    // database and master key (the child hub trusts the token: it signs with the same stored keys)
    const setup = await startHub(loadConfig({ ...storage.env, SRHUB_AUTH: 'off', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }));
    try {
      const post = (path: string, body: unknown) => fetch(setup.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post('/api/v1/admin-areas', { code: 'CD1', name: 'DCI crash' })).status).toBe(201);
      for (let i = 0; i < PEOPLE; i++) {
        const uin = String(7_100_000_000 + i);
        const created = await post('/api/v1/households', { area_code: 'CD1', members: [{ relationship: 'SELF', person: { given_name: `Dci${i}`, family_name: 'Crash', birth_date: '1975-05-05', identifiers: [{ type: 'UIN', value: uin }] } }] });
        expect(created.status).toBe(201);
        uins.push(uin);
      }
      client = await aClient({ hub: setup });
      await publicTask({ hub: setup }, 'ELIG', [client.clientId]);
    } finally {
      await setup.stop();
    }
  }, 180_000);
  afterAll(async () => {
    await receiver?.close();
    await storage?.drop();
  });

  const search = async (hub: HubProcess, body: ReturnType<typeof searchMessage>): Promise<number | 'connection lost'> => {
    try {
      const res = await fetch(`${hub.url}/registry/search`, { method: 'POST', headers: { 'content-type': 'application/json', ...client.headers }, body: JSON.stringify(body) });
      const answer = await res.json();
      return res.status === 202 && answer.message?.ack_status === 'ACK' ? 202 : res.status;
    } catch {
      return 'connection lost';
    }
  };

  it(`delivers exactly one on-search per ACKed search across ${KILLS} kills at random points`, async () => {
    const acked = new Set<string>();
    const unanswered = new Set<string>();
    let hub = await startHubProcess([], storage.env, CHILD_START_TIMEOUT_MS);
    for (let round = 1; round <= KILLS; round++) {
      const target = hub;
      let ackedThisRound = 0;
      const sending = (async () => {
        for (let i = 0; i < SEARCHES_PER_ROUND; i++) {
          const body = searchMessage(client.clientId, [searchItem('r1', idQuery(uins[i % PEOPLE]))], { sender_uri: receiver.url });
          const status = await search(target, body);
          if (status === 202) (acked.add(body.message.transaction_id), (ackedThisRound += 1));
          else if (status === 'connection lost') unanswered.add(body.message.transaction_id);
          else throw new Error(`search answered ${status}`);
        }
      })();
      // the kill comes after a random number of ACKs, then a random moment more: callbacks are queued or on the wire
      const killAfter = random.between(2, SEARCHES_PER_ROUND - 3);
      await waitUntil(`${killAfter} searches ACKed`, async () => (ackedThisRound >= killAfter ? true : undefined), 120_000);
      await new Promise((r) => setTimeout(r, random.between(0, 400)));
      await killHard(hub);
      await sending;
      hub = await startHubProcess([], storage.env, CHILD_START_TIMEOUT_MS);
    }
    // after the last restart, a few more that nothing interrupts
    for (let i = 0; i < 3; i++) {
      const body = searchMessage(client.clientId, [searchItem('r1', idQuery(uins[i]))], { sender_uri: receiver.url });
      expect(await search(hub, body)).toBe(202);
      acked.add(body.message.transaction_id);
    }

    await waitUntil('an on-search for every ACKed search', async () => {
      const got = new Set(receiver.received.map((c) => c.transactionId));
      return [...acked].every((t) => got.has(t)) ? true : undefined;
    }, 180_000, async () => `${[...acked].filter((t) => !receiver.received.some((c) => c.transactionId === t)).length} missing; ${hub.output().slice(-2000)}`);
    // let any repeat still queued arrive before counting
    await waitUntil('the hub to have no callback left to send', async () => {
      const [{ n }] = await sql<{ n: string }>(storage.env.DATABASE_URL, `select count(*) as n from delivery where status <> 'delivered'`);
      return Number(n) === 0 ? true : undefined;
    }, 60_000);

    const messageIdsOf = new Map<string, Set<string>>();
    for (const c of receiver.received) {
      if (!messageIdsOf.has(c.transactionId)) messageIdsOf.set(c.transactionId, new Set());
      messageIdsOf.get(c.transactionId)!.add(c.messageId);
    }
    // exactly once, as the receiver deduplicates: one message id per transaction, none for a search never made
    for (const [transaction, ids] of messageIdsOf) {
      expect([transaction, ids.size]).toEqual([transaction, 1]);
      expect(acked.has(transaction) || unanswered.has(transaction)).toBe(true);
    }
    for (const transaction of acked) expect(messageIdsOf.has(transaction)).toBe(true);
    for (const c of receiver.received) expect(c.records).toBe(1);
    await stopGracefully(hub);
    const repeats = receiver.received.length - messageIdsOf.size;
    console.log(`crash consistency, DCI async search: ${KILLS} kills -9 injected, ${acked.size} ACKed searches (+${unanswered.size} cut off) and ${receiver.received.length} callbacks checked (${repeats} repeats with the same message_id), lost: 0, duplicated: 0 (seed ${seed})`);
  }, 420_000);
});
