// Each role can do exactly what its scopes allow: every operation of openapi/hub.yaml × every built-in role.
// An operation added to the document without a row here fails the first test.
import { randomUUID } from 'node:crypto';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aHousehold, aPerson } from '../../helpers/registry-data.js';

import type { Call, Fixture } from './permission-calls/types.js';
import { verificationCalls } from './permission-calls/verification.js';
import { areasGeoCalls } from './permission-calls/areas-geo.js';
import { reportsCalls } from './permission-calls/reports.js';
import { workflowCalls } from './permission-calls/workflow.js';
import { connectorsCalls } from './permission-calls/connectors.js';
import { formsSyncCalls } from './permission-calls/forms-sync.js';
import { assessmentCalls } from './permission-calls/assessment.js';
import { dedupCalls } from './permission-calls/dedup.js';
import { portalCalls } from './permission-calls/portal.js';
import { consoleACalls } from './permission-calls/console-a.js';
import { consoleBCalls } from './permission-calls/console-b.js';
import { portalOidcCalls } from './permission-calls/portal-oidc.js';

const fresh = () => randomUUID().slice(0, 8);

// one request per operation; allowed callers must get past authorisation (any status but 401/403)
const CALLS: Record<string, Call> = {
  getHealth: () => ({ method: 'GET', path: '/health' }),
  getReady: () => ({ method: 'GET', path: '/ready' }),
  getMetrics: () => ({ method: 'GET', path: '/metrics' }),
  getJwks: () => ({ method: 'GET', path: '/.well-known/jwks.json' }),
  requestClientToken: () => ({ method: 'POST', path: '/oauth2/client/token', form: { grant_type: 'client_credentials' } }),
  requestToken: () => ({ method: 'POST', path: '/oauth2/token', form: { grant_type: 'client_credentials' } }),
  getMe: () => ({ method: 'GET', path: '/api/v1/me' }),
  changeMyPassword: () => ({ method: 'POST', path: '/api/v1/me/password', body: { current_password: 'x', new_password: 'y' } }),
  listAdminAreas: () => ({ method: 'GET', path: '/api/v1/admin-areas' }),
  createAdminArea: () => ({ method: 'POST', path: '/api/v1/admin-areas', body: { code: `Z${fresh().toUpperCase()}`, name: 'Z' } }),
  createPerson: () => ({ method: 'POST', path: '/api/v1/persons', body: aPerson() }),
  listPersons: () => ({ method: 'GET', path: '/api/v1/persons' }),
  getPerson: (f) => ({ method: 'GET', path: `/api/v1/persons/${f.personId}` }),
  updatePerson: (f) => ({ method: 'PATCH', path: `/api/v1/persons/${f.personId}`, body: { phone: '+254700000009' }, ifMatch: 999 }),
  getPersonHistory: (f) => ({ method: 'GET', path: `/api/v1/persons/${f.personId}/history` }),
  getPersonAccessLog: (f) => ({ method: 'GET', path: `/api/v1/persons/${f.personId}/access-log` }),
  listAuditEntries: () => ({ method: 'GET', path: '/api/v1/audit' }),
  verifyAuditChain: () => ({ method: 'GET', path: '/api/v1/audit/verify' }),
  createHousehold: () => ({ method: 'POST', path: '/api/v1/households', body: aHousehold('P1') }),
  listHouseholds: () => ({ method: 'GET', path: '/api/v1/households' }),
  bulkCreateHouseholds: () => ({ method: 'POST', path: '/api/v1/households:bulk', body: { households: [aHousehold('P1')] } }),
  getHousehold: (f) => ({ method: 'GET', path: `/api/v1/households/${f.householdId}` }),
  updateHousehold: (f) => ({ method: 'PATCH', path: `/api/v1/households/${f.householdId}`, body: { address: 'x' }, ifMatch: 999 }),
  getHouseholdHistory: (f) => ({ method: 'GET', path: `/api/v1/households/${f.householdId}/history` }),
  addHouseholdMember: (f) => ({ method: 'POST', path: `/api/v1/households/${f.householdId}/members`, body: { relationship: 'SON', person: aPerson() }, ifMatch: 999 }),
  endHouseholdMembership: (f) => ({ method: 'DELETE', path: `/api/v1/households/${f.householdId}/members/${f.personId}`, ifMatch: 999 }),
  deregisterHousehold: (f) => ({ method: 'POST', path: `/api/v1/households/${f.householdId}/deregister`, body: { reason: 'duplicate' }, ifMatch: 999 }),
  listUsers: () => ({ method: 'GET', path: '/api/v1/users' }),
  createUser: () => ({ method: 'POST', path: '/api/v1/users', body: { username: `p${fresh()}`, roles: ['policymaker'] } }),
  getUser: (f) => ({ method: 'GET', path: `/api/v1/users/${f.userId}` }),
  updateUser: (f) => ({ method: 'PATCH', path: `/api/v1/users/${f.userId}`, body: { display_name: 'X' } }),
  resetUserPassword: (f) => ({ method: 'POST', path: `/api/v1/users/${f.userId}/password-reset` }),
  listClients: () => ({ method: 'GET', path: '/api/v1/clients' }),
  createClient: () => ({ method: 'POST', path: '/api/v1/clients', body: { client_id: `c${fresh()}`, name: 'C', roles: ['dci_client'] } }),
  getClient: () => ({ method: 'GET', path: '/api/v1/clients/perm-client' }),
  updateClient: () => ({ method: 'PATCH', path: '/api/v1/clients/perm-client', body: { name: 'C2' } }),
  rotateClientSecret: () => ({ method: 'POST', path: '/api/v1/clients/perm-client/secret' }),
  getClientDci: () => ({ method: 'GET', path: '/api/v1/clients/perm-client/dci' }),
  putClientDci: () => ({ method: 'PUT', path: '/api/v1/clients/perm-client/dci', body: { callback_url: 'https://spmis.example.org/dci' } }),
  listRoles: () => ({ method: 'GET', path: '/api/v1/roles' }),
  createRole: () => ({ method: 'POST', path: '/api/v1/roles', body: { name: `r_${fresh()}`, description: 'r', scopes: ['reports.read'] } }),
  getRole: () => ({ method: 'GET', path: '/api/v1/roles/auditor' }),
  updateRole: () => ({ method: 'PATCH', path: '/api/v1/roles/perm_role', body: { description: 'changed' } }),
  listDataAgreements: () => ({ method: 'GET', path: '/api/v1/consent/agreements' }),
  createDataAgreement: () => ({ method: 'POST', path: '/api/v1/consent/agreements', body: { code: `p${fresh()}`, purpose_code: 'p', purpose_text: { en: 'p' }, lawful_basis: 'consent', categories: ['name'], recipients: ['x'], controller: { name: 'c' }, retention_days: 1, max_validity_days: 1 } }),
  getDataAgreement: () => ({ method: 'GET', path: `/api/v1/consent/agreements/${randomUUID()}` }),
  publishDataAgreement: () => ({ method: 'POST', path: `/api/v1/consent/agreements/${randomUUID()}/publish` }),
  grantConsent: (f) => ({ method: 'POST', path: '/api/v1/consent/consents', body: { agreement_id: randomUUID(), person_id: f.personId } }),
  listConsents: (f) => ({ method: 'GET', path: `/api/v1/consent/consents?person_id=${f.personId}` }),
  getConsent: () => ({ method: 'GET', path: `/api/v1/consent/consents/${randomUUID()}` }),
  withdrawConsent: () => ({ method: 'POST', path: `/api/v1/consent/consents/${randomUUID()}/withdraw` }),
  renewConsent: () => ({ method: 'POST', path: `/api/v1/consent/consents/${randomUUID()}/renew` }),
  getConsentReceipt: () => ({ method: 'GET', path: `/api/v1/consent/consents/${randomUUID()}/receipt` }),
  createBeneficiaryAccount: () => ({ method: 'POST', path: '/api/v1/consent/beneficiaries', body: { username: `b${fresh()}`, person_id: randomUUID() } }),
  grantMyConsent: () => ({ method: 'POST', path: '/api/v1/me/consents', body: { agreement_id: randomUUID() } }),
  listMyConsents: () => ({ method: 'GET', path: '/api/v1/me/consents' }),
  getMyConsent: () => ({ method: 'GET', path: `/api/v1/me/consents/${randomUUID()}` }),
  withdrawMyConsent: () => ({ method: 'POST', path: `/api/v1/me/consents/${randomUUID()}/withdraw` }),
  renewMyConsent: () => ({ method: 'POST', path: `/api/v1/me/consents/${randomUUID()}/renew` }),
  getMyConsentReceipt: () => ({ method: 'GET', path: `/api/v1/me/consents/${randomUUID()}/receipt` }),
  verifyConsentToken: () => ({ method: 'POST', path: '/api/v1/consent/verify', body: { token: 'not-a-token' } }),
  getConsentStatusList: () => ({ method: 'GET', path: '/api/v1/consent/status-lists/1' }),
  ...verificationCalls,
  ...areasGeoCalls,
  ...reportsCalls,
  ...workflowCalls,
  ...connectorsCalls,
  ...formsSyncCalls,
  ...assessmentCalls,
  ...dedupCalls,
  ...portalCalls,
  ...consoleACalls,
  ...consoleBCalls,
  ...portalOidcCalls,
};

