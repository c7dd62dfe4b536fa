// Regression cases for what the fuzzer (tests/security/fuzz.test.ts) found: bodies and requests the parsers let
// through damaged or answered outside the document.
import { jsonDepth, MAX_JSON_DEPTH } from '../../../core/server/body-checks.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

const INVALID_UTF8 = Buffer.concat([Buffer.from('{"code":"Q1","name":"'), Buffer.from([0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80]), Buffer.from('"}')]);

describe('hostile bodies and requests', () => {
  let t: TestHub;
  let headers: Record<string, string>;
  beforeAll(async () => {
    t = await startTestHub({ env: { SRHUB_AUTH: 'on' } });
    headers = (await t.as(['administrator'])).headers;
  }, 120_000);
  afterAll(() => t.stop());

  const raw = (method: string, path: string, body: Buffer | string, type = 'application/json', extra: Record<string, string> = headers) =>
    fetch(t.url + path, { method, headers: { ...extra, 'content-type': type }, body: typeof body === 'string' ? body : new Uint8Array(body) }).then(async (res) => ({
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      body: JSON.parse(await res.text()),
    }));

  it('refuses a JSON body that is not UTF-8 (instead of storing U+FFFD) and writes nothing', async () => {
    const res = await raw('POST', '/api/v1/admin-areas', INVALID_UTF8);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'request.invalid_utf8', errors: [{ field: 'body', message: 'is not valid UTF-8' }] });
    expect((await t.get('/api/v1/admin-areas', { headers })).body.items).toEqual([]);
    // the same text as UTF-8 is taken
    expect((await t.post('/api/v1/admin-areas', { code: 'Q1', name: 'ÿ' }, { headers })).status).toBe(201);
  });

  it('refuses NUL characters and unpaired surrogates anywhere (PostgreSQL cannot store them) with 400 naming the field', async () => {
    const user = (await t.post('/api/v1/users', { username: 'nul-check', roles: ['auditor'] }, { headers })).body;
    const cases: [string, string, string | undefined, string][] = [
      ['PATCH', `/api/v1/users/${user.id}`, '{"display_name":"a\\u0000b"}', 'body.display_name'],
      ['POST', '/api/v1/admin-areas', '{"code":"Q2","name":"\\udfff\\ud800"}', 'body.name'],
      ['GET', '/api/v1/users?role=%00', undefined, 'query.role'],
      ['POST', '/api/v1/admin-areas', '{"code":"Q3","name":"x","\\u0000":1}', 'body.?'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await fetch(t.url + path, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json', ...(method === 'PATCH' ? { 'if-match': '"1"' } : {}) } : {}) }, body });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect((await res.json()).errors).toContainEqual(expect.objectContaining({ field }));
    }
    expect((await t.get(`/api/v1/users/${user.id}`, { headers })).body.display_name ?? '').not.toContain('\u0000');
    expect((await t.get('/api/v1/admin-areas', { headers })).body.items.map((a: { code: string }) => a.code)).not.toContain('Q2');
    const dci = await raw('POST', '/registry/sync/search', '{"header":{"sender_id":"a\\u0000"},"message":{}}');
    expect(dci.status).toBe(400);
    expect(dci.body.message).toMatchObject({ ack_status: 'ERR', error: { code: 'err.request.bad', message: expect.stringContaining('header.sender_id must not contain NUL') } });
    // a surrogate pair (an emoji) is text like any other
    expect((await t.post('/api/v1/admin-areas', { code: 'Q4', name: 'Zone \ud83c\udf33' }, { headers })).status).toBe(201);
  });

  it('takes only a connector\'s own jobs: __proto__ or toString as a job name is a 422, not a 500', async () => {
    for (const job of ['__proto__', 'toString', 'constructor']) {
      const res = await t.post('/api/v1/connectors/national-id/runs', { job }, { headers });
      expect({ job, status: res.status }).toEqual({ job, status: 422 });
      expect(res.body.errors).toEqual([{ field: 'body.job', message: 'is not a job of national-id' }]);
      const schedule = await t.request('PUT', '/api/v1/connectors/national-id/configuration', { configuration: {}, schedules: { [job]: '0 * * * *' } }, { headers });
      expect(schedule.status).toBe(422);
    }
  });

  it('refuses a form body that is not UTF-8, as an RFC 6749 error on the token endpoint', async () => {
    const res = await raw('POST', '/oauth2/token', Buffer.concat([Buffer.from('grant_type=password&username='), Buffer.from([0xff, 0xfe]), Buffer.from('&password=x')]), 'application/x-www-form-urlencoded', {});
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'The request body is not valid UTF-8. body is not valid UTF-8.' });
  });

  it('answers a token request the validation refuses in the OAuth shape of the document, not problem+json', async () => {
    const res = await raw('POST', '/oauth2/client/token?sort=x', 'grant_type=client_credentials', 'application/x-www-form-urlencoded', {});
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain('query.sort');
  });

  it('refuses a path parameter with broken percent-encoding with 400 naming it (was a 500)', async () => {
    for (const bad of ['%', '%E0%A4%A']) {
      const res = await fetch(`${t.url}/api/v1/users/${bad}`, { headers });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'request.invalid', errors: [{ field: 'path.id', message: 'is not valid percent-encoded UTF-8' }] });
    }
  });

  it('refuses broken percent-encoding on a route express matches before the API (attachment chunks) with 400 (was a 500)', async () => {
    for (const method of ['GET', 'PUT']) {
      const res = await fetch(`${t.url}/api/v1/sync/attachments/%`, { method, headers });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'request.invalid_path', errors: [{ field: 'path', message: 'is not valid percent-encoding' }] });
    }
  });

  it('refuses JSON nested deeper than the limit at once, on the hub API and the DCI API (was a 500 there)', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const hub = await raw('POST', '/api/v1/persons', deep);
    expect(hub.status).toBe(400);
    expect(hub.body.code).toBe('request.too_deep');
    const dci = await raw('POST', '/registry/sync/search', deep);
    expect(dci.status).toBe(400);
    expect(dci.body.message).toMatchObject({ ack_status: 'ERR', error: { code: 'err.request.bad' } });
  });

  it('answers a URL over the header limit with problem+json 431, not a bare status line', async () => {
    const res = await fetch(`${t.url}/api/v1/persons/${'a'.repeat(40_000)}`, { headers });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 431, code: 'request.headers_too_large' });
    // the server is still there for the next request
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });
});

describe('jsonDepth', () => {
  it('counts nesting outside strings only, escapes included', () => {
    expect(jsonDepth(Buffer.from('{"a":[1,{"b":[]}]}'))).toBe(4);
    expect(jsonDepth(Buffer.from('{"a":"[[[[{{{{\\"[[["}'))).toBe(1);
    expect(jsonDepth(Buffer.from('1'))).toBe(0);
    expect(jsonDepth(Buffer.from('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)))).toBe(MAX_JSON_DEPTH);
    expect(jsonDepth(Buffer.from('['.repeat(MAX_JSON_DEPTH + 1)))).toBe(MAX_JSON_DEPTH + 1);
  });
});
