// Administration of users, clients and roles, the caller's own account, and the published signing keys.
import { auditEntries } from '../audit/entry.js';
import type { Bus } from '../cache/index.js';
import type { Db } from '../db/index.js';
import type { Ctx } from '../server/context.js';
import type { KeyStore } from '../keys/key-store.js';
import { PRINCIPAL_CHANGED, ROLES_CHANGED } from './authenticate.js';
import { HubError, invalid } from '../server/errors.js';
import type { Handlers } from '../server/handlers.js';
import { createClient, getClient, listClients, rotateClientSecret, updateClient } from './clients.js';
import { createRole, getRole, listRoles, updateRole } from './roles.js';
import { verifySecret } from './secrets-hash.js';
import { createUser, listUsers, resetPassword, setPassword, toUser, updateUser, userById, userByName } from './users.js';

const MIN_PASSWORD_LENGTH = 12;

/** Runs an administrative change and records it in the audit log, in one transaction. */
export async function audited<T>(ctx: Ctx, entity: string, fields: string[], change: (tx: Db) => Promise<T>, entityId: (result: T) => string): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    const result = await change(tx);
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity, entityId: entityId(result), fields }]));
    return result;
  });
}

export function authRoutes(keys: KeyStore, bus: Bus): Handlers {
  const changed = (sub: string) => bus.publish(PRINCIPAL_CHANGED, sub);
  const rolesChanged = (name: string) => bus.publish(ROLES_CHANGED, name);
  return {
    getJwks: async (_ctx, _req, res) => {
      res.set('Cache-Control', 'public, max-age=300').json(await keys.jwks());
    },

    listUsers: async (ctx, _req, res) => {
      res.json({ items: await listUsers(ctx.db) });
    },
    createUser: async (ctx, req, res) => {
      const { user, oneTimePassword } = await audited(ctx, 'user', Object.keys(req.body).filter((k) => k !== 'password'), (tx) =>
        createUser(tx, req.body, ctx.principal.id), (r) => r.user.id);
      res.status(201).json({ ...user, ...(oneTimePassword ? { one_time_password: oneTimePassword } : {}) });
    },
    getUser: async (ctx, req, res) => {
      res.json(toUser(await userById(ctx.db, req.params.id)));
    },
    updateUser: async (ctx, req, res) => {
      const user = await audited(ctx, 'user', Object.keys(req.body), (tx) => updateUser(tx, req.params.id, req.body), (u) => u.id);
      await changed(`user:${user.username}`);
      res.json(user);
    },
    resetUserPassword: async (ctx, req, res) => {
      const password = await audited(ctx, 'user', ['password'], (tx) => resetPassword(tx, req.params.id), () => req.params.id);
      await changed(`user:${(await userById(ctx.db, req.params.id)).username}`);
      res.json({ one_time_password: password });
    },

    listClients: async (ctx, _req, res) => {
      res.json({ items: await listClients(ctx.db) });
    },
    createClient: async (ctx, req, res) => {
      const { client, clientSecret } = await audited(ctx, 'client', Object.keys(req.body), (tx) =>
        createClient(tx, req.body, ctx.principal.id), (r) => r.client.client_id);
      res.status(201).json({ ...client, ...(clientSecret ? { client_secret: clientSecret } : {}) });
    },
    getClient: async (ctx, req, res) => {
      res.json(await getClient(ctx.db, req.params.clientId));
    },
    updateClient: async (ctx, req, res) => {
      const client = await audited(ctx, 'client', Object.keys(req.body), (tx) => updateClient(tx, req.params.clientId, req.body), (c) => c.client_id);
      await changed(`client:${client.client_id}`);
      res.json(client);
    },
    rotateClientSecret: async (ctx, req, res) => {
      const secret = await audited(ctx, 'client', ['client_secret'], (tx) => rotateClientSecret(tx, req.params.clientId), () => req.params.clientId);
      await changed(`client:${req.params.clientId}`);
      res.json({ client_id: req.params.clientId, client_secret: secret });
    },

    listRoles: async (ctx, _req, res) => {
      res.json({ items: await listRoles(ctx.db) });
    },
    createRole: async (ctx, req, res) => {
      const role = await audited(ctx, 'role', Object.keys(req.body), (tx) => createRole(tx, req.body), (r) => r.name);
      await rolesChanged(role.name);
      res.status(201).json(role);
    },
    getRole: async (ctx, req, res) => {
      res.json(await getRole(ctx.db, req.params.name));
    },
    updateRole: async (ctx, req, res) => {
      const role = await audited(ctx, 'role', Object.keys(req.body), (tx) => updateRole(tx, req.params.name, req.body), (r) => r.name);
      // tokens of trusted issuers carry role names: every instance must see the new scopes from the next request
      await rolesChanged(role.name);
      res.json(role);
    },

    getMe: async (ctx, _req, res) => {
      res.json({
        id: ctx.principal.id,
        kind: ctx.principal.kind,
        scopes: [...ctx.principal.scopes].sort(),
        areas: ctx.principal.areas,
        password_change_required: ctx.principal.passwordChangeRequired ?? false,
      });
    },
    changeMyPassword: async (ctx, req, res) => {
      if (!ctx.principal.id.startsWith('user:')) throw new HubError(409, 'auth.not_a_user', 'Only people who sign in with a password have one to change.');
      const user = await userByName(ctx.db, ctx.principal.id.slice('user:'.length));
      if (!user || !(await verifySecret(req.body.current_password, user.password_hash))) {
        throw invalid([{ field: 'body.current_password', message: 'is not your current password' }], 'The current password is wrong.');
      }
      const next: string = req.body.new_password;
      if (next.length < MIN_PASSWORD_LENGTH || next === req.body.current_password) {
        throw invalid([{ field: 'body.new_password', message: `must have at least ${MIN_PASSWORD_LENGTH} characters and differ from the current one` }]);
      }
      await audited(ctx, 'user', ['password'], (tx) => setPassword(tx, user.id, next), () => user.id);
      await changed(`user:${user.username}`); // the tokens issued before are revoked on every instance
      res.status(204).end();
    },
  };
}
