// Shared steps of the console's browser tests: a staff account with a known password, signed in through the form.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { createUser } from '../../core/auth/users.js';
import type { TestHub } from '../helpers/test-hub.js';

export interface StaffAccount {
  username: string;
  password: string;
}

/** A user of these roles and areas who signs in with a password (no one-time password to change). */
export async function staffAccount(t: TestHub, roles: string[], areas: string[] | null = null): Promise<StaffAccount> {
  const account = { username: `staff-${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('hex') };
  await createUser(t.hub.db, { ...account, roles, areas }, 'test');
  return account;
}

/** Opens the console and signs in through its form; resolves once the navigation of a signed-in user shows. */
export async function signIn(page: Page, t: TestHub, account: StaffAccount, hash = ''): Promise<void> {
  await page.goto(`${t.url}/console/${hash}`);
  await page.fill('#username', account.username);
  await page.fill('#password', account.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=signed-in-user]');
}

/** The number as the console writes it in English (the browser's default language in the tests). */
export const shown = (n: number) => new Intl.NumberFormat('en').format(n);
