// The field app's sync when things go wrong: a push whose answer is lost (the hub took it, the connection dropped)
// leaves the item queued, and the retry is answered `duplicate`: one household. A registration the hub refuses shows
// its field errors and can be corrected and sent again; an update of a downloaded household syncs too.
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newPage, screenshots } from '../helpers/browser.js';
import { fillHousehold, householdsInArea, signIn, startFieldHub, syncAfter, type FieldHub } from './field-helpers.js';

let f: FieldHub;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [f, browser] = await Promise.all([startFieldHub(), launchBrowser()]);
  ({ page, errors } = await newPage(browser, 'phone'));
  await page.goto(`${f.t.url}/field/`);
  await page.waitForSelector('#username');
  await signIn(page, f);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await f?.t.stop();
});

async function register(family: string, relationship = 'SELF'): Promise<void> {
  await page.click('[data-testid="register"]');
  await page.waitForSelector('[data-testid="q-area_code"]');
  await fillHousehold(page, { family, relationship });
  await page.click('[data-testid="save"]');
  await page.waitForSelector('[data-testid="saved"]');
}

test('a push whose answer is lost is sent again and answered duplicate: the household exists once', async () => {
  await register('Retryson');
  let hubAnswered = 0;
  // the hub gets the push and answers, but the answer never reaches the app (the connection drops)
  await page.route('**/api/v1/sync/push', async (route) => {
    hubAnswered = (await route.fetch()).status();
    await route.abort('connectionreset');
  }, { times: 1 });
  expect(await syncAfter(page, () => page.click('[data-testid="sync"]'))).toBe('interrupted');
  expect(hubAnswered).toBe(200);
  await page.waitForSelector('[data-testid="queued-item"]');
  expect(await page.textContent('[data-testid="count-queued"]')).toBe('1');
  expect(await page.textContent('[data-testid="queued-item"]')).toContain('without an answer');
  await screenshots(page, 'field-interrupted');
  expect(await householdsInArea(f)).toHaveLength(1);

  expect(await syncAfter(page, () => page.click('[data-testid="sync"]'))).toBe('done');
  await page.waitForSelector('[data-testid="result-item"][data-status="duplicate"]');
  expect(await page.textContent('[data-testid="count-queued"]')).toBe('0');
  expect(await page.textContent('[data-testid="result-item"]')).toContain('first answer: accepted');
  expect(await householdsInArea(f)).toHaveLength(1);
}, 60_000);

test('a rejected registration shows its field errors, and once corrected is accepted', async () => {
  // the form lets any relationship through; the registry wants exactly one head of household
  await register('Headless', 'SPS');
  expect(await syncAfter(page, () => page.click('[data-testid="sync"]'))).toBe('done');
  const rejected = page.locator('[data-testid="result-item"][data-status="rejected"]');
  await rejected.waitFor();
  const shown = await rejected.locator('[data-testid="result-errors"]').textContent();
  expect(shown).toContain('Household members');
  expect(shown).toContain('exactly one member must be the head');
  await screenshots(page, 'field-results');
  expect(await householdsInArea(f)).toHaveLength(1);

  await rejected.locator('[data-testid="correct"]').click();
  await page.waitForSelector('[data-testid="section-members"] .field-error');
  expect(await page.inputValue('[data-testid="q-members[0].person.family_name"]')).toBe('Headless');
  await page.selectOption('[data-testid="q-members[0].relationship"]', 'SELF');
  await page.click('[data-testid="save"]');
  await page.waitForSelector('[data-testid="saved"]');
  expect(await syncAfter(page, () => page.click('[data-testid="sync"]'))).toBe('done');
  await page.waitForSelector('[data-testid="result-item"][data-status="accepted"]');
  expect(await page.textContent('[data-testid="result-item"][data-status="rejected"]')).toContain('Corrected and queued again');
  expect(await householdsInArea(f)).toHaveLength(2);
}, 60_000);

