// "Sign in with National ID": the hub as an OpenID Connect client of the national ID simulator's eSignet-style
// provider, over real HTTP: the browser's part (authorize page, form post, redirect) is played with fetch.
import { createHash, randomBytes } from 'node:crypto';
import { DEMO_OIDC_OTP } from '../../../connectors/national-id/oidc-provider.js';
import { nationalIdSimulator } from '../../../connectors/national-id/simulator.js';
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { configure, control } from '../../connectors/national-id/helpers.js';

let t: TestHub;
let sim: { url: string; stop(): Promise<void> };
let admin: Record<string, string>;

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** Registers a person with a UIN the simulator knows; returns their person id and UIN. */
async function registeredPerson(): Promise<{ personId: string; number: string }> {
  const number = uin();
  const person = aPerson({ identifiers: [{ type: 'UIN', value: number }] });
  await control(sim.url, { uin: number, given_name: person.given_name, family_name: person.family_name, birth_date: person.birth_date }, '/control/identities');
  const household = (await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person }] }), { headers: admin })).body;
  return { personId: household.members[0].person_id, number };
}

interface Flow {
  code: string;
  verifier: string;
  nonce: string;
  redirectUri: string;
}

/** The browser's part: the authorization request with PKCE, the provider's sign-in form, the redirect back. */
async function authorize(number: string, otp = DEMO_OIDC_OTP): Promise<Flow & { state: string }> {
  const info = (await t.get('/api/v1/portal/oidc')).body;
  expect(info.enabled).toBe(true);
  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(12));
  const nonce = base64url(randomBytes(16));
  const url = new URL(info.authorization_endpoint);
  const params = { response_type: 'code', client_id: info.client_id, redirect_uri: info.redirect_uri, scope: info.scope, claims: info.claims, state, nonce,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256' };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const requestId = /name="request_id" value="([^"]+)"/.exec(await page.text())![1];
  const posted = await fetch(new URL('/authorize', url), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestId, individual_id: number, otp }).toString(),
  });
  expect(posted.status).toBe(302);
  const back = new URL(posted.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(info.redirect_uri);
  expect(back.searchParams.get('state')).toBe(state);
  return { code: back.searchParams.get('code')!, verifier, nonce, state, redirectUri: info.redirect_uri };
}

const exchange = (flow: Flow, overrides: Record<string, string> = {}) =>
  t.post('/api/v1/portal/oidc/session', { code: flow.code, code_verifier: flow.verifier, redirect_uri: flow.redirectUri, nonce: flow.nonce, ...overrides });

beforeAll(async () => {
  t = await startTestHub({ env: { SRHUB_AUTH: 'on' } });
  sim = await nationalIdSimulator.start({ port: 0, empty: true });
  admin = (await t.as(['administrator'])).headers;
  for (const area of [{ code: 'AM-R1', name: 'Region 1' }, { code: 'AM-R1-D1', name: 'District 1', parent_code: 'AM-R1' }]) {
    expect((await t.post('/api/v1/admin-areas', area, { headers: admin })).status).toBe(201);
  }
  await configure(t, 'national-id', nationalIdSimulator.demoConfiguration(sim.url));
});
afterAll(async () => {
  await sim?.stop();
  await t?.stop();
});

test('a registered person signs in with the national ID and gets a token for their own record only', async () => {
  const { personId, number } = await registeredPerson();
  const flow = await authorize(number);
  const session = await exchange(flow);
  expect(session.status).toBe(200);
  expect(session.body).toMatchObject({ token_type: 'Bearer', subject_kind: 'person', person_id: personId });
  expect(session.headers.get('cache-control')).toBe('no-store');

  const own = await fetch(`${t.url}/api/v1/me/record`, { headers: { authorization: `Bearer ${session.body.access_token}` } });
  expect(own.status).toBe(200);
  expect(JSON.stringify(await own.json())).toContain(personId);
  const staffRoute = await fetch(`${t.url}/api/v1/households`, { headers: { authorization: `Bearer ${session.body.access_token}` } });
  expect(staffRoute.status).toBe(403);
});

test('a code is good once, and only with its PKCE verifier, nonce and the portal as redirect', async () => {
  const { number } = await registeredPerson();
  const wrongVerifier = await authorize(number);
  expect((await exchange(wrongVerifier, { code_verifier: base64url(randomBytes(32)) })).body.code).toBe('portal.oidc_invalid');
  // the provider spent the code on the failed attempt: the right verifier cannot use it any more
  expect((await exchange(wrongVerifier)).status).toBe(401);

  const wrongNonce = await authorize(number);
  const refused = await exchange(wrongNonce, { nonce: base64url(randomBytes(16)) });
  expect(refused.status).toBe(401);
  expect(refused.body.code).toBe('portal.oidc_invalid');

  const elsewhere = await authorize(number);
  const redirected = await exchange(elsewhere, { redirect_uri: 'https://attacker.example/portal/' });
  expect(redirected.status).toBe(422);
  expect(redirected.body.errors[0].field).toBe('body.redirect_uri');

  const good = await authorize(number);
  expect((await exchange(good)).status).toBe(200);
  expect((await exchange(good)).status).toBe(401);
});

test('someone the ID system knows but the registry does not gets 404 portal.not_registered', async () => {
  const number = uin();
  await control(sim.url, { uin: number, given_name: 'Nadia', family_name: 'Okafor', birth_date: '1990-01-01' }, '/control/identities');
  const res = await exchange(await authorize(number));
  expect(res.status).toBe(404);
  expect(res.body.code).toBe('portal.not_registered');
});

test('bad input names the field; a wrong one-time code at the provider gives no code', async () => {
  const bad = await t.post('/api/v1/portal/oidc/session', { code: 'x', code_verifier: 'short', redirect_uri: 'x', nonce: 'n'.repeat(16) });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body.errors)).toContain('code_verifier');

  const { number } = await registeredPerson();
  const info = (await t.get('/api/v1/portal/oidc')).body;
  const url = new URL(info.authorization_endpoint);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: info.client_id, redirect_uri: info.redirect_uri, scope: 'openid', code_challenge: base64url(randomBytes(32)), code_challenge_method: 'S256' })) url.searchParams.set(k, v);
  const requestId = /name="request_id" value="([^"]+)"/.exec(await (await fetch(url)).text())![1];
  const wrong = await fetch(new URL('/authorize', url), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ request_id: requestId, individual_id: number, otp: '000000' }).toString() });
  expect(wrong.status).toBe(401);
});

test('the provider down: an exchange answers 502 portal.oidc_provider, and works again once it is back', async () => {
  const { number } = await registeredPerson();
  const flow = await authorize(number);
  await control(sim.url, { mode: 'outage' });
  try {
    // discovery is cached, so the exchange reaches the provider's token endpoint, which fails
    const res = await exchange(flow);
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('portal.oidc_provider');
  } finally {
    await control(sim.url, { mode: 'normal' });
  }
  expect((await exchange(await authorize(number))).status).toBe(200);
});

test('the national-id connector disabled: enabled false, and exchanges are refused', async () => {
  await t.hub.db.query("update connector_config set enabled = false where connector_id = 'national-id'");
  try {
    expect((await t.get('/api/v1/portal/oidc')).body).toEqual({ enabled: false });
    const res = await t.post('/api/v1/portal/oidc/session', { code: 'abc', code_verifier: 'a'.repeat(43), redirect_uri: 'http://x/portal/', nonce: 'n'.repeat(16) });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('portal.oidc_disabled');
  } finally {
    await t.hub.db.query("update connector_config set enabled = true where connector_id = 'national-id'");
  }
});