const ROLES = ['administrator', 'registry_officer', 'field_worker', 'program_officer', 'policymaker', 'auditor', 'dci_client'];

describe('permissions by role and operation', () => {
  let t: TestHub;
  let fixture: Fixture;
  const tokens = new Map<string, Record<string, string>>();
  const scopes = new Map<string, Set<string>>();

  beforeAll(async () => {
    // every operation x every role from one address: more than the default per-address rate limit allows
    t = await startTestHub({ env: { SRHUB_AUTH: 'on', SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '100000' } });
    const admin = await t.as(['administrator']);
    await t.post('/api/v1/admin-areas', { code: 'P1', name: 'Permissions' }, { headers: admin.headers });
    const household = (await t.post('/api/v1/households', aHousehold('P1'), { headers: admin.headers })).body;
    const user = (await t.post('/api/v1/users', { username: 'perm-user', roles: ['auditor'] }, { headers: admin.headers })).body;
    await t.post('/api/v1/clients', { client_id: 'perm-client', name: 'C', roles: ['dci_client'] }, { headers: admin.headers });
    await t.post('/api/v1/roles', { name: 'perm_role', description: 'r', scopes: ['reports.read'] }, { headers: admin.headers });
    fixture = { householdId: household.id, personId: household.members[1].person_id, userId: user.id };
    for (const role of ROLES) {
      tokens.set(role, (await t.as([role])).headers);
      scopes.set(role, new Set((await t.get('/api/v1/me', { headers: tokens.get(role) })).body.scopes));
    }
  });
  afterAll(() => t.stop());

  it('has a row for every operation of the document, and no row for an operation it does not have', () => {
    expect(Object.keys(CALLS).sort()).toEqual([...t.hub.api.operations.keys()].sort());
  });

  it.each(ROLES)('%s: allowed exactly where its scopes cover the operation', async (role) => {
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const [operationId, call] of Object.entries(CALLS)) {
      const op = t.hub.api.operations.get(operationId)!;
      const { method, path, body, ifMatch, form } = call(fixture);
      const headers = { ...tokens.get(role)!, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) };
      const res = await t.request(method, path, body, { headers, ifMatch, raw: form ? new URLSearchParams(form).toString() : undefined });
      const allowed = op.scopes === null || op.scopes.every((s) => scopes.get(role)!.has(s));
      outcomes.push(`${operationId}: ${res.status === 403 || (res.status === 401 && op.scopes !== null) ? 'denied' : 'allowed'}`);
      expected.push(`${operationId}: ${allowed ? 'allowed' : 'denied'}`);
    }
    expect(outcomes).toEqual(expected);
  }, 180_000); // the administrator really runs every operation (~290 calls): over a minute on a loaded machine

  it('denies every protected operation to a caller without a token', async () => {
    for (const [operationId, call] of Object.entries(CALLS)) {
      const op = t.hub.api.operations.get(operationId)!;
      if (op.scopes === null) continue;
      const { method, path, body } = call(fixture);
      expect({ operationId, status: (await t.request(method, path, body)).status }).toEqual({ operationId, status: 401 });
    }
  });
});
