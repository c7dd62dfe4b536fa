import { once } from 'node:events';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { cacheEngines } from '../../helpers/services.js';

describe('the HTTP server', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ env: { SRHUB_BODY_LIMIT: '64kb' } });
  });
  afterAll(() => t.stop());

  it('answers health and readiness', async () => {
    expect((await t.get('/health')).body).toEqual({ status: 'up' });
    expect((await t.get('/ready')).body).toEqual({ status: 'ready', checks: { database: 'up', cache: 'up' } });
  });

  it('gives unknown routes 404 and wrong methods 405 with Allow, as problem+json', async () => {
    const missing = await t.get('/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ status: 404, code: 'route.not_found', type: '/problems/route.not_found' });
    const wrong = await t.request('PUT', '/api/v1/persons');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
    expect(wrong.body.code).toBe('method.not_allowed');
  });

  it('names every failing field of an invalid body', async () => {
    const res = await t.post('/api/v1/persons', { given_name: 42, birth_date: '2001-02-30', sex: 'yes', extra: true });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('request.invalid');
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['body.birth_date', 'body.extra', 'body.given_name', 'body.sex']);
  });

  it('refuses malformed JSON, oversize bodies and other media types', async () => {
    const malformed = await t.post('/api/v1/persons', undefined, { raw: '{"given_name": "A",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('request.malformed_json');
    const huge = await t.post('/api/v1/persons', { given_name: 'A', other_names: 'x'.repeat(70 * 1024) });
    expect(huge.status).toBe(413);
    const text = await t.post('/api/v1/persons', undefined, { raw: 'given_name=A', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it('validates query parameters with their types', async () => {
    const res = await t.get('/api/v1/persons?limit=0&birth_date=yesterday');
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['query.birth_date', 'query.limit']);
  });

  it('keeps a valid request id and makes one otherwise', async () => {
    const kept = await t.get('/health', { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const made = await t.get('/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts requests by route template and status in /metrics', async () => {
    await t.get('/api/v1/persons/00000000-0000-7000-8000-000000000000');
    const metrics = (await t.get('/metrics')).body as string;
    expect(metrics).toContain('srhub_http_requests_total{method="GET",route="/api/v1/persons/{id}",status="404"} 1');
    expect(metrics).toMatch(/srhub_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health",status="200"\} \d+/);
    expect(metrics).not.toContain('00000000-0000-7000-8000-000000000000');
  });

  it('serves the API documents and a reference page', async () => {
    const page = await t.get('/docs');
    expect(page.status).toBe(200);
    expect(page.body).toContain('bulkCreateHouseholds');
    expect(page.body).toContain('registry.write');
    expect((await t.get('/openapi/hub.yaml')).body).toContain('openapi: 3.1.0');
    expect((await t.get('/openapi/hub.json')).body.paths['/api/v1/persons']).toBeDefined();
  });
});

describe('without SRHUB_AUTH=off', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ env: { SRHUB_AUTH: 'on' } });
  });
  afterAll(() => t.stop());

  it('refuses the registry API with 401 and WWW-Authenticate, and keeps health open', async () => {
    const res = await t.get('/api/v1/persons');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await t.post('/api/v1/persons', { given_name: 'A' })).status).toBe(401);
    expect((await t.get('/health')).status).toBe(200);
  });
});

describe.each(cacheEngines())('readiness with the %s cache', (cache) => {
  it('reports not ready (503) once the database is gone', async () => {
    const t = await startTestHub({ cache });
    try {
      expect((await t.get('/ready')).status).toBe(200);
      await t.hub.db.close();
      const res = await t.get('/ready');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'not_ready', checks: { database: 'down', cache: 'up' } });
    } finally {
      await t.stop();
    }
  });
});

describe('graceful stop', () => {
  it('finishes a request in flight before closing', async () => {
    // long enough for the batch on a loaded machine: the point is that the stop waits for it
    const t = await startTestHub({ env: { SRHUB_SHUTDOWN_TIMEOUT_MS: '60000' } });
    const households = Array.from({ length: 300 }, (_, i) => ({ area_code: 'R', members: [{ relationship: 'SELF', person: { given_name: `P${i}` } }] }));
    await t.post('/api/v1/admin-areas', { code: 'R', name: 'Region' });
    // stop only once the server has the request: before that, a stop rightly refuses it
    const arrived = once(t.hub.server, 'request');
    const inFlight = t.post('/api/v1/households:bulk', { households });
    await arrived;
    const stopping = t.hub.stop();
    const res = await inFlight;
    await stopping;
    await t.stop();
    expect(res.status).toBe(200);
    expect(res.body.created).toBe(300);
  });
});
