// The portal in Chromium: a beneficiary signs in with the code the SMS gateway received, sees their household,
// withdraws their consent to a program, and the program's very next DCI search leaves them out. Also: their
// access log names the program's search, a correction goes to review, French labels, phone and desktop screenshots.
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newPage, screenshots } from '../helpers/browser.js';
import { aHousehold, aPerson, uin } from '../helpers/registry-data.js';
import { aClient, dciPost, searchItem, searchMessage } from '../core/dci/dci-helpers.js';
import { startPortalHub, type PortalHub } from '../core/portal/setup.js';

let h: PortalHub;
let browser: Browser;
let program: { clientId: string; headers: Record<string, string> };
let personId: string;
const phone = '+254 711 222 333';
const headUin = uin();

beforeAll(async () => {
  [h, browser] = await Promise.all([startPortalHub(), launchBrowser()]);
  program = await aClient(h.t, ['dci_client']);
  const agreement = await h.t.post('/api/v1/consent/agreements', {
    code: `cash-${randomUUID().slice(0, 6)}`, purpose_code: 'cash-transfer',
    purpose_text: { en: 'Checking eligibility for the cash transfer', fr: 'Vérifier l’éligibilité au transfert monétaire' },
    lawful_basis: 'consent', categories: ['name', 'area'], recipients: [program.clientId],
    controller: { name: 'Ministry of Social Protection', contact: 'dpo@msp.example.org' }, retention_days: 365, max_validity_days: 365,
  }, { headers: h.admin });
  await h.t.post(`/api/v1/consent/agreements/${agreement.body.id}/publish`, {}, { headers: h.admin });
  const household = await h.t.post('/api/v1/households', aHousehold('AM-R1-D1', {
    members: [
      { relationship: 'SELF', person: aPerson({ given_name: 'Amina', phone, identifiers: [{ type: 'UIN', value: headUin }] }) },
      { relationship: 'DAU', person: aPerson({ given_name: 'Zawadi', birth_date: '2015-06-01' }) },
    ],
  }), { headers: h.officer });
  personId = household.body.members[0].person_id;
  const granted = await h.t.post('/api/v1/consent/consents', { agreement_id: agreement.body.id, person_id: personId, channel: 'in_person' }, { headers: h.officer });
  expect(granted.status).toBe(201);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

/** The program's sync search for the person's UIN: how many records come back. */
async function programFinds(): Promise<number> {
  const res = await dciPost(h.t, '/registry/sync/search', searchMessage(program.clientId, [
    searchItem('r1', { query_type: 'idtype-value', response_entity: 'Member', query: { type: 'UIN', value: headUin }, consent: { '@type': 'Consent', purpose: { code: 'cash-transfer' } } }),
  ]), program.headers);
  return res.body.message.search_response[0].data.reg_records.length;
}

async function signIn(page: Page, shots = false): Promise<void> {
  await page.goto(`${h.t.url}/portal/`);
  await page.fill('[data-testid=phone-input]', phone);
  if (shots) await screenshots(page, 'portal-signin');
  await h.clearMessages();
  await page.click('[data-testid=send-code]');
  await page.waitForSelector('[data-testid=code-input]');
  const code = await h.codeSentTo(phone);
  await page.fill('[data-testid=code-input]', code);
  if (shots) await screenshots(page, 'portal-code');
  await page.click('[data-testid=submit-code]');
  await page.waitForSelector('[data-testid=my-name]');
}

test('a beneficiary signs in with a code, withdraws a consent, and the next DCI search leaves them out', async () => {
  expect(await programFinds()).toBe(1);
  const { context, page, errors } = await newPage(browser, 'phone');
  try {
    await signIn(page, true);
    expect(await page.textContent('[data-testid=my-name]')).toBe('Amina Okello');
    expect(await page.locator('[data-testid=member]').count()).toBe(2);
    await screenshots(page, 'portal-household');

    await page.click('a[href="#/consents"]');
    const consent = page.locator('[data-testid=consent][data-state=given]');
    await consent.waitFor();
    expect(await consent.textContent()).toContain('Ministry of Social Protection');
    expect(await consent.textContent()).toContain('your name, your area');
    await screenshots(page, 'portal-consents');
    const download = page.waitForEvent('download');
    await consent.locator('[data-testid=consent-receipt]').click();
    expect((await download).suggestedFilename()).toMatch(/^consent-receipt-.*\.json$/);

    await consent.locator('[data-testid=withdraw-consent]').click();
    await consent.locator('[data-testid=withdraw-confirm]').click();
    await page.waitForSelector('[data-testid=give-consent]'); // withdrawn: offered again
    expect(await page.locator('[data-testid=consent][data-state=given]').count()).toBe(0);
    expect(await programFinds()).toBe(0);

    await page.click('a[href="#/access"]');
    await page.waitForSelector('[data-testid=access-entry]');
    const log = await page.textContent('[data-testid=access-log]');
    expect(log).toContain(`The system of ${program.clientId}`);
    expect(log).toContain('Reason given: cash-transfer');
    await screenshots(page, 'portal-access-log');
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});

test('a correction goes to review, and the portal reads in French', async () => {
  const { context, page, errors } = await newPage(browser, 'desktop');
  try {
    await signIn(page);
    await page.click('[data-testid=ask-correction]');
    await page.fill('[data-testid=correct-given_name]', 'Aminah');
    await screenshots(page, 'portal-correction');
    await page.click('[data-testid=send-correction]');
    await page.waitForSelector('[data-testid=correction-sent]');
    await page.click('a[href="#/requests"]');
    const request = page.locator('[data-testid=case]');
    await request.waitFor();
    expect(await request.getAttribute('data-status')).toBe('needs_review');
    const review = await h.t.get(`/api/v1/reviews/${await request.getAttribute('data-case-id')}`, { headers: h.officer });
    expect(review.body).toMatchObject({ channel: 'online', source: 'beneficiary_portal', data: { changes: { given_name: 'Aminah' } } });

    await page.selectOption('[data-testid=language]', 'fr');
    await page.click('a[href="#/"]');
    await page.waitForSelector('text=Mon ménage et mes données');
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await page.textContent('.portal-nav')).toContain('Qui a consulté mes données');
    await screenshots(page, 'portal-household-fr');
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});
