// The console's own operations (openapi/hub/console-b.yaml) for the permissions matrix.
import type { Call } from './types.js';

export const consoleBCalls: Record<string, Call> = {
  getDedupWeights: () => ({ method: 'GET', path: '/api/v1/dedup/weights' }),
};
