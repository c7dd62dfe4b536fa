// P7's operations (openapi/hub/assessment.yaml, programs.yaml, simulations.yaml) for the permissions matrix. Ids that
// do not exist and bodies that fail validation keep the requests harmless (404, 422).
import { randomUUID } from 'node:crypto';
import type { Call } from './types.js';

const definition = { intercept: 1, indicators: [{ name: 'size', feature: 'household_size', weight: -0.5 }] };
const fresh = () => `p${randomUUID().slice(0, 8)}`;

export const assessmentCalls: Record<string, Call> = {
  listAssessmentFeatures: () => ({ method: 'GET', path: '/api/v1/assessment-features' }),
  listAssessmentModels: () => ({ method: 'GET', path: '/api/v1/assessment-models' }),
  createAssessmentModel: () => ({ method: 'POST', path: '/api/v1/assessment-models', body: { code: fresh(), name: 'M', definition } }),
  getAssessmentModel: () => ({ method: 'GET', path: `/api/v1/assessment-models/${randomUUID()}` }),
  createAssessmentModelVersion: () => ({ method: 'POST', path: `/api/v1/assessment-models/${randomUUID()}/versions`, body: {} }),
  updateAssessmentModelVersion: () => ({ method: 'PUT', path: `/api/v1/assessment-models/${randomUUID()}/versions/1`, body: { definition } }),
  publishAssessmentModelVersion: () => ({ method: 'POST', path: `/api/v1/assessment-models/${randomUUID()}/versions/1/publish` }),
  listPrograms: () => ({ method: 'GET', path: '/api/v1/programs' }),
  createProgram: () => ({ method: 'POST', path: '/api/v1/programs', body: { code: fresh(), name: 'P', rules: [{ name: 'r', expression: 'children >' }] } }),
  getProgram: () => ({ method: 'GET', path: `/api/v1/programs/${randomUUID()}` }),
  updateProgram: () => ({ method: 'PATCH', path: `/api/v1/programs/${randomUUID()}`, body: { name: 'x' }, ifMatch: 999 }),
  activateProgram: () => ({ method: 'POST', path: `/api/v1/programs/${randomUUID()}/activate` }),
  closeProgram: () => ({ method: 'POST', path: `/api/v1/programs/${randomUUID()}/close` }),
  listEligibleHouseholds: () => ({ method: 'GET', path: `/api/v1/programs/${randomUUID()}/eligible` }),
  getHouseholdEligibility: (f) => ({ method: 'GET', path: `/api/v1/households/${f.householdId}/eligibility` }),
  runSimulation: () => ({ method: 'POST', path: '/api/v1/simulations', body: { name: 's', program_id: randomUUID(), scenario: {} } }),
  listSimulations: () => ({ method: 'GET', path: '/api/v1/simulations' }),
  getSimulation: () => ({ method: 'GET', path: `/api/v1/simulations/${randomUUID()}` }),
  listSimulationChanges: () => ({ method: 'GET', path: `/api/v1/simulations/${randomUUID()}/changes` }),
  compareSimulations: () => ({ method: 'GET', path: `/api/v1/simulations/compare?a=${randomUUID()}&b=${randomUUID()}` }),
  listProgramSystems: () => ({ method: 'GET', path: `/api/v1/programs/${randomUUID()}/systems` }),
  addProgramSystem: () => ({ method: 'PUT', path: `/api/v1/programs/${randomUUID()}/systems/no-such-client` }),
  removeProgramSystem: () => ({ method: 'DELETE', path: `/api/v1/programs/${randomUUID()}/systems/no-such-client` }),
};
