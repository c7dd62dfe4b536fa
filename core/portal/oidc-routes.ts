// Handlers of "sign in with National ID" (openapi/hub/portal-oidc.yaml).
import type { Handlers, ApiRequest } from '../server/handlers.js';
import type { Ctx } from '../server/context.js';
import { personFromOidc, portalOidcInfo } from './oidc.js';
import { issuePersonSession } from './session.js';

/** The hub's own address as the browser sees it (SRHUB_PUBLIC_URL behind a proxy). */
const hubUrl = (ctx: Ctx, req: ApiRequest) => ctx.config.publicUrl ?? `http://${req.header('host')}`;

export const portalOidcRoutes: Handlers = {
  getPortalOidc: async (ctx, req, res) => {
    res.set('Cache-Control', 'no-store').json(await portalOidcInfo(ctx, hubUrl(ctx, req)));
  },
  createPortalOidcSession: async (ctx, req, res) => {
    const personId = await personFromOidc(ctx, hubUrl(ctx, req), req.body);
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(await issuePersonSession(ctx, personId, 'oidc'));
  },
};
