// The first accounts: an administrator on a hub without users, and in demo mode a documented set of demo accounts.
import type { Db } from '../db/index.js';
import { createClient, clientById } from './clients.js';
import { hashSecret } from './secrets-hash.js';
import { createUser, userByName } from './users.js';

const BOOTSTRAP_LOCK = 7316404;

/** On a hub without any user, creates `admin` with a one-time password and returns it (to be shown once). */
export async function ensureAdministrator(db: Db): Promise<{ username: string; password: string } | null> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
    const [{ n }] = await tx.query<{ n: number }>('select count(*) as n from app_user');
    if (n > 0) return null;
    const { oneTimePassword } = await createUser(tx, { username: 'admin', display_name: 'Administrator', roles: ['administrator'] }, 'system');
    return { username: 'admin', password: oneTimePassword! };
  });
}

/** Demo accounts, documented in the README; their passwords are public, so they exist only in demo mode. */
export const DEMO_USERS = [
  { username: 'admin', roles: ['administrator'], areas: null },
  { username: 'officer', roles: ['registry_officer'], areas: null },
  { username: 'field', roles: ['field_worker'], areas: ['AM-R1-D1'] },
  { username: 'program', roles: ['program_officer'], areas: null },
  { username: 'policy', roles: ['policymaker'], areas: null },
  { username: 'auditor', roles: ['auditor'], areas: null },
] as const;
export const demoPassword = (username: string) => `demo-${username}-password`;
export const DEMO_CLIENT = { client_id: 'demo-spmis', secret: 'demo-spmis-client-secret' };

export async function seedDemoAccounts(db: Db): Promise<number> {
  let created = 0;
  for (const user of DEMO_USERS) {
    if (await userByName(db, user.username)) continue;
    await createUser(db, { username: user.username, roles: [...user.roles], areas: user.areas ? [...user.areas] : null, password: demoPassword(user.username) }, 'demo');
    created += 1;
  }
  if (!(await clientById(db, DEMO_CLIENT.client_id))) {
    await createClient(db, { client_id: DEMO_CLIENT.client_id, name: 'Demo program management system', roles: ['dci_client', 'program_officer'] }, 'demo');
    // the demo client's secret is fixed so the README can show a working token request
    await db.query('update api_client set secret_hash = $2 where client_id = $1', [DEMO_CLIENT.client_id, await hashSecret(DEMO_CLIENT.secret)]);
    created += 1;
  }
  return created;
}
