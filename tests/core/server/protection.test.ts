import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { cacheEngines } from '../../helpers/services.js';

describe.each(cacheEngines())('rate limits with the %s cache', (cache) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ cache, env: { SRHUB_AUTH: 'on', SRHUB_RATE_LIMIT_PER_MINUTE: '4', SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '30' } });
  });
  afterAll(() => t.stop());

  it('limits each caller, answering 429 with Retry-After, without touching other callers', async () => {
    const a = await t.as(['registry_officer']);
    const b = await t.as(['registry_officer']);
    // the limit counts per minute window: start at the beginning of one so the test cannot straddle two
    const intoWindow = 60_000 - (Date.now() % 60_000);
    if (intoWindow < 5_000) await new Promise((r) => setTimeout(r, intoWindow + 50));
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await t.get('/api/v1/persons', { headers: a.headers })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const limited = await t.get('/api/v1/persons', { headers: a.headers });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body.code).toBe('rate_limited');
    expect((await t.get('/api/v1/persons', { headers: b.headers })).status).toBe(200);
  }, 20_000);

  it('limits each address across callers', async () => {
    let last = 0;
    for (let i = 0; i < 40 && last !== 429; i++) last = (await t.get('/health')).status;
    expect(last).toBe(429);
  });
});

describe('security headers and CORS', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ env: { SRHUB_CORS_ORIGINS: 'https://console.registry.example' } });
  });
  afterAll(() => t.stop());

  it('sends the usual protective headers', async () => {
    const res = await t.get('/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('lets only the configured origins call from a browser', async () => {
    const allowed = await t.request('OPTIONS', '/api/v1/persons', undefined, {
      headers: { origin: 'https://console.registry.example', 'access-control-request-method': 'GET' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.registry.example');
    const other = await t.get('/health', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
