// Program management connector: pushes each configured program's eligible households to the program's management
// system (a REST enrolment API), with only the data the members' consents let the program receive, and pulls
// enrolment statuses back into the household's program participation (core/participation).
import type { Connector } from '../framework/types.js';
import { configSchema, SECRET_KEYS } from './config.js';
import { pullJob } from './pull.js';
import { pushJob } from './push.js';
import { programMisSimulator } from './simulator.js';

const connector: Connector = {
  manifest: {
    id: 'program-mis',
    name: 'Program management (MIS)',
    version: '1.0.0',
    kinds: ['push', 'pull'],
    description: 'Enrols eligible households in programs run by a program management system and records their enrolment status.',
    configSchema,
    secretKeys: SECRET_KEYS,
    jobs: {
      push: {
        description: 'Send the eligible households of each configured program that are not enrolled yet.',
        triggers: { schedule: '0 2 * * *', events: ['household.eligibility_changed'], onDemand: true },
        timeoutMs: 30 * 60_000,
        personalData: true,
      },
      pull: {
        description: 'Fetch enrolment statuses changed since the last pull and record them on the households.',
        triggers: { schedule: '*/15 * * * *', onDemand: true },
        timeoutMs: 30 * 60_000,
        personalData: false,
      },
    },
  },
  jobs: { push: pushJob, pull: pullJob },
  simulator: programMisSimulator,
};

export default connector;
