// What the client is told when the database refuses a transaction for a concurrent one: a deadlock's victim or a
// serialisation failure was rolled back whole (503, send it again), a unique key taken first is a 409, anything else
// stays a 500 without internals.
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemHandler } from '../../../core/server/errors.js';

/** Shaped as node-postgres throws them (DatabaseError: message, SQLSTATE in `code`). */
const dbError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });

describe('database refusals as answers', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const app = express();
    app.get('/fail/:code', (req, _res, next) => next(dbError(req.params.code, `failure ${req.params.code} in relation "person"`)));
    app.use(problemHandler);
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it.each([
    ['40P01', 'deadlock detected'],
    ['40001', 'could not serialize access'],
  ])('answers %s (%s) with 503 and Retry-After: nothing was done, the same request may be sent again', async (code) => {
    const res = await fetch(`${url}/fail/${code}`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const body = await res.json();
    expect(body).toMatchObject({ status: 503, code: 'database.contention' });
    expect(JSON.stringify(body)).not.toContain('relation');
  });

  it('answers a unique key taken first with 409, and an unknown database error with 500 without its message', async () => {
    expect((await fetch(`${url}/fail/23505`)).status).toBe(409);
    const other = await fetch(`${url}/fail/42P01`);
    expect(other.status).toBe(500);
    expect(JSON.stringify(await other.json())).not.toContain('relation');
  });
});
