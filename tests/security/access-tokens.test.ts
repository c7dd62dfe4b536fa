// Access attacks on tokens, messages and outgoing calls (OWASP API2, API4, API7; issue 11): a burst past the rate
// limit (429 + Retry-After), tokens replayed after a password change, reset, deactivation, narrowed roles or a client's
// secret rotation, DCI messages sent twice, and SSRF through callback and connector URLs (names resolving to private
// addresses, redirects). One hub with no egress allowed (SRHUB_EGRESS_ALLOW empty) and a low per-caller limit.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { EgressPolicy, egressRequest } from '../../core/net/egress.js';
import { httpCall, HttpCallError } from '../../connectors/framework/http.js';
import { aClient, idQuery, publicTask, searchItem, searchMessage } from '../core/dci/dci-helpers.js';
import type { TestHub } from '../helpers/test-hub.js';
import { accessHub, expectOk, markedHousehold } from './access/world.js';

const LIMIT = 30;
const tried: Record<string, number> = {};
const count = (kind: string, n = 1) => (tried[kind] = (tried[kind] ?? 0) + n);

async function token(t: TestHub, form: Record<string, string>): Promise<string> {
  const res = await fetch(`${t.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}
const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

describe('tokens, replays and outgoing calls (OWASP API2, API4, API7)', () => {
  let t: TestHub;
  // a fresh administrator for each test: the per-caller limit is low in this file
  let admin: Record<string, string>;
  beforeEach(async () => {
    if (t) admin = (await t.as(['administrator'])).headers;
  });
  let uinOfVictim: string;
  let receiver: Server;
  let receiverUrl: string;
  const hits: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/redirect') return void res.writeHead(302, { location: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/secret` }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    ({ t, admin } = await accessHub({ SRHUB_EGRESS_ALLOW: '', SRHUB_RATE_LIMIT_PER_MINUTE: String(LIMIT), SRHUB_DELIVERY_MAX_ATTEMPTS: '1' }));
    const { body, markers } = markedHousehold('AM-R1-D1');
    await expectOk(t.post('/api/v1/households', body, { headers: admin }));
    uinOfVictim = markers.uin;
  }, 180_000);
  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log(`access-tokens: cases tried ${JSON.stringify(tried)}, ${Object.values(tried).reduce((a, b) => a + b, 0)} in all`);
    await t?.stop();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('answers a burst past the per-caller limit with 429 and Retry-After, on the hub API and the DCI API', async () => {
    for (const [api, send] of [
      ['hub', async (h: Record<string, string>) => t.get('/api/v1/me', { headers: h })],
      ['dci', async (h: Record<string, string>) => t.post('/registry/sync/search', searchMessage('burst', [searchItem('b', idQuery('0000000001'))]), { headers: h })],
    ] as const) {
      const caller = (await t.as(['program_officer'])).headers;
      const answers = await Promise.all(Array.from({ length: 3 * LIMIT }, () => send(caller)));
      count('burst', answers.length);
      const limited = answers.filter((r) => r.status === 429);
      // a minute boundary during the burst can let at most two windows' worth through
      expect({ api, limited: limited.length >= LIMIT }).toEqual({ api, limited: true });
      expect(answers.filter((r) => r.status !== 429).every((r) => r.status === 200)).toBe(true);
      for (const r of limited) {
        const after = Number(r.headers.get('retry-after'));
        expect(after >= 1 && after <= 60).toBe(true);
      }
      // another caller is not held back by this one's burst
      expect((await send((await t.as(['program_officer'])).headers)).status).toBe(200);
    }
  });

  describe('revoked tokens', () => {
    const person = async (roles = ['registry_officer']) => {
      const username = `r${randomUUID().slice(0, 8)}`;
      const password = `first-password-${randomUUID().slice(0, 6)}`;
      const created = await expectOk(t.post('/api/v1/users', { username, roles, password }, { headers: admin }));
      return { id: created.body.id as string, username, password, signIn: (p = password) => token(t, { grant_type: 'password', username, password: p }) };
    };
    const works = async (accessToken: string) => {
      count('revocation');
      const res = await t.get('/api/v1/me', { headers: bearer(accessToken) });
      if (res.status === 401) expect(res.headers.get('www-authenticate')).toContain('invalid_token');
      return res.status === 200;
    };

    it('stops every token of a person who changes their password, but not the new ones', async () => {
      const p = await person();
      const [first, second] = [await p.signIn(), await p.signIn()];
      expect(await works(first)).toBe(true); // now cached as valid
      expect((await t.post('/api/v1/me/password', { current_password: p.password, new_password: 'a-brand-new-password' }, { headers: bearer(first) })).status).toBe(204);
      expect(await works(first)).toBe(false);
      expect(await works(second)).toBe(false);
      expect(await works(await p.signIn('a-brand-new-password'))).toBe(true);
    });

    it('stops the tokens of a person whose password an administrator resets, or who is disabled (and stays so re-enabled)', async () => {
      const p = await person();
      const before = await p.signIn();
      expect(await works(before)).toBe(true);
      await expectOk(t.post(`/api/v1/users/${p.id}/password-reset`, undefined, { headers: admin }));
      expect(await works(before)).toBe(false);

      const q = await person();
      const old = await q.signIn();
      expect(await works(old)).toBe(true);
      await expectOk(t.patch(`/api/v1/users/${q.id}`, { disabled: true }, { headers: admin }));
      expect(await works(old)).toBe(false);
      await expectOk(t.patch(`/api/v1/users/${q.id}`, { disabled: false }, { headers: admin }));
      expect(await works(old)).toBe(false);
      expect(await works(await q.signIn())).toBe(true);
    });

    it('stops tokens whose roles or areas were narrowed, and keeps them over a change of display name', async () => {
      const p = await person(['administrator']);
      const wide = await p.signIn();
      expect((await t.get('/api/v1/users', { headers: bearer(wide) })).status).toBe(200);
      await expectOk(t.patch(`/api/v1/users/${p.id}`, { display_name: 'Renamed' }, { headers: admin }));
      expect(await works(wide)).toBe(true);
      await expectOk(t.patch(`/api/v1/users/${p.id}`, { roles: ['auditor'] }, { headers: admin }));
      count('revocation');
      expect((await t.get('/api/v1/users', { headers: bearer(wide) })).status).toBe(401);
      const narrow = await p.signIn();
      count('revocation');
      expect((await t.get('/api/v1/users', { headers: bearer(narrow) })).status).toBe(403);
      await expectOk(t.patch(`/api/v1/users/${p.id}`, { areas: ['AM-R1'] }, { headers: admin }));
      expect(await works(narrow)).toBe(false);
    });

    it("stops a client's tokens when its secret is rotated or it is disabled", async () => {
      const clientId = `rot-${randomUUID().slice(0, 8)}`;
      const created = await expectOk(t.post('/api/v1/clients', { client_id: clientId, name: 'Rotated', roles: ['dci_client'] }, { headers: admin }));
      const signIn = (secret: string) => token(t, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
      const old = await signIn(created.body.client_secret);
      expect(await works(old)).toBe(true);
      const rotated = await expectOk(t.post(`/api/v1/clients/${clientId}/secret`, undefined, { headers: admin }));
      expect(await works(old)).toBe(false);
      const fresh = await signIn(rotated.body.client_secret);
      expect(await works(fresh)).toBe(true);
      // the DCI API refuses the old token too
      count('revocation');
      expect((await t.post('/registry/sync/search', searchMessage(clientId, [searchItem('x', idQuery('1'))]), { headers: bearer(old) })).status).toBe(401);
      await expectOk(t.patch(`/api/v1/clients/${clientId}`, { disabled: true }, { headers: admin }));
      await expectOk(t.patch(`/api/v1/clients/${clientId}`, { disabled: false }, { headers: admin }));
      expect(await works(fresh)).toBe(false);
    });
  });

  describe('DCI messages sent twice', () => {
    it('answers a repeated sync search with a refusal, without searching again', async () => {
      const client = await aClient(t);
      await publicTask(t, 'ELIG', [client.clientId]);
      const message = searchMessage(client.clientId, [searchItem('once', idQuery(uinOfVictim))]);
      const reads = async () => Number((await t.hub.db.query<{ n: number }>(`select count(*)::int as n from audit_log where actor = $1 and action = 'read'`, [`client:${client.clientId}`]))[0].n);
      const first = await t.post('/registry/sync/search', message, { headers: client.headers });
      expect(first.body.message.search_response[0].data).toBeDefined();
      await t.hub.audit.flush();
      const readsAfterFirst = await reads();
      const again = await t.post('/registry/sync/search', message, { headers: client.headers });
      count('replay', 2);
      expect(again.body.header).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.message_id.duplicate' });
      expect(again.body.message ?? null).toBeNull();
      await t.hub.audit.flush();
      expect(await reads()).toBe(readsAfterFirst);
    });

    it('accepts a repeated async search once: one transaction, one answer queued', async () => {
      const client = await aClient(t);
      await publicTask(t, 'ELIG', [client.clientId]);
      const message = searchMessage(client.clientId, [searchItem('once', idQuery(uinOfVictim))], { sender_uri: `${receiverUrl}/spmis` });
      const answers = await Promise.all([1, 2, 3].map(() => t.post('/registry/search', message, { headers: client.headers })));
      count('replay', answers.length);
      expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
      expect(answers.filter((a) => a.status !== 202).every((a) => a.status < 500 && JSON.stringify(a.body).includes('duplicate'))).toBe(true);
      const rows = await t.hub.db.query('select delivery_id from dci_transaction where transaction_id = $1', [message.message.transaction_id]);
      expect(rows).toHaveLength(1);
    });
  });

  describe('SSRF', () => {
    // names an attacker controls, answering with addresses of the hub's own network
    const fakeDns: Record<string, string[]> = {
      'metadata.attacker.test': ['169.254.169.254'],
      'intranet.attacker.test': ['10.0.0.5'],
      'v6.attacker.test': ['::ffff:192.168.1.1'],
      'mixed.attacker.test': ['10.0.0.5', '93.184.216.34'],
      'loop.attacker.test': ['127.0.0.1'],
    };
    const resolve = ((hostname: string, _options: unknown, callback: (err: Error | null, addresses: LookupAddress[]) => void) => {
      const answers = fakeDns[hostname];
      if (!answers) return callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(null, answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    }) as never;
    const lookup = (policy: EgressPolicy, hostname: string) =>
      new Promise<{ err: Error | null; addresses: LookupAddress[] }>((done) =>
        (policy.lookup() as any)(hostname, { all: true }, (err: Error | null, addresses: LookupAddress[]) => done({ err, addresses })));

    it('refuses names that resolve to private, loopback or metadata addresses; keeps only the public answers of a mixed name', async () => {
      const closed = new EgressPolicy([], resolve);
      for (const name of ['metadata.attacker.test', 'intranet.attacker.test', 'v6.attacker.test', 'loop.attacker.test']) {
        count('ssrf');
        expect({ name, refused: (await lookup(closed, name)).err?.name }).toEqual({ name, refused: 'EgressRefused' });
      }
      count('ssrf');
      expect((await lookup(closed, 'mixed.attacker.test')).addresses.map((a) => a.address)).toEqual(['93.184.216.34']);
      // allow-listed by name or range, a private address is reachable
      count('ssrf', 2);
      expect((await lookup(new EgressPolicy(['intranet.attacker.test'], resolve), 'intranet.attacker.test')).addresses).toHaveLength(1);
      expect((await lookup(new EgressPolicy(['10.0.0.0/24'], resolve), 'intranet.attacker.test')).addresses).toHaveLength(1);
      // the hub's own requests: a name resolving to this machine is refused before anything is sent
      const before = hits.length;
      const port = (receiver.address() as AddressInfo).port;
      count('ssrf');
      await expect(egressRequest(closed, `http://loop.attacker.test:${port}/`, { timeoutMs: 2000 })).rejects.toThrow('may not call');
      expect(hits.length).toBe(before);
    });

    it('does not follow redirects (a 3xx is an answer, not a new request)', async () => {
      const open = new EgressPolicy(['loopback']);
      const res = await egressRequest(open, `${receiverUrl}/redirect`, { timeoutMs: 2000 });
      count('ssrf');
      expect(res.status).toBe(302);
      expect(hits).not.toContain('/secret');
    });

    it('refuses a connector call to a private address without retrying or counting it against the breaker', async () => {
      const failures: string[] = [];
      const breaker = { admit: async () => undefined, success: async () => undefined, failure: async () => void failures.push('failure') };
      for (const url of ['http://10.0.0.1/api', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/x', `${receiverUrl}/x`]) {
        const call = httpCall({ method: 'GET', url }, {
          breaker, egress: new EgressPolicy([]), settings: { httpTimeoutMs: 2000, retries: 3, backoffMs: 1, maxBackoffMs: 2 },
          signal: new AbortController().signal, count: () => undefined, remainingMs: () => 10_000,
        });
        count('ssrf');
        await expect(call).rejects.toThrow(HttpCallError);
        await expect(call).rejects.toMatchObject({ retryable: false });
      }
      expect(failures).toEqual([]);
      expect(hits).not.toContain('/x');
    });

    it("never calls a DCI callback URL on the hub's own network: the answer is parked as failed", async () => {
      const client = await aClient(t);
      await publicTask(t, 'ELIG', [client.clientId]);
      const before = hits.length;
      const message = searchMessage(client.clientId, [searchItem('s', idQuery(uinOfVictim))], { sender_uri: `${receiverUrl}/spmis` });
      expect((await t.post('/registry/search', message, { headers: client.headers })).status).toBe(202);
      await t.hub.deliveries.drain();
      count('ssrf');
      const [row] = await t.hub.db.query<{ status: string; last_error: string | null }>(
        'select d.status, d.last_error from dci_transaction x join delivery d on d.id = x.delivery_id where x.transaction_id = $1', [message.message.transaction_id]);
      expect(row.status).toBe('failed');
      expect(row.last_error).toContain('may not call');
      expect(hits.length).toBe(before);
    });
  });
});
