// P6's operations (openapi/hub/dedup.yaml) for the permissions matrix.
import { randomUUID } from 'node:crypto';
import type { Call } from './types.js';

export const dedupCalls: Record<string, Call> = {
  listDuplicatePairs: () => ({ method: 'GET', path: '/api/v1/dedup/pairs' }),
  getDuplicatePair: () => ({ method: 'GET', path: `/api/v1/dedup/pairs/${randomUUID()}` }),
  mergeDuplicatePair: (f) => ({ method: 'POST', path: `/api/v1/dedup/pairs/${randomUUID()}/merge`, body: { survivor_id: f.personId } }),
  markDuplicatePairDistinct: () => ({ method: 'POST', path: `/api/v1/dedup/pairs/${randomUUID()}/distinct`, body: {} }),
  getDedupSettings: () => ({ method: 'GET', path: '/api/v1/dedup/settings' }),
  updateDedupSettings: () => ({ method: 'PUT', path: '/api/v1/dedup/settings', body: {}, ifMatch: 999 }),
  startDedupRun: () => ({ method: 'POST', path: '/api/v1/dedup/runs' }),
  getDedupRun: () => ({ method: 'GET', path: `/api/v1/dedup/runs/${randomUUID()}` }),
};
