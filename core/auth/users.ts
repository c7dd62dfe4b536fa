// People who sign in: administrators, officers, field workers, policymakers, auditors.
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import { conflict, notFound } from '../server/errors.js';
import { checkAreas, scopesOf } from './roles.js';
import { revokesTokens } from './revocation.js';
import { hashSecret, newSecret } from './secrets-hash.js';

export interface User {
  id: string;
  username: string;
  display_name: string | null;
  roles: string[];
  areas: string[] | null;
  must_change_password: boolean;
  disabled: boolean;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface UserRow extends Omit<User, 'disabled' | 'created_at' | 'updated_at'> {
  password_hash: string;
  disabled_at: Date | null;
  token_epoch: number;
  created_at: Date;
  updated_at: Date;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    roles: row.roles,
    areas: row.areas,
    must_change_password: row.must_change_password,
    disabled: row.disabled_at !== null,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export interface NewUser {
  username: string;
  display_name?: string;
  roles: string[];
  areas?: string[] | null;
  /** Without one, the hub makes a one-time password that must be changed at first sign-in. */
  password?: string;
}

/** Creates a user; returns the one-time password when the hub made it (shown once, never stored in clear). */
export async function createUser(db: Db, input: NewUser, createdBy: string): Promise<{ user: User; oneTimePassword?: string }> {
  await scopesOf(db, input.roles);
  await checkAreas(db, input.areas);
  const oneTimePassword = input.password ? undefined : newSecret(12);
  const [row] = await db.query<UserRow>(
    `insert into app_user (id, username, display_name, password_hash, roles, areas, must_change_password, created_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (username) do nothing returning *`,
    [uuidv7(), input.username.toLowerCase(), input.display_name ?? null, await hashSecret(input.password ?? oneTimePassword!),
      input.roles, input.areas ?? null, !input.password, createdBy],
  );
  if (!row) throw conflict('user.exists', `The username ${input.username} is taken.`, { errors: [{ field: 'body.username', message: 'is taken' }] });
  return { user: toUser(row), oneTimePassword };
}

export async function listUsers(db: Db): Promise<User[]> {
  return (await db.query<UserRow>('select * from app_user order by username')).map(toUser);
}

export async function userById(db: Db, id: string): Promise<UserRow> {
  const [row] = await db.query<UserRow>('select * from app_user where id = $1', [id]);
  if (!row) throw notFound('user');
  return row;
}

export async function userByName(db: Db, username: string): Promise<UserRow | undefined> {
  const [row] = await db.query<UserRow>('select * from app_user where username = $1', [username.toLowerCase()]);
  return row;
}

export async function updateUser(
  db: Db,
  id: string,
  input: { display_name?: string | null; roles?: string[]; areas?: string[] | null; disabled?: boolean },
): Promise<User> {
  const current = await userById(db, id);
  if (input.roles) await scopesOf(db, input.roles);
  if (input.areas) await checkAreas(db, input.areas);
  const [row] = await db.query<UserRow>(
    `update app_user set
       display_name = case when $2 then $3 else display_name end,
       roles = coalesce($4, roles),
       areas = case when $5 then $6 else areas end,
       disabled_at = case when $7::boolean is null then disabled_at when $7 then coalesce(disabled_at, now()) else null end,
       token_epoch = token_epoch + case when $8 then 1 else 0 end,
       updated_at = now()
     where id = $1 returning *`,
    [id, 'display_name' in input, input.display_name ?? null, input.roles ?? null, 'areas' in input, input.areas ?? null, input.disabled ?? null,
      revokesTokens(current, input)],
  );
  return toUser(row);
}

/** Sets a new one-time password (an administrator's reset); the user must change it at the next sign-in, and every token issued before stops. */
export async function resetPassword(db: Db, id: string): Promise<string> {
  await userById(db, id);
  const password = newSecret(12);
  await db.query('update app_user set password_hash = $2, must_change_password = true, token_epoch = token_epoch + 1, updated_at = now() where id = $1', [id, await hashSecret(password)]);
  return password;
}

/** The user's own change: tokens issued before it stop (a stolen token does not outlive the password it came with). */
export async function setPassword(db: Db, id: string, password: string): Promise<void> {
  await db.query('update app_user set password_hash = $2, must_change_password = false, token_epoch = token_epoch + 1, updated_at = now() where id = $1', [id, await hashSecret(password)]);
}
