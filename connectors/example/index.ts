// The example connector (docs/connectors.md, written from that page only): pulls market prices from a small JSON
// API into the connector's own state, and tells the same system about newly registered households (ids and area
// codes only: no personal data leaves). A template for real connectors.
import type { Connector, Manifest } from '../framework/types.js';
import { announce, pullPrices } from './jobs.js';
import { simulator } from './simulator.js';

export const manifest: Manifest = {
  id: 'example',
  name: 'Example market prices',
  version: '1.0.0',
  kinds: ['pull', 'push'],
  description: 'Pulls food prices per market from a price-monitoring API; announces newly registered households (ids and area codes) to it.',
  configSchema: {
    type: 'object',
    required: ['baseUrl', 'apiKey'],
    additionalProperties: false,
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://[^\\s]+$', description: 'The API root, e.g. https://prices.example.org/api' },
      apiKey: { type: 'string', minLength: 8, description: 'Sent as X-Api-Key' },
      pageSize: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    },
  },
  secretKeys: ['apiKey'],
  jobs: {
    'pull-prices': {
      description: 'Pull the price observations published since the last run',
      triggers: { schedule: '0 * * * *', onDemand: true },
      personalData: false,
      timeoutMs: 120_000,
    },
    announce: {
      description: 'Announce newly registered households (id and area code)',
      triggers: { events: ['household.registered'] },
      personalData: false,
    },
  },
  concurrency: 1,
};

const connector: Connector = {
  manifest,
  jobs: { 'pull-prices': pullPrices, announce },
  simulator,
};

export default connector;