test('updates a downloaded household: only the changed answer is sent, against the version edited', async () => {
  const [first] = await householdsInArea(f);
  // pull what the hub registered meanwhile
  expect(await syncAfter(page, () => page.click('[data-testid="sync"]'))).toBe('done');
  await page.click('a[href="#/households"]');
  await page.waitForSelector('[data-testid="household-item"]');
  expect(await page.locator('[data-testid="household-item"]').count()).toBe(2);
  await screenshots(page, 'field-households');
  await page.click(`a[href="#/households/${first.id}"]`);
  await page.waitForSelector('[data-testid="q-attributes.rooms"]');
  await page.fill('[data-testid="q-attributes.rooms"]', '0');
  await page.click('[data-testid="save"]');
  // the form's schema, checked on the device as on the hub (a change is checked alone: validate-changes.ts)
  expect(await page.textContent('[data-testid="error-attributes.rooms"]')).toBe('must be at least 1');
  await page.fill('[data-testid="q-attributes.rooms"]', '5');
  await screenshots(page, 'field-update');
  await page.click('[data-testid="save"]');
  await page.waitForSelector('[data-testid="saved"]');
  expect(await syncAfter(page, () => page.click('[data-testid="sync"]'))).toBe('done');
  await page.waitForSelector('[data-testid="result-item"][data-status="accepted"]');
  const after = (await f.t.get(`/api/v1/households/${first.id}`, { headers: f.officer })).body;
  expect(after.attributes.rooms).toBe(5);
  expect(after.version).toBe(first.version + 1);
}, 60_000);

/** The kept session's expiry as the app stored it in IndexedDB, against the browser's clock. */
function storedSessionExpiry(p: Page): Promise<unknown> {
  return p.evaluate(() => new Promise((resolve) => {
    const open = indexedDB.open('srhub-field');
    open.onsuccess = () => {
      const get = open.result.transaction('meta').objectStore('meta').get('session');
      get.onsuccess = () => (open.result.close(), resolve({ expiresAt: get.result?.expiresAt, now: Date.now() }));
    };
  }));
}

test('an expired session keeps collecting; syncing waits for a new sign-in and loses nothing', async () => {
  await page.evaluate(() => new Promise<void>((resolve, reject) => {
    const open = indexedDB.open('srhub-field');
    open.onsuccess = () => {
      const tx = open.result.transaction('meta', 'readwrite');
      const meta = tx.objectStore('meta');
      const get = meta.get('session');
      get.onsuccess = () => meta.put({ ...get.result, expiresAt: Date.now() - 60_000 }, 'session');
      tx.oncomplete = () => (open.result.close(), resolve());
      tx.onerror = () => reject(tx.error);
    };
  }));
  await page.goto(`${f.t.url}/field/#/`);
  await page.reload();
  await page.waitForSelector('[data-testid="session-expired"]', { timeout: 15_000 }).catch(async (e: Error) => {
    // say what the app had stored, should the banner not show
    throw new Error(`${e.message}\nstored session: ${JSON.stringify(await storedSessionExpiry(page))}\npage: ${await page.textContent('body')}`);
  });
  expect(await page.isDisabled('[data-testid="sync"]')).toBe(true);
  await register('Expiredson');
  expect(await page.textContent('[data-testid="count-queued"]')).toBe('1');
  await screenshots(page, 'field-session-expired');

  await page.click('[data-testid="signin-again"]');
  await page.waitForSelector('#password');
  expect(await page.inputValue('#username')).toBe(f.username);
  await page.fill('#password', f.password);
  await page.click('[data-testid="signin-submit"]');
  await page.waitForSelector('[data-testid="result-item"][data-status="accepted"] >> text=Expiredson');
  expect(await page.textContent('[data-testid="count-queued"]')).toBe('0');
  expect(await page.locator('[data-testid="session-expired"]').count()).toBe(0);
  expect(await householdsInArea(f)).toHaveLength(3);
  // the aborted push is the only failure the browser logged
  expect(errors.filter((e) => !e.includes('net::ERR_CONNECTION_RESET') && !e.includes('net::ERR_FAILED'))).toEqual([]);
}, 60_000);
