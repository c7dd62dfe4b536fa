// Hostile input (issue 11, item 4): every operation of the hub's document and of the DCI document, fuzzed with
// fast-check from the documents themselves: fitting values with injection strings in them, wrong types, boundary
// numbers, huge strings and arrays, deep nesting, invalid UTF-8, prototype-pollution keys, broken headers, paths
// and query strings. No answer may be a 5xx or out of the document, none may hang, Object.prototype stays clean,
// and requests that must be refused change nothing in the database.
//
// Replay: FUZZ_SEED=<the printed seed> (FUZZ_CONCURRENCY=1 replays the exact order; the default sends 6 at once).
// More: FUZZ_RUNS=<requests per operation>. See docs/reliability.md.
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createClient } from '../../core/auth/clients.js';
import { scopesOf } from '../../core/auth/roles.js';
import { issueAccessToken } from '../../core/auth/tokens.js';
import { createUser } from '../../core/auth/users.js';
import { ALL_SCOPES } from '../../core/server/principal.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { postgresUrl } from '../helpers/services.js';
import { checkAnswer, errorShapes, polluted, prototypeSnapshot, type ErrorShapes } from './fuzz/checks.js';
import { differences, fingerprint } from './fuzz/database-state.js';
import { KnownValues } from './fuzz/known-values.js';
import { refusedRequestsFor, requestsFor, shapeOf, type FuzzRequest, type OperationShape } from './fuzz/requests.js';
import { connectionRetries, inParallel, send, Tally, type Failure } from './fuzz/runner.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 70);
const REFUSED_PER_OPERATION = 10;
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 6);
const REQUEST_TIMEOUT_MS = 15_000;
const MIN_REQUESTS = 10_000;
const ENGINE = postgresUrl() ? 'postgres' : 'pglite';

// the operations that act on the caller's own account run as a user of their own (a password change must not
// end the main user's session); the DCI API as an SPMIS client (its sender_id must be the token's client)
const SELF_SERVICE = new Set(['getMe', 'changeMyPassword']);

