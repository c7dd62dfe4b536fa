// What every console page gets: the API client of the signed-in user, their session, the translator.
import type { Api } from '../shared/api.js';
import type { Route } from '../shared/router.js';
import type { Session } from '../shared/session.js';

export interface PageProps {
  api: Api;
  session: Session;
  route: Route;
  t: (key: string, values?: Record<string, string | number>) => string;
}

export const hasScope = (session: Session, ...scopes: string[]) => scopes.some((s) => session.scopes.includes(s));
