// Turns a request into a principal. Until bearer tokens exist (the security issue), the API is open only
// when SRHUB_AUTH=off was set explicitly; otherwise every protected operation answers 401.
import type { Config } from '../config.js';
import { unauthorized } from '../server/errors.js';
import { OPEN_ACCESS_PRINCIPAL, type Principal } from '../server/principal.js';

export type Authenticator = (headers: Record<string, string | string[] | undefined>) => Promise<Principal>;

export function createAuthenticator(config: Pick<Config, 'auth'>): Authenticator {
  if (config.auth === 'off') return async () => OPEN_ACCESS_PRINCIPAL;
  return async () => {
    throw unauthorized('This hub does not accept bearer tokens yet; start it with SRHUB_AUTH=off for development.');
  };
}
