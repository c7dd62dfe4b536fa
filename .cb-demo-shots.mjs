// temporary: screenshots of the console's queue and admin pages on the demo hub (deleted after use)
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
const url = process.argv[2];
const out = 'test-artifacts/demo-shots';
await mkdir(out, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const errors = [];
const sizes = { phone: { width: 390, height: 844 }, desktop: { width: 1366, height: 900 } };
const context = await browser.newContext({ viewport: sizes.desktop });
const page = await context.newPage();
page.on('pageerror', (e) => errors.push(`pageerror ${e.message}`));
page.on('console', (m) => m.type() === 'error' && errors.push(`console ${m.text()}`));
await page.goto(`${url}/console/`);
await page.fill('#username', 'admin'); await page.fill('#password', 'demo-admin-password');
await page.click('form button[type="submit"]');
await page.waitForSelector('[data-testid="signed-in-user"]');
for (const route of (process.argv[3] ?? 'reviews,duplicates,conflicts,forms,forms/household-socioeconomic/1,models,programs,users,clients,connectors,quality,audit').split(',')) {
  await page.evaluate((h) => (location.hash = h), `#/${route}`);
  await page.waitForSelector('main h1');
  await page.waitForFunction(() => !document.querySelector('main .loading'), null, { timeout: 60000 }).catch(() => {});
  if (route === 'audit') { await page.click('[data-testid="audit-verify"]'); await page.waitForSelector('[data-testid="audit-verify-result"]', { timeout: 120000 }); await page.click('[data-testid="audit-search"]'); await page.waitForSelector('[data-testid="audit-row"]'); }
  if (route.startsWith('forms/')) { await page.selectOption('[data-testid="preview-field"][data-path="household_type"]', { index: 1 }).catch(() => {}); }
  const name = route.replace(/\//g, '-');
  for (const [size, vp] of Object.entries(sizes)) {
    await page.setViewportSize(vp);
    await page.screenshot({ path: `${out}/console-${name}-${size}.png`, fullPage: size === 'phone' ? false : true });
  }
  await page.setViewportSize(sizes.desktop);
  console.log(route, 'ok');
}
console.log('errors', JSON.stringify(errors));
await browser.close();
