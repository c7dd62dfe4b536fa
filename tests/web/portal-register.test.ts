// Registering online in Chromium: a person not yet registered verifies their phone with a code, fills in the
// published questionnaire (checked in the browser by the server's own validator), sends it, and the case waits in
// the console's review queue (#/reviews, one row per case: data-testid=review-row, data-case-id).
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { createUser } from '../../core/auth/users.js';
import { launchBrowser, newPage, screenshots } from '../helpers/browser.js';
import { startPortalHub, type PortalHub } from '../core/portal/setup.js';

let h: PortalHub;
let browser: Browser;
const phone = '+254 744 555 666';

beforeAll(async () => {
  [h, browser] = await Promise.all([startPortalHub(), launchBrowser()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

const pick = (page: Page, path: string, value: string) => page.check(`[data-testid="f-${path}=${value}"]`);
const next = (page: Page) => page.click('[data-testid=next-step]');

test('a person registers their household online and the case is in the console review queue', async () => {
  const { context, page, errors } = await newPage(browser, 'phone');
  try {
    await page.goto(`${h.t.url}/portal/`);
    await page.click('[data-testid=register-link]');
    await page.fill('[data-testid=phone-input]', phone);
    await screenshots(page, 'portal-register-phone');
    await h.clearMessages();
    await page.click('[data-testid=send-code]');
    await page.waitForSelector('[data-testid=code-input]');
    await page.fill('[data-testid=code-input]', await h.codeSentTo(phone));
    await page.click('[data-testid=submit-code]');

    // 1. location: the browser refuses to go on without an area (the form's own rule)
    await page.waitForSelector('[data-testid="f-area_code"]');
    await next(page);
    await page.waitForSelector('.field-invalid [data-testid="f-area_code"]');
    await page.selectOption('[data-testid="f-area_code"]', 'AM-R1-D1');
    await page.fill('[data-testid="f-address"]', 'Behind the market, blue gate');
    await screenshots(page, 'portal-register-form');
    await next(page);
    // 2. dwelling
    await pick(page, 'attributes.dwelling_wall', 'mud');
    await pick(page, 'attributes.dwelling_roof', 'iron_sheet');
    await pick(page, 'attributes.dwelling_floor', 'earth');
    await page.fill('[data-testid="f-attributes.rooms"]', '2');
    await pick(page, 'attributes.water_source', 'borehole');
    await pick(page, 'attributes.toilet', 'pit_latrine_slab');
    await pick(page, 'attributes.lighting', 'solar');
    await pick(page, 'attributes.cooking_fuel', 'firewood');
    await next(page);
    // 3. assets and income: the income question appears once a source other than "none" is chosen
    await pick(page, 'attributes.assets', 'radio');
    await pick(page, 'attributes.income_sources', 'farming');
    await page.fill('[data-testid="f-attributes.monthly_income"]', '80');
    await next(page);
    // 4. food security
    await pick(page, 'attributes.meals_skipped', 'sometimes');
    await next(page);
    // 5. members: the head, with the verified phone already filled in
    const head = 'members[0]';
    expect(await page.inputValue(`[data-testid="f-${head}.relationship"]`)).toBe('SELF');
    await page.fill(`[data-testid="f-${head}.person.given_name"]`, 'Neema');
    await page.fill(`[data-testid="f-${head}.person.family_name"]`, `Wanjiru${randomBytes(2).toString('hex')}`);
    await pick(page, `${head}.person.sex`, 'female');
    await page.fill(`[data-testid="f-${head}.person.birth_date"]`, '1990-03-04');
    expect(await page.inputValue(`[data-testid="f-${head}.person.phone"]`)).toBe(phone);
    await pick(page, `${head}.person.attributes.education_level`, 'secondary');
    for (const q of ['wg_seeing', 'wg_hearing', 'wg_walking', 'wg_cognition', 'wg_selfcare', 'wg_communication']) await pick(page, `${head}.person.attributes.${q}`, 'no_difficulty');
    await next(page);
    // 6. review, then send
    await page.waitForSelector('[data-testid=review]');
    expect(await page.textContent('[data-testid=review]')).toContain('Behind the market, blue gate');
    await screenshots(page, 'portal-register-review');
    await page.click('[data-testid=submit-registration]');
    const sent = page.locator('[data-testid=registration-sent]');
    await sent.waitFor();
    const caseId = (await sent.getAttribute('data-case-id'))!;
    await screenshots(page, 'portal-register-sent');
    expect(errors).toEqual([]);

    await h.t.hub.workflow.settle();
    const review = await h.t.get(`/api/v1/reviews/${caseId}`, { headers: h.officer });
    expect(review.body).toMatchObject({ kind: 'registration', status: 'needs_review', channel: 'online', reasons: ['self_registered'] });
    expect(review.body.checks.find((c: any) => c.check === 'form-validation')).toMatchObject({ outcome: 'passed' });

    // the applicant follows it
    await page.click('a[href="#/applications"]');
    await page.waitForSelector(`[data-testid=case][data-case-id="${caseId}"][data-status=needs_review]`);

    // an officer finds it in the console's review queue
    const username = `officer${randomBytes(3).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await createUser(h.t.hub.db, { username, roles: ['registry_officer'], areas: null, password }, 'test');
    const consolePage = await context.newPage();
    await consolePage.setViewportSize({ width: 1366, height: 900 });
    await consolePage.goto(`${h.t.url}/console/`);
    await consolePage.fill('#username', username);
    await consolePage.fill('#password', password);
    await consolePage.click('button[type=submit]');
    await consolePage.waitForSelector('[data-testid=signed-in-user]');
    await consolePage.goto(`${h.t.url}/console/#/reviews`);
    await consolePage.waitForSelector(`[data-testid=review-row][data-case-id="${caseId}"]`, { timeout: 15_000 });
  } finally {
    await context.close();
  }
});
