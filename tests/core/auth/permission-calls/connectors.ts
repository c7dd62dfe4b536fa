// P1's operations (openapi/hub/connectors.yaml) for the permissions matrix. The example connector is always loaded;
// requests are harmless (a run id that does not exist, a configuration that fails validation).
import type { Call } from './types.js';

const NO_RUN = '01900000-0000-7000-8000-000000000000';

export const connectorsCalls: Record<string, Call> = {
  listConnectors: () => ({ method: 'GET', path: '/api/v1/connectors' }),
  getConnector: () => ({ method: 'GET', path: '/api/v1/connectors/example' }),
  putConnectorConfiguration: () => ({ method: 'PUT', path: '/api/v1/connectors/example/configuration', body: { configuration: { baseUrl: 'not a url' } } }),
  enableConnector: () => ({ method: 'POST', path: '/api/v1/connectors/example/enable' }),
  disableConnector: () => ({ method: 'POST', path: '/api/v1/connectors/example/disable' }),
  getConnectorHealth: () => ({ method: 'GET', path: '/api/v1/connectors/example/health' }),
  listConnectorRuns: () => ({ method: 'GET', path: '/api/v1/connectors/example/runs' }),
  startConnectorRun: () => ({ method: 'POST', path: '/api/v1/connectors/example/runs', body: { job: 'pull-prices' } }),
  getConnectorRun: () => ({ method: 'GET', path: `/api/v1/connectors/example/runs/${NO_RUN}` }),
  rerunConnectorRun: () => ({ method: 'POST', path: `/api/v1/connectors/example/runs/${NO_RUN}/rerun` }),
};
