// Roles: named sets of scopes. Built-in roles cover the people of a social registry; administrators add others.
import type { Db } from '../db/index.js';
import { conflict, HubError, notFound, unprocessable } from '../server/errors.js';
import { ALL_SCOPES } from '../server/principal.js';

export interface Role {
  name: string;
  description: string;
  scopes: string[];
  builtin: boolean;
}

const COLUMNS = 'name, description, scopes, builtin';

export async function listRoles(db: Db): Promise<Role[]> {
  return db.query<Role>(`select ${COLUMNS} from role order by builtin desc, name`);
}

export async function getRole(db: Db, name: string): Promise<Role> {
  const [role] = await db.query<Role>(`select ${COLUMNS} from role where name = $1`, [name]);
  if (!role) throw notFound('role');
  return role;
}

function checkScopes(scopes: string[]): void {
  const unknown = scopes.filter((s) => !(ALL_SCOPES as readonly string[]).includes(s));
  if (unknown.length) {
    throw unprocessable('role.invalid', [{ field: 'body.scopes', message: `unknown scope(s) ${unknown.join(', ')}; known: ${ALL_SCOPES.join(', ')}` }], 'The role names unknown scopes.');
  }
}

export async function createRole(db: Db, input: { name: string; description: string; scopes: string[] }): Promise<Role> {
  checkScopes(input.scopes);
  const [role] = await db.query<Role>(
    `insert into role (name, description, scopes) values ($1, $2, $3) on conflict (name) do nothing returning ${COLUMNS}`,
    [input.name, input.description, [...new Set(input.scopes)]],
  );
  if (!role) throw conflict('role.exists', `The role ${input.name} exists already.`, { errors: [{ field: 'body.name', message: 'is taken' }] });
  return role;
}

export async function updateRole(db: Db, name: string, input: { description?: string; scopes?: string[] }): Promise<Role> {
  const role = await getRole(db, name);
  if (role.builtin) throw new HubError(409, 'role.builtin', 'Built-in roles cannot be changed; create a new role instead.');
  if (input.scopes) checkScopes(input.scopes);
  const [updated] = await db.query<Role>(
    `update role set description = coalesce($2, description), scopes = coalesce($3, scopes), updated_at = now()
     where name = $1 returning ${COLUMNS}`,
    [name, input.description ?? null, input.scopes ? [...new Set(input.scopes)] : null],
  );
  return updated;
}

/** The union of the scopes of these roles; roles that do not exist are reported as errors at `field`. */
export async function scopesOf(db: Db, roles: string[], field = 'body.roles'): Promise<string[]> {
  const rows = await db.query<Role>(`select ${COLUMNS} from role where name = any($1::text[])`, [roles]);
  const missing = roles.filter((r) => !rows.some((row) => row.name === r));
  if (missing.length) throw unprocessable('role.unknown', [{ field, message: `unknown role(s) ${missing.join(', ')}` }], 'Unknown roles.');
  return [...new Set(rows.flatMap((r) => r.scopes))].sort();
}

/** Area codes given to a user or client must exist. */
export async function checkAreas(db: Db, areas: string[] | null | undefined, field = 'body.areas'): Promise<void> {
  if (!areas || areas.length === 0) return;
  const rows = await db.query<{ code: string }>('select code from admin_area where code = any($1::text[])', [areas]);
  const missing = areas.filter((a) => !rows.some((r) => r.code === a));
  if (missing.length) throw unprocessable('area.unknown', [{ field, message: `unknown admin area(s) ${missing.join(', ')}` }], 'Unknown admin areas.');
}
