// National ID connector: verifies people's identities against the national ID system (MOSIP-style ID Authentication
// or a DCI ID/CRVS search), as a registration check ('id-verification'), when people are registered or their
// identifiers change, and on demand. Results are verification records (core/verification).
import type { Connector } from '../framework/types.js';
import { configSchema, SECRET_KEYS } from './config.js';
import { nationalIdSimulator } from './simulator.js';
import { verifyJob } from './verify.js';

const connector: Connector = {
  manifest: {
    id: 'national-id',
    name: 'National ID',
    version: '1.0.0',
    kinds: ['verify', 'pull'],
    description:
      'Checks that a person\'s national ID number, name and birth date belong together (MOSIP-style demographic authentication, ' +
      'with eKYC attributes where consent allows, or a DCI ID/CRVS registry search) and records the result on the person.',
    configSchema,
    secretKeys: SECRET_KEYS,
    jobs: {
      verify: {
        description: 'Verify the identities of a registration case\'s members, of persons registered or changed, or of the persons named ({"personIds": [...]}).',
        triggers: { events: ['person.registered', 'person.updated'], onDemand: true },
        timeoutMs: 120_000,
        personalData: true,
      },
    },
    checks: { 'id-verification': 'verify' },
    concurrency: 2,
  },
  jobs: { verify: verifyJob },
  simulator: nationalIdSimulator,
};

export default connector;
