// Shared by the console's browser tests: users who sign in with a password (the console's sign-in), signing in,
// moving between pages, and numbers as the console writes them.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { createUser } from '../../core/auth/users.js';
import type { TestHub } from '../helpers/test-hub.js';

export interface StaffAccount {
  username: string;
  password: string;
}

/** A user created through the API with a known password (hub.as users have none a browser could type). */
export async function userWithPassword(t: TestHub, admin: Record<string, string>, username: string, roles: string[], areas?: string[]): Promise<{ username: string; password: string }> {
  const password = `${username}-password-1`;
  const res = await t.post('/api/v1/users', { username, roles, password, ...(areas ? { areas } : {}) }, { headers: admin });
  if (res.status !== 201) throw new Error(`user ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return { username, password };
}

/** A user of these roles and areas made straight in the database, with a password (no one-time password to change). */
export async function staffAccount(t: TestHub, roles: string[], areas: string[] | null = null): Promise<StaffAccount> {
  const account = { username: `staff-${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('hex') };
  await createUser(t.hub.db, { ...account, roles, areas }, 'test');
  return account;
}

/** Opens the console (at `hash`) and signs in through its form; resolves once the signed-in header shows. */
export async function signIn(page: Page, url: string, user: StaffAccount, hash = ''): Promise<void> {
  await page.goto(`${url}/console/${hash}`);
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

/** The number as the console writes it in English (the browser's default language in the tests). */
export const shown = (n: number) => new Intl.NumberFormat('en').format(n);
