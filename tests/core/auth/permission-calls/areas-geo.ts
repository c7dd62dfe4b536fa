// P3's operations (openapi/hub/areas-geo.yaml) for the permissions matrix.
import type { Call } from './types.js';

export const areasGeoCalls: Record<string, Call> = {
  locateAdminArea: () => ({ method: 'GET', path: '/api/v1/admin-areas:locate?lat=-5.9&lon=38.9' }),
  listAdminAreaBoundaries: () => ({ method: 'GET', path: '/api/v1/admin-areas:boundaries' }),
  getAdminAreaBoundary: () => ({ method: 'GET', path: '/api/v1/admin-areas/P1/boundary' }),
};
