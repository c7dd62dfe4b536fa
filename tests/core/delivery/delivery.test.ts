// The delivery queue against a real receiver: sent once, retried with backoff after failures, refused messages
// parked as failed, one at a time per ordering key, prepared just before sending, and kept across a restart.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../../../core/db/index.js';
import { deliveryStatus, enqueueDelivery, retryDelivery } from '../../../core/delivery/queue.js';
import { backoffMs, createDeliveries, type Deliveries, type DeliveryOptions } from '../../../core/delivery/worker.js';
import { EgressPolicy } from '../../../core/net/egress.js';
import { createSecrets } from '../../../core/keys/secrets.js';
import { createLogger } from '../../../core/log.js';
import { openTestDb } from '../../helpers/databases.js';
import { dbEngines } from '../../helpers/services.js';

const log = createLogger('silent');
const secrets = createSecrets(randomBytes(32));
// the receivers run on this machine: loopback is allow-listed as SRHUB_EGRESS_ALLOW=loopback would
const OPTIONS: DeliveryOptions = { maxAttempts: 3, baseDelayMs: 800, maxDelayMs: 800, timeoutMs: 2000, pollMs: 60_000, egress: new EgressPolicy(['loopback']) };

interface Received {
  path: string;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** A receiver whose answers the test scripts: each request takes the next status (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ path: req.url!, body: JSON.parse(data), headers: req.headers });
      res.statusCode = statuses.shift() ?? 200;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((r) => server.close(() => r())) };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
// past OPTIONS' backoff (400-800 ms, jittered); the backoff itself is long enough that a drain never outlasts it
const pastBackoff = () => wait(850);

