// P8's operations (openapi/hub/reports.yaml) for the permissions matrix.
import type { Call } from './types.js';

export const reportsCalls: Record<string, Call> = {
  getCoverageReport: () => ({ method: 'GET', path: '/api/v1/reports/coverage' }),
  getAgeSexReport: () => ({ method: 'GET', path: '/api/v1/reports/age-sex' }),
  getHouseholdSizeReport: () => ({ method: 'GET', path: '/api/v1/reports/household-size' }),
  getDisabilityReport: () => ({ method: 'GET', path: '/api/v1/reports/disability' }),
  getRegistrationsReport: () => ({ method: 'GET', path: '/api/v1/reports/registrations?format=csv' }),
  getVerificationReport: () => ({ method: 'GET', path: '/api/v1/reports/verification' }),
  listPopulation: () => ({ method: 'GET', path: '/api/v1/reports/population' }),
  putPopulation: () => ({ method: 'PUT', path: '/api/v1/reports/population', body: { year: 2024, source: 'permissions', figures: [{ area_code: 'P1', population: 10 }] } }),
  getDashboard: () => ({ method: 'GET', path: '/api/v1/dashboard' }),
  getDataQuality: () => ({ method: 'GET', path: '/api/v1/data-quality' }),
  listDataQualityThresholds: () => ({ method: 'GET', path: '/api/v1/data-quality/thresholds' }),
  putDataQualityThresholds: () => ({ method: 'PUT', path: '/api/v1/data-quality/thresholds', body: { thresholds: [] } }),
  listDataQualityAlerts: () => ({ method: 'GET', path: '/api/v1/data-quality/alerts' }),
  evaluateDataQualityAlerts: () => ({ method: 'POST', path: '/api/v1/data-quality/alerts:evaluate' }),
};
