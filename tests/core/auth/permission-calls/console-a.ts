// The console's dashboard and simulation operations (openapi/hub/console-a.yaml) for the permissions matrix.
import { randomUUID } from 'node:crypto';
import type { Call } from './types.js';

export const consoleACalls: Record<string, Call> = {
  getCoverageMap: () => ({ method: 'GET', path: '/api/v1/reports/coverage-map' }),
  getProgramPolicy: () => ({ method: 'GET', path: `/api/v1/programs/${randomUUID()}/policy` }),
};
