// Administration of a client's DCI settings: GET/PUT /api/v1/clients/{clientId}/dci (scope users.manage).
import { audited } from '../auth/routes.js';
import type { Handlers } from '../server/handlers.js';
import { getDciSettings, jwksCacheKey, putDciSettings } from './client-settings.js';

export const dciClientRoutes: Handlers = {
  getClientDci: async (ctx, req, res) => {
    res.json(await getDciSettings(ctx.db, req.params.clientId));
  },
  putClientDci: async (ctx, req, res) => {
    const settings = await audited(ctx, 'client', fieldsOf(req.body), (tx) =>
      putDciSettings(tx, ctx.config, req.params.clientId, req.body, ctx.principal.id), (s) => s.client_id);
    // the next signature check reads the keys afresh, even from an unchanged jwks_uri
    if (settings.jwks_uri) await ctx.cache.del(jwksCacheKey(settings.client_id, settings.jwks_uri));
    res.json(settings);
  },
};

/** The audit entry names the settings sent (never their values). */
function fieldsOf(body: Record<string, unknown>): string[] {
  const keys = Object.keys(body);
  return keys.length ? keys.map((k) => `dci.${k}`) : ['dci'];
}
