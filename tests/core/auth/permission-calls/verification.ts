// P2's operations (openapi/hub/verification.yaml) for the permissions matrix.
import type { Call } from './types.js';

export const verificationCalls: Record<string, Call> = {
  listPersonVerifications: (f) => ({ method: 'GET', path: `/api/v1/persons/${f.personId}/verifications` }),
  listHouseholdPrograms: (f) => ({ method: 'GET', path: `/api/v1/households/${f.householdId}/programs` }),
};
