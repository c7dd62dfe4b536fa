// Who may call an operation: the bearer token's principal (none needed for public operations), its rate limit,
// and the operation's scopes. The hub API and the DCI API both ask here, so they can never disagree.
import type { IncomingHttpHeaders } from 'node:http';
import type { Authenticator } from '../auth/authenticate.js';
import { forbidden, HubError } from './errors.js';
import type { ApiOperation } from './openapi.js';
import { OPEN_ACCESS_PRINCIPAL, type Principal } from './principal.js';
import type { RateLimiter } from './protection.js';

// what a token from a one-time password may still do
const PASSWORD_CHANGE_OPERATIONS = new Set(['getMe', 'changeMyPassword']);

export async function authorize(
  deps: { authenticate: Authenticator; limiter: RateLimiter },
  operation: ApiOperation,
  headers: IncomingHttpHeaders,
): Promise<Principal> {
  if (operation.scopes === null) return OPEN_ACCESS_PRINCIPAL;
  const principal = await deps.authenticate(headers);
  await deps.limiter.check('principal', principal.id);
  requireScopes(operation, principal);
  return principal;
}

function requireScopes(operation: ApiOperation, principal: Principal): void {
  if (principal.passwordChangeRequired && !PASSWORD_CHANGE_OPERATIONS.has(operation.operationId)) {
    throw new HubError(403, 'auth.password_change_required', 'Change your one-time password first (POST /api/v1/me/password), then sign in again.');
  }
  const missing = (operation.scopes ?? []).filter((scope) => !principal.scopes.has(scope));
  if (missing.length) throw forbidden(`This operation needs the scope ${missing.join(', ')}.`);
}
