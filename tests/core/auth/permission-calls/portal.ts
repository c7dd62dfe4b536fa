// The beneficiary portal's operations (openapi/hub/portal.yaml) for the permissions matrix. No built-in staff role
// holds registry.self or registration.apply: a person-scoped token is the only way in (tests/core/portal).
import { randomUUID } from 'node:crypto';
import type { Call } from './types.js';

export const portalCalls: Record<string, Call> = {
  requestPortalCode: () => ({ method: 'POST', path: '/api/v1/portal/otp', body: { phone: '+254700000001' } }),
  createPortalSession: () => ({ method: 'POST', path: '/api/v1/portal/session', body: { challenge_id: randomUUID(), code: '000000' } }),
  getMyRecord: () => ({ method: 'GET', path: '/api/v1/me/record' }),
  requestMyCorrection: () => ({ method: 'POST', path: '/api/v1/me/change-requests', body: { kind: 'update_person', changes: { phone: '+254700000002' } } }),
  listMyRequests: () => ({ method: 'GET', path: '/api/v1/me/change-requests' }),
  getMyAccessLog: () => ({ method: 'GET', path: '/api/v1/me/access-log' }),
  getPortalRegistrationForm: () => ({ method: 'GET', path: '/api/v1/portal/registration-form' }),
  submitPortalRegistration: () => ({ method: 'POST', path: '/api/v1/portal/registrations', body: { household: { area_code: 'P1', members: [] }, form: { id: 'household-socioeconomic', version: 1 } } }),
  listPortalRegistrations: () => ({ method: 'GET', path: '/api/v1/portal/registrations' }),
};
