// The civil registry connector (pull, FHIR R4): deaths and births registered in a civil registration system
// (OpenCRVS-style: Patient.deceasedDateTime, birth registrations as document Bundles) pulled since the last cursor,
// matched to registry persons (identifier, else the dedup matcher) and applied: a death marks the person deceased and
// ends the membership; a birth proposes the child as a new household member for review. See README (Connectors).
import type { Connector } from '../framework/types.js';
import { DEFAULTS, pullJob } from './pull.js';
import { startFhirSimulator } from './simulator.js';

const connector: Connector = {
  manifest: {
    id: 'civil-registry',
    name: 'Civil registry (FHIR R4)',
    version: '1.0.0',
    kinds: ['pull'],
    description:
      'Pulls deaths (Patient with deceasedDateTime) and births (document Bundles with a birth-registration Composition) ' +
      'from a FHIR R4 civil registration system such as OpenCRVS; applies deaths of matched persons and proposes births ' +
      'as new household members for review.',
    configSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['baseUrl'],
      properties: {
        baseUrl: { type: 'string', pattern: '^https?://', description: 'The FHIR R4 base URL' },
        bearerToken: { type: 'string', minLength: 1, description: 'Sent as Authorization: Bearer (secret)' },
        system: { type: 'string', minLength: 1, maxLength: 100, description: 'The source system name in the hub (default: the host)' },
        pageSize: { type: 'integer', minimum: 1, maximum: 1000, default: DEFAULTS.pageSize },
        maxRecordsPerRun: { type: 'integer', minimum: 1, maximum: 100_000, default: DEFAULTS.maxRecordsPerRun },
        deaths: { type: 'boolean', default: DEFAULTS.deaths },
        births: { type: 'boolean', default: DEFAULTS.births },
        since: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}', description: 'Where the first pull starts (a date or instant)' },
        identifierSystems: {
          type: 'object',
          description: 'FHIR identifier system URI -> hub identifier type (UIN, BRN, ...); added to the OpenCRVS defaults',
          additionalProperties: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{1,31}$' },
        },
      },
    },
    secretKeys: ['bearerToken'],
    jobs: {
      pull: {
        description: 'Deaths and births updated since the cursor, applied (deaths of matched persons) or proposed for review (births, possible matches).',
        triggers: { schedule: '*/15 * * * *', onDemand: true },
        timeoutMs: 15 * 60_000,
        personalData: true,
      },
    },
    concurrency: 1,
  },
  jobs: { pull: pullJob },
  simulator: {
    start: (opts) => startFhirSimulator(opts),
    demoConfiguration: (url) => ({ baseUrl: url, system: 'crvs-simulator' }),
  },
};

export default connector;
