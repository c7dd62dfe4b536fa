// The portal's delivery (one small gzipped bundle), and "Sign in with National ID" in Chromium: the button appears
// when the hub offers the sign-in, sends the browser to the national ID simulator's provider with PKCE (S256), and on
// the way back checks the state and signs the person in; a return whose state the portal did not make is refused.
import type { Browser } from 'playwright-core';
import { DEMO_OIDC_OTP } from '../../connectors/national-id/oidc-provider.js';
import { nationalIdSimulator } from '../../connectors/national-id/simulator.js';
import { configure, control } from '../connectors/national-id/helpers.js';
import { launchBrowser, newPage, screenshots } from '../helpers/browser.js';
import { aHousehold, aPerson, uin } from '../helpers/registry-data.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let t: TestHub;
let browser: Browser;
let sim: { url: string; stop(): Promise<void> };
const number = uin();

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestHub({ env: { SRHUB_AUTH: 'on', SRHUB_EGRESS_ALLOW: 'loopback' } }), launchBrowser()]);
  sim = await nationalIdSimulator.start({ port: 0, empty: true });
  const admin = (await t.as(['administrator'])).headers;
  for (const area of [{ code: 'AM-R1', name: 'Region 1' }, { code: 'AM-R1-D1', name: 'District 1', parent_code: 'AM-R1' }]) {
    await t.post('/api/v1/admin-areas', area, { headers: admin });
  }
  const person = aPerson({ given_name: 'Baraka', identifiers: [{ type: 'UIN', value: number }] });
  await control(sim.url, { uin: number, given_name: person.given_name, family_name: person.family_name, birth_date: person.birth_date }, '/control/identities');
  await t.post('/api/v1/households', aHousehold('AM-R1-D1', { members: [{ relationship: 'SELF', person }] }), { headers: admin });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await sim?.stop();
  await t?.stop();
});

test('the portal is one small script and one style sheet, sent gzipped to browsers that take it', async () => {
  const script = await fetch(`${t.url}/web/portal.js`, { headers: { 'accept-encoding': 'gzip' } });
  expect(script.headers.get('content-encoding')).toBe('gzip');
  expect(script.headers.get('vary')).toBe('Accept-Encoding');
  // a budget for cheap phones on slow networks: the whole app, form validator included, under 40 kB on the wire
  expect(Number(script.headers.get('content-length'))).toBeLessThan(40_000);
  expect((await script.text()).length).toBeGreaterThan(40_000); // (fetch inflates it)
  const again = await fetch(`${t.url}/web/portal.js`, { headers: { 'accept-encoding': 'gzip', 'if-none-match': script.headers.get('etag')! } });
  expect(again.status).toBe(304);
  const plain = await fetch(`${t.url}/web/portal.css`, { headers: { 'accept-encoding': 'identity' } });
  expect(plain.headers.get('content-encoding')).toBeNull();
});

test('the button is hidden while the hub does not offer the national ID sign-in', async () => {
  const { context, page, errors } = await newPage(browser);
  try {
    const asked = page.waitForResponse((r) => r.url().endsWith('/api/v1/portal/oidc'));
    await page.goto(`${t.url}/portal/`);
    expect((await (await asked).json()).enabled).toBe(false);
    await page.waitForSelector('[data-testid=phone-input]');
    expect(await page.locator('[data-testid=oidc-signin]').count()).toBe(0);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});

test('a registered person signs in with the national ID and sees their record', async () => {
  await configure(t, 'national-id', nationalIdSimulator.demoConfiguration(sim.url));
  const { context, page, errors } = await newPage(browser, 'phone');
  // the provider's page is the simulator's (its favicon is a 404 there): only the hub's answers must all be fine
  const failed: string[] = [];
  page.on('response', (r) => void (r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`)));
  try {
    await page.goto(`${t.url}/portal/`);
    await page.click('[data-testid=oidc-signin]');
    await page.waitForSelector('#individual_id');
    const authorize = new URL(page.url());
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${t.url}/portal/`);
    await page.fill('#individual_id', number);
    await page.fill('#otp', DEMO_OIDC_OTP);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=my-name]');
    expect(await page.textContent('[data-testid=my-name]')).toBe('Baraka Okello');
    expect(new URL(page.url()).search).toBe(''); // the code is not left in the address bar
    await screenshots(page, 'portal-oidc-household');

    // a return the portal did not start (no stored state) signs nobody in
    await page.click('[data-testid=sign-out]');
    await page.goto(`${t.url}/portal/?code=stolen&state=forged`);
    await page.waitForSelector('[data-testid=phone-input]');
    expect(await page.textContent('main')).toContain('The National ID sign-in did not work');
    expect(failed.filter((f) => !f.startsWith(`404 ${sim.url}/`))).toEqual([]);
    expect(errors.filter((e) => !e.includes('Failed to load resource: the server responded with a status of 404'))).toEqual([]);
  } finally {
    await context.close();
  }
});
