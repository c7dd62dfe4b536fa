// The field app offline: a field worker signs in online, the network goes away, the app still opens (service
// worker), a household is registered with the form's skip logic and GPS and queued in IndexedDB; back online the
// queue syncs by itself and the household is in the registry exactly once.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import path from 'node:path';
import { launchBrowser, newPage, screenshots, SCREENSHOT_DIR } from '../helpers/browser.js';
import { fillHousehold, householdsInArea, signIn, startFieldHub, syncAfter, type FieldHub } from './field-helpers.js';

let f: FieldHub;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [f, browser] = await Promise.all([startFieldHub(), launchBrowser()]);
  ({ context, page, errors } = await newPage(browser, 'phone'));
  await context.grantPermissions(['geolocation'], { origin: f.t.url });
  await context.setGeolocation({ latitude: -1.2921, longitude: 36.8219, accuracy: 12 });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await f?.t.stop();
});

test('signs in online, works offline after a reload, queues a registration and syncs it once when back online', async () => {
  await page.goto(`${f.t.url}/field/`);
  await page.waitForSelector('#username');
  await screenshots(page, 'field-signin');
  await signIn(page, f);
  // the service worker holds the shell before the network goes
  await page.waitForSelector('[data-testid="offline-ready"][data-ready="true"]');
  await screenshots(page, 'field-home');

  await context.setOffline(true);
  const reloaded = await page.reload();
  expect(reloaded?.fromServiceWorker()).toBe(true);
  await page.waitForSelector('[data-testid="network"][data-online="false"]');
  expect(await page.textContent('[data-testid="count-queued"]')).toBe('0');

  await page.click('[data-testid="register"]');
  await page.waitForSelector('[data-testid="q-area_code"]');
  // saving an empty form shows the form's own errors, in place
  await page.click('[data-testid="save"]');
  await page.waitForSelector('[data-testid="error-attributes.dwelling_wall"]');
  expect(await page.textContent('[data-testid="error-attributes.dwelling_wall"]')).toBe('is required');

  // the form's own labels follow the app's language
  await page.selectOption('.language-picker select', 'fr');
  expect(await page.textContent('label[for="q-attributes-dwelling-wall"]')).toBe('Matériau principal des murs extérieurs *');
  expect(await page.textContent('[data-testid="save"]')).toBe('Enregistrer pour synchroniser');
  await page.selectOption('.language-picker select', 'en');
  expect(await page.textContent('label[for="q-attributes-dwelling-wall"]')).toBe('Main material of the outer walls *');

  await fillHousehold(page, { family: 'Offlineson' });
  // once answered, the error goes (the checks run again on every change after a first save)
  expect(await page.locator('[data-testid="error-attributes.dwelling_wall"]').count()).toBe(0);
  // skip logic: no income at all means the income amount is not asked (and its answer goes)
  await page.uncheck('[data-testid="q-attributes.income_sources"] input[value="farming"]');
  await page.check('[data-testid="q-attributes.income_sources"] input[value="none"]');
  expect(await page.locator('[data-testid="q-attributes.monthly_income"]').count()).toBe(0);
  await page.uncheck('[data-testid="q-attributes.income_sources"] input[value="none"]');
  await page.check('[data-testid="q-attributes.income_sources"] input[value="casual_labour"]');
  await page.waitForSelector('[data-testid="q-attributes.monthly_income"]');
  expect(await page.inputValue('[data-testid="q-attributes.monthly_income"]')).toBe('');
  await page.check('[data-testid="q-attributes.income_sources"] input[value="none"]');
  await page.uncheck('[data-testid="q-attributes.income_sources"] input[value="casual_labour"]');
  await page.click('[data-testid="gps-capture"]');
  expect(await page.textContent('[data-testid="gps-value"]')).toContain('-1.2921');
  await screenshots(page, 'field-register');
  // the part of the form with the skip logic, at a phone's size, for the documentation
  await page.evaluate(() => document.querySelector('[data-testid="section-food_security"]')!.scrollIntoView({ block: 'center' }));
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'field-register-skip-logic-phone.png') });
  await page.click('[data-testid="save"]');
  await page.waitForSelector('[data-testid="saved"]');
  expect(await page.textContent('[data-testid="count-queued"]')).toBe('1');

  // the queue is in IndexedDB: still there after the app is opened again without a network
  expect((await page.reload())?.fromServiceWorker()).toBe(true);
  await page.waitForSelector('[data-testid="queued-item"]');
  await screenshots(page, 'field-queue-offline');
  expect(await householdsInArea(f)).toHaveLength(0);

  // back online: the online event syncs the queue
  expect(await syncAfter(page, () => context.setOffline(false))).toBe('done');
  await page.waitForSelector('[data-testid="result-item"][data-status="accepted"]');
  expect(await page.textContent('[data-testid="count-queued"]')).toBe('0');
  const households = await householdsInArea(f);
  expect(households).toHaveLength(1);
  const household = (await f.t.get(`/api/v1/households/${households[0].id}`, { headers: f.officer })).body;
  expect(household.location).toEqual({ latitude: -1.2921, longitude: 36.8219 });
  expect(household.attributes.income_sources).toEqual(['none']);
  expect(household.attributes.monthly_income).toBeUndefined();
  expect(household.members.map((m: { person: { family_name: string } }) => m.person.family_name)).toEqual(['Offlineson']);

  // the next sync pulls the registered household onto the device
  expect(await syncAfter(page, () => page.click('[data-testid="sync"]'))).toBe('done');
  expect(await page.textContent('[data-testid="count-households"]')).toBe('1');
  await screenshots(page, 'field-synced');
  expect(errors).toEqual([]);
}, 90_000);
