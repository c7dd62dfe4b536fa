// Beneficiary accounts: a user with the built-in role `beneficiary` (scope consent.self) linked to a person, whose
// principal then carries `subject` = that person (core/auth/authenticate.ts). Officers create them; the person signs
// in with the password (a one-time one when none is given). The portal's one-time-code and national ID sign-ins give a
// person-scoped token with the same role instead (core/portal/session.ts).
import { auditEntries } from '../core/audit/entry.js';
import { createUser } from '../core/auth/users.js';
import { personStore } from '../core/registry/persons/store.js';
import { scopeParam } from '../core/registry/scope.js';
import type { Ctx } from '../core/server/context.js';
import { notFound } from '../core/server/errors.js';

export interface BeneficiaryAccount {
  user_id: string;
  username: string;
  person_id: string;
  one_time_password?: string;
}

export async function createBeneficiaryAccount(ctx: Ctx, input: { username: string; person_id: string; password?: string }): Promise<BeneficiaryAccount> {
  return ctx.db.transaction(async (tx) => {
    if (!(await personStore.byId(tx, input.person_id, scopeParam(ctx.principal)))) throw notFound('person');
    const { user, oneTimePassword } = await createUser(tx, { username: input.username, roles: ['beneficiary'], password: input.password }, ctx.principal.id);
    await tx.query('update app_user set person_id = $2 where id = $1', [user.id, input.person_id]);
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity: 'user', entityId: user.id, subjectPersonId: input.person_id, fields: ['username', 'roles', 'person_id'] }]));
    return { user_id: user.id, username: user.username, person_id: input.person_id, ...(oneTimePassword ? { one_time_password: oneTimePassword } : {}) };
  });
}
