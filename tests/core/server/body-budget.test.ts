// Large request bodies share a budget of bytes in flight: over it a request waits, unread, for room; past the wait
// it gets 503 + Retry-After and its handler never runs; small requests never wait; one body is let in alone whatever
// its size.
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { bodyBudget, type BodyBudget } from '../../../core/server/body-budget.js';
import { problemHandler } from '../../../core/server/errors.js';

const MB = 1024 * 1024;

describe('the budget of large request bodies in flight', () => {
  let server: Server;
  let url: string;
  let budget: BodyBudget;
  /** Requests the handler has taken (by their x-name), and a way to let each one finish. */
  const entered: string[] = [];
  const release = new Map<string, () => void>();

  beforeAll(async () => {
    budget = bodyBudget({ budgetBytes: 3 * MB, thresholdBytes: MB, maxWaitMs: 1_500, largestBodyBytes: 20 * MB });
    const app = express();
    app.use(budget);
    app.use(express.raw({ type: '*/*', limit: 20 * MB }));
    app.post('/work', (req, res) => {
      const name = req.header('x-name')!;
      entered.push(name);
      release.set(name, () => res.json({ name, bytes: (req.body as Buffer).length }));
    });
    app.use(problemHandler);
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/work`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    entered.length = 0;
    release.clear();
  });

  const send = (name: string, bytes: number, signal?: AbortSignal) =>
    fetch(url, { method: 'POST', headers: { 'x-name': name, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(bytes, 1), signal });
  const until = async (what: string, ok: () => boolean) => {
    for (const end = Date.now() + 10_000; !ok(); await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    }
  };
  const finish = async (name: string) => {
    await until(`${name} to be handled`, () => release.has(name));
    release.get(name)!();
  };

  it('holds a large body while others fill the budget, lets small ones through, and takes it once room is made', async () => {
    const first = send('first', 2 * MB);
    await until('first', () => entered.includes('first'));
    const second = send('second', 2 * MB); // 2 + 2 > 3: waits
    await until('second to wait', () => budget.waiting() === 1);
    const small = send('small', 1000);
    await finish('small');
    expect((await small).status).toBe(200);
    expect(entered).toEqual(['first', 'small']);
    expect(budget.inFlightBytes()).toBe(2 * MB);

    await finish('first');
    expect((await first).status).toBe(200);
    await finish('second');
    const answer = await second;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ name: 'second', bytes: 2 * MB });
    expect(entered).toEqual(['first', 'small', 'second']);
    await until('the budget to empty', () => budget.inFlightBytes() === 0);
  });

  it('answers 503 with Retry-After after the wait, without running the handler', async () => {
    const holder = send('holder', 2 * MB);
    await until('holder', () => entered.includes('holder'));
    const late = await send('late', 2 * MB);
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('5');
    expect(await late.json()).toMatchObject({ status: 503, code: 'service.busy' });
    expect(entered).toEqual(['holder']);
    expect(budget.waiting()).toBe(0);
    await finish('holder');
    expect((await holder).status).toBe(200);
    await until('the budget to empty', () => budget.inFlightBytes() === 0);
  });

  it('lets one body larger than the whole budget in alone, and the next after it', async () => {
    const huge = send('huge', 5 * MB);
    await until('huge', () => entered.includes('huge'));
    const next = send('next', 2 * MB);
    await until('next to wait', () => budget.waiting() === 1);
    await finish('huge');
    expect((await huge).status).toBe(200);
    await finish('next');
    expect((await next).status).toBe(200);
  });

});
