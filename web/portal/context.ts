// What every signed-in page gets: the API client with the person's token, and the session.
import type { Api } from '../shared/api.js';
import type { PortalSession } from './session.js';

export interface PageProps {
  api: Api;
  session: PortalSession;
}
