// Shared by the console's browser tests: users who sign in with a password (the console's sign-in), and signing in.
import type { Page } from 'playwright-core';
import type { TestHub } from '../helpers/test-hub.js';

/** A user created through the API with a known password (hub.as users have none a browser could type). */
export async function userWithPassword(t: TestHub, admin: Record<string, string>, username: string, roles: string[], areas?: string[]): Promise<{ username: string; password: string }> {
  const password = `${username}-password-1`;
  const res = await t.post('/api/v1/users', { username, roles, password, ...(areas ? { areas } : {}) }, { headers: admin });
  if (res.status !== 201) throw new Error(`user ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return { username, password };
}

export async function signIn(page: Page, url: string, user: { username: string; password: string }): Promise<void> {
  await page.goto(`${url}/console/`);
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await page.click('form button[type="submit"]');
  await page.waitForSelector('[data-testid="signed-in-user"]');
}

/** Opens a console route and waits for the page's heading. */
export async function open(page: Page, route: string): Promise<void> {
  await page.evaluate((hash) => (location.hash = hash), `#/${route}`);
  await page.waitForSelector('main h1');
}

/** The console's navigation labels (English). */
export async function navLabels(page: Page): Promise<string[]> {
  return page.$$eval('nav.app-nav a', (links) => links.map((a) => a.textContent ?? ''));
}

/** Asks for the console's bundle, which the hub builds on first use, while the test sets up its data. */
export function warmConsole(url: string): Promise<unknown> {
  return fetch(`${url}/web/console.js`).then((res) => res.arrayBuffer());
}