describe(`hostile input on ${ENGINE} (seed ${SEED})`, () => {
  let t: TestHub;
  let shapes: ErrorShapes;
  let operations: OperationShape[];
  let known: KnownValues;
  let auth: Record<'main' | 'self' | 'dci' | 'noScopes', Record<string, string>>;
  const failures: Failure[] = [];
  const prototypeBefore = prototypeSnapshot();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    t = await startTestHub({
      db: ENGINE,
      env: {
        SRHUB_AUTH: 'on',
        // the fuzzer is one caller on one address sending thousands of requests a minute
        SRHUB_RATE_LIMIT_PER_MINUTE: '10000000',
        SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '10000000',
        // callback and connector URLs the fuzzer makes up must not reach this machine's services
        SRHUB_EGRESS_ALLOW: '',
      },
    });
    const token = async (sub: string, roles: string[], scopes: readonly string[]) =>
      ({ authorization: `Bearer ${(await issueAccessToken(t.hub.keys, t.hub.config, { sub, roles, scopes: [...scopes], areas: null })).access_token}` });
    const user = async () => {
      const username = `fuzz${randomBytes(4).toString('hex')}`;
      const { user } = await createUser(t.hub.db, { username, roles: ['administrator'], areas: null, password: randomBytes(12).toString('hex') }, 'test');
      return { username, id: user.id };
    };
    const main = await user();
    const self = await user();
    const clientId = `fuzz-spmis-${randomUUID().slice(0, 8)}`;
    await createClient(t.hub.db, { client_id: clientId, name: 'Fuzz SPMIS', roles: ['dci_client'], areas: null }, 'test');
    auth = {
      main: await token(`user:${main.username}`, ['administrator'], ALL_SCOPES),
      self: await token(`user:${self.username}`, ['administrator'], ALL_SCOPES),
      dci: await token(`client:${clientId}`, ['dci_client'], await scopesOf(t.hub.db, ['dci_client'])),
      noScopes: await token(`user:${main.username}`, [], []),
    };
    known = new KnownValues(new Set([main.username, main.id, self.username, self.id, clientId]));
    known.add('sender_id', clientId);
    await fixtures(t, auth.main, known);
    const hubDocument = t.hub.api.document as Record<string, any>;
    shapes = errorShapes(hubDocument, t.hub.dci.api.document as Record<string, any>);
    operations = [
      ...[...t.hub.api.operations.values()].map((op) => shapeOf('hub', op)),
      ...[...t.hub.dci.api.operations.values()].map((op) => shapeOf('dci', op)),
    ].sort((a, b) => order(a) - order(b));
    // eslint-disable-next-line no-console
    console.log(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED}); ${operations.length} operations on ${ENGINE}`);
  }, 300_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await t?.stop();
  });

  const authFor = (shape: OperationShape) => (shape.api === 'dci' ? auth.dci : SELF_SERVICE.has(shape.op.operationId) ? auth.self : auth.main);

  const run = async (title: string, batches: { shape: OperationShape; requests: FuzzRequest[] }[], expectRefused: boolean) => {
    const tally = new Tally();
    const started = performance.now();
    for (const { shape, requests } of batches) {
      await inParallel(requests, CONCURRENCY, async (request) => {
        const { answer, error } = await send(t.url, request, REQUEST_TIMEOUT_MS);
        tally.add(request, answer);
        const problems = error ? [error] : checkAnswer(request, answer!, { hub: t.hub.api, dci: t.hub.dci.api }, shapes);
        if (answer && expectRefused && answer.status < 400) problems.push(`accepted a request it must refuse (${answer.status})`);
        if (problems.length) failures.push({ request, problems, status: answer?.status });
        else if (answer && answer.status < 300 && /json/.test(answer.type)) known.observe(shape.op, JSON.parse(answer.text));
      });
    }
    // eslint-disable-next-line no-console
    console.log(`${tally.report(title)}\n  ${Math.round(performance.now() - started)} ms`);
    return tally;
  };

  it('refuses, without a change to the database, every request it must refuse', async () => {
    failures.length = 0;
    await settle(t);
    const before = await fingerprint(t.hub.db);
    const batches = operations.map((shape, i) => ({
      shape,
      requests: fc
        .sample(refusedRequestsFor(shape, known, authFor(shape), auth.noScopes), { seed: SEED + i, numRuns: REFUSED_PER_OPERATION })
        .filter((r) => r.kind !== 'none'),
    }));
    const tally = await run('refused requests', batches, true);
    await settle(t);
    expect(differences(before, await fingerprint(t.hub.db))).toEqual([]);
    expect(report(failures)).toEqual([]);
    totals.refused = tally.total;
  }, 600_000);

  it('answers every hostile request within the document: no 5xx, no hang, no shape outside the document', async () => {
    failures.length = 0;
    const tally = new Tally();
    const started = performance.now();
    for (const [i, shape] of operations.entries()) {
      // generated per operation, after the earlier ones ran: the ids they created are known by then
      const requests = fc.sample(requestsFor(shape, known, authFor(shape)), { seed: SEED + 1000 + i, numRuns: RUNS_PER_OPERATION });
      const part = await run(`  ${shape.op.operationId}`, [{ shape, requests }], false);
      for (const [id, s] of part.perOperation) tally.perOperation.set(id, s);
      for (const [k, n] of part.perKind) tally.perKind.set(k, (tally.perKind.get(k) ?? 0) + n);
      tally.total += part.total;
    }
    // eslint-disable-next-line no-console
    console.log(`${tally.report('hostile requests')}\n  ${Math.round(performance.now() - started)} ms`);
    totals.main = tally.total;
    expect(report(failures)).toEqual([]);
  }, 900_000);

  it('stays up, unpolluted and without unhandled rejections, after at least 10,000 requests', async () => {
    const total = totals.refused + totals.main;
    // eslint-disable-next-line no-console
    console.log(`fuzz total: ${total} requests (refused phase ${totals.refused}, hostile phase ${totals.main}); seed ${SEED}; ${connectionRetries.count} resets retried on a fresh connection`);
    expect(total).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(polluted()).toEqual([]);
    expect(prototypeSnapshot()).toBe(prototypeBefore);
    expect(unhandled).toEqual([]);
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    expect((await fetch(`${t.url}/ready`)).status).toBe(200);
  });
});

const totals = { refused: 0, main: 0 };

/** Creates first, then lists, then reads of one, then changes, then deletes: ids exist before they are used. */
function order(shape: OperationShape): number {
  const templated = shape.op.path.includes('{');
  const rank = shape.op.method === 'POST' && !templated ? 0 : shape.op.method === 'GET' ? (templated ? 2 : 1) : shape.op.method === 'DELETE' ? 4 : 3;
  return rank;
}

/** Lets the outbox consumers and the delivery worker finish, so what they write is not taken for a change. */
async function settle(t: TestHub): Promise<void> {
  await t.hub.outbox.drain();
}

/** A few records made through the API, so ids of every kind exist from the start. */
async function fixtures(t: TestHub, headers: Record<string, string>, known: KnownValues): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await t.post(path, body, { headers });
    if (res.status >= 300) throw new Error(`fixture ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    const op = t.hub.api.match('POST', path);
    if (op && !('allowed' in op)) known.observe(op.operation, res.body);
    return res.body;
  };
  await post('/api/v1/admin-areas', { code: 'FZ', name: 'Fuzz' });
  await post('/api/v1/admin-areas', { code: 'FZ-1', name: 'Fuzz 1', parent_code: 'FZ' });
  const person = (given: string, relationship: string) => ({
    relationship,
    person: { given_name: given, family_name: 'Fuzz', sex: 'female', birth_date: '1990-01-01' },
  });
  for (let i = 0; i < 2; i += 1) {
    await post('/api/v1/households', { area_code: 'FZ-1', members: [person(`A${i}`, 'SELF'), person(`B${i}`, 'PRIMSPOUS')] });
  }
}

function report(failures: Failure[]): string[] {
  const lines = failures.slice(0, 40).map((f) => {
    const body = f.request.body ? f.request.body.subarray(0, 300).toString('utf8') : '';
    return `${f.request.operationId} [${f.request.kind}] ${f.request.method} ${f.request.url.slice(0, 200)} ${body.length ? `body ${body}` : ''}\n    -> ${f.problems.join('; ').slice(0, 600)}`;
  });
  if (failures.length > 40) lines.push(`... and ${failures.length - 40} more`);
  return lines;
}