describe.each(dbEngines())('deliveries on %s', (engine) => {
  let db: Db;
  let deliveries: Deliveries;
  beforeEach(async () => {
    db = await openTestDb(engine);
    deliveries = createDeliveries(db, secrets, log, OPTIONS);
    deliveries.prepare('test', async (message) => ({ body: message.body }));
  });
  afterEach(async () => {
    await deliveries.stop();
    await db.close();
  });

  test('a message is sent once; enqueueing it again (same dedupe key) creates nothing', async () => {
    const r = await receiver();
    const first = await enqueueDelivery(db, secrets, { kind: 'test', url: `${r.url}/cb`, body: { hello: 1 }, dedupeKey: 'k1' });
    const again = await enqueueDelivery(db, secrets, { kind: 'test', url: `${r.url}/cb`, body: { hello: 2 }, dedupeKey: 'k1' });
    expect(again).toEqual({ id: first.id, created: false });
    await deliveries.drain();
    await deliveries.drain();
    expect(r.received).toEqual([expect.objectContaining({ path: '/cb', body: { hello: 1 } })]);
    expect(await deliveryStatus(db, first.id)).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200 });
    // the body is sealed at rest
    const [row] = await db.query<{ body: string }>('select body from delivery');
    expect(row.body).not.toContain('hello');
    await r.close();
  });

  test('a failing receiver is retried with backoff until it accepts', async () => {
    const r = await receiver([500, 503]);
    const { id } = await enqueueDelivery(db, secrets, { kind: 'test', url: r.url, body: { n: 1 }, dedupeKey: 'k2' });
    const before = Date.now();
    await deliveries.drain();
    const failed = await deliveryStatus(db, id);
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500, lastError: 'HTTP 500' });
    expect(Date.parse(failed!.nextAttemptAt!)).toBeGreaterThanOrEqual(before + 400);
    expect(r.received).toHaveLength(1);
    for (let i = 0; i < 2; i++) {
      await pastBackoff();
      await deliveries.drain();
    }
    expect(r.received).toHaveLength(3);
    expect(await deliveryStatus(db, id)).toMatchObject({ status: 'delivered', attempts: 3 });
    await r.close();
  });

  test('after the last attempt, or when the receiver refuses the message (4xx), it is parked as failed; a re-run sends it again', async () => {
    const r = await receiver([500, 500, 500, 422, 200]);
    const exhausted = await enqueueDelivery(db, secrets, { kind: 'test', url: r.url, body: {}, dedupeKey: 'k3' });
    for (let i = 0; i < 3; i++) {
      await deliveries.drain();
      await pastBackoff();
    }
    expect(await deliveryStatus(db, exhausted.id)).toMatchObject({ status: 'failed', attempts: 3 });
    const refused = await enqueueDelivery(db, secrets, { kind: 'test', url: r.url, body: {}, dedupeKey: 'k4' });
    await deliveries.drain();
    expect(await deliveryStatus(db, refused.id)).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 422 });
    expect(await retryDelivery(db, refused.id)).toBe(true);
    await deliveries.drain();
    expect(await deliveryStatus(db, refused.id)).toMatchObject({ status: 'delivered' });
    expect(await retryDelivery(db, refused.id)).toBe(false);
    await r.close();
  });

  test('an unreachable receiver counts as a failed attempt', async () => {
    const r = await receiver();
    await r.close();
    const { id } = await enqueueDelivery(db, secrets, { kind: 'test', url: r.url, body: {}, dedupeKey: 'k5' });
    await deliveries.drain();
    expect(await deliveryStatus(db, id)).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null });
  });

  test('a receiver on a forbidden address (loopback, private) is never called: the message is parked as failed at once', async () => {
    const r = await receiver();
    await deliveries.stop(); // only the worker without an allow-list may see the message
    const closed = createDeliveries(db, secrets, log, { ...OPTIONS, egress: new EgressPolicy([]) });
    closed.prepare('test', async (message) => ({ body: message.body }));
    const { id } = await enqueueDelivery(db, secrets, { kind: 'test', url: `${r.url}/cb`, body: {}, dedupeKey: 'ssrf' });
    await closed.drain();
    await closed.stop();
    expect(r.received).toHaveLength(0);
    expect(await deliveryStatus(db, id)).toMatchObject({ status: 'failed', attempts: 1, lastStatus: null, lastError: expect.stringContaining('may not call') });
    await r.close();
  });

  test('messages with one ordering key go one at a time, in order, even when the first needs retries', async () => {
    const r = await receiver([500]);
    for (const n of [1, 2, 3]) await enqueueDelivery(db, secrets, { kind: 'test', url: r.url, body: { n }, dedupeKey: `o${n}`, orderingKey: 'record-1' });
    await deliveries.drain();
    expect(r.received.map((m) => m.body.n)).toEqual([1]);
    await pastBackoff();
    await deliveries.drain();
    expect(r.received.map((m) => m.body.n)).toEqual([1, 1, 2, 3]);
    await r.close();
  });

  test("a kind's preparer shapes each attempt (signing) and may redirect it", async () => {
    const r = await receiver();
    deliveries.prepare('signed', async (message) => ({ body: { wrapped: message.body, attempt: message.attempts }, headers: { 'x-signature': 'sig' }, url: `${r.url}/elsewhere` }));
    await enqueueDelivery(db, secrets, { kind: 'signed', url: `${r.url}/cb`, body: { n: 1 }, dedupeKey: 'p1' });
    await deliveries.drain();
    expect(r.received).toEqual([expect.objectContaining({ path: '/elsewhere', body: { wrapped: { n: 1 }, attempt: 1 } })]);
    expect(r.received[0].headers['x-signature']).toBe('sig');
    await r.close();
  });

  test('what was queued before a restart is sent by the next worker', async () => {
    const r = await receiver();
    await deliveries.stop();
    const { id } = await enqueueDelivery(db, secrets, { kind: 'test', url: r.url, body: { n: 1 }, dedupeKey: 'r1' });
    deliveries = createDeliveries(db, secrets, log, OPTIONS);
    await deliveries.drain();
    // until the restarted instance knows how to prepare the kind, the message waits
    expect(await deliveryStatus(db, id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(r.received).toHaveLength(0);
    deliveries.prepare('test', async (message) => ({ body: message.body }));
    await deliveries.drain();
    expect(await deliveryStatus(db, id)).toMatchObject({ status: 'delivered' });
    await r.close();
  });
});

test('backoff doubles from the base, is capped, and is jittered within the upper half', () => {
  const options = { baseDelayMs: 1000, maxDelayMs: 10_000 };
  for (let i = 0; i < 50; i++) {
    const first = backoffMs(1, options);
    expect(first).toBeGreaterThanOrEqual(500);
    expect(first).toBeLessThanOrEqual(1000);
    const third = backoffMs(3, options);
    expect(third).toBeGreaterThanOrEqual(2000);
    expect(third).toBeLessThanOrEqual(4000);
    expect(backoffMs(20, options)).toBeLessThanOrEqual(10_000);
  }
});
