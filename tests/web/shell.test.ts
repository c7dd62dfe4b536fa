// The hub serves the three browser apps: each page loads its bundle under a strict Content-Security-Policy and
// renders without errors in headless Chromium.
import type { Browser } from 'playwright-core';
import { launchBrowser, newPage } from '../helpers/browser.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let hub: TestHub;
let browser: Browser;

beforeAll(async () => {
  [hub, browser] = await Promise.all([startTestHub(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe.each(['console', 'portal', 'field'])('/%s', (app) => {
  test('is served with its bundle and a page Content-Security-Policy', async () => {
    const page = await fetch(`${hub.url}/${app}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain(`/web/${app}.js`);

    const script = await fetch(`${hub.url}/web/${app}.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    const etag = script.headers.get('etag')!;
    const again = await fetch(`${hub.url}/web/${app}.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await fetch(`${hub.url}/web/${app}.css`)).status).toBe(200);
  });

  test('renders in Chromium without page or console errors', async () => {
    const { context, page, errors } = await newPage(browser);
    try {
      await page.goto(`${hub.url}/${app}/`);
      await page.waitForSelector('#app main');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

test('unknown bundles are 404, the service worker may control /field/', async () => {
  expect((await fetch(`${hub.url}/web/nothing.js`)).status).toBe(404);
  const worker = await fetch(`${hub.url}/field/sw.js`);
  expect(worker.status).toBe(200);
  expect(worker.headers.get('service-worker-allowed')).toBe('/field/');
  const manifest = await fetch(`${hub.url}/field/manifest.webmanifest`);
  expect((await manifest.json()).start_url).toBe('/field/');
});
