// "Sign in with National ID" (openapi/hub/portal-oidc.yaml) for the permissions matrix: both operations are public.
import type { Call } from './types.js';

export const portalOidcCalls: Record<string, Call> = {
  getPortalOidc: () => ({ method: 'GET', path: '/api/v1/portal/oidc' }),
  createPortalOidcSession: () => ({
    method: 'POST',
    path: '/api/v1/portal/oidc/session',
    body: { code: 'abc', code_verifier: 'a'.repeat(43), redirect_uri: 'http://127.0.0.1/portal/', nonce: 'n'.repeat(16) },
  }),
};
