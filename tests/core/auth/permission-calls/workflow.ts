// P5's operations (openapi/hub/workflow.yaml) for the permissions matrix. Case ids that do not exist are fine: an
// allowed caller gets past authorisation (404), a refused one gets 403 first.
import { aHousehold } from '../../../helpers/registry-data.js';
import type { Call } from './types.js';

const NO_CASE = '00000000-0000-7000-8000-000000000000';

export const workflowCalls: Record<string, Call> = {
  submitRegistration: () => ({ method: 'POST', path: '/api/v1/registrations', body: { household: aHousehold('P1') } }),
  listRegistrations: () => ({ method: 'GET', path: '/api/v1/registrations' }),
  getRegistration: () => ({ method: 'GET', path: `/api/v1/registrations/${NO_CASE}` }),
  submitChangeRequest: (f) => ({
    method: 'POST',
    path: '/api/v1/change-requests',
    body: { household_id: f.householdId, kind: 'update_household', changes: { address: 'New Road 1' } },
  }),
  listChangeRequests: () => ({ method: 'GET', path: '/api/v1/change-requests' }),
  getChangeRequest: () => ({ method: 'GET', path: `/api/v1/change-requests/${NO_CASE}` }),
  listReviews: () => ({ method: 'GET', path: '/api/v1/reviews' }),
  getReview: () => ({ method: 'GET', path: `/api/v1/reviews/${NO_CASE}` }),
  approveReview: () => ({ method: 'POST', path: `/api/v1/reviews/${NO_CASE}/approve`, body: {} }),
  rejectReview: () => ({ method: 'POST', path: `/api/v1/reviews/${NO_CASE}/reject`, body: { reasons: ['duplicate'] } }),
  assignReview: () => ({ method: 'POST', path: `/api/v1/reviews/${NO_CASE}/assign`, body: { assignee: 'someone' } }),
  commentReview: () => ({ method: 'POST', path: `/api/v1/reviews/${NO_CASE}/comments`, body: { comment: 'seen' } }),
};
