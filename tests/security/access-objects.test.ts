// Broken object level authorization (OWASP API1) and the function-level gaps the permissions matrix leaves
// (API5): every operation of the hub's documents that takes an id in its path is listed below with the record it
// names, made in AM-R2; callers limited to AM-R1 (one holding every scope, and each built-in role) must get 403/404,
// no personal data, and no change. A beneficiary asks for another person's consent; an API client (and a person
// posing as one) for another client's DCI transactions. An operation missing from the lists fails the first test.
import { randomUUID } from 'node:crypto';
import { header, searchMessage, searchItem, idQuery, aClient, publicTask } from '../core/dci/dci-helpers.js';
import { BUILTIN_ROLES, buildWorld, expectOk, fingerprint, leaked, type Victim, type World } from './access/world.js';

type Target = { method: string; path: string; body?: unknown; ifMatch?: number };

// the record in AM-R2 each id-taking operation is asked about, with a body that passes validation (so that the
// answer is authorisation's, not the validator's)
const IN_ANOTHER_AREA: Record<string, (v: Victim) => Target> = {
  getPerson: (v) => ({ method: 'GET', path: `/api/v1/persons/${v.headId}` }),
  updatePerson: (v) => ({ method: 'PATCH', path: `/api/v1/persons/${v.headId}`, body: { other_names: 'taken over' }, ifMatch: v.headVersion }),
  getPersonHistory: (v) => ({ method: 'GET', path: `/api/v1/persons/${v.headId}/history` }),
  getPersonAccessLog: (v) => ({ method: 'GET', path: `/api/v1/persons/${v.headId}/access-log` }),
  listPersonVerifications: (v) => ({ method: 'GET', path: `/api/v1/persons/${v.headId}/verifications` }),
  getHousehold: (v) => ({ method: 'GET', path: `/api/v1/households/${v.householdId}` }),
  updateHousehold: (v) => ({ method: 'PATCH', path: `/api/v1/households/${v.householdId}`, body: { address: 'taken over' }, ifMatch: v.householdVersion }),
  getHouseholdHistory: (v) => ({ method: 'GET', path: `/api/v1/households/${v.householdId}/history` }),
  addHouseholdMember: (v) => ({ method: 'POST', path: `/api/v1/households/${v.householdId}/members`, body: { relationship: 'SON', person: { given_name: 'Intruder', family_name: 'X', sex: 'male', birth_date: '2010-01-01' } }, ifMatch: v.householdVersion }),
  endHouseholdMembership: (v) => ({ method: 'DELETE', path: `/api/v1/households/${v.householdId}/members/${v.spouseId}`, ifMatch: v.householdVersion }),
  deregisterHousehold: (v) => ({ method: 'POST', path: `/api/v1/households/${v.householdId}/deregister`, body: { reason: 'duplicate' }, ifMatch: v.householdVersion }),
  getHouseholdEligibility: (v) => ({ method: 'GET', path: `/api/v1/households/${v.householdId}/eligibility` }),
  listHouseholdPrograms: (v) => ({ method: 'GET', path: `/api/v1/households/${v.householdId}/programs` }),
  getConsent: (v) => ({ method: 'GET', path: `/api/v1/consent/consents/${v.consentId}` }),
  withdrawConsent: (v) => ({ method: 'POST', path: `/api/v1/consent/consents/${v.consentId}/withdraw`, body: {} }),
  renewConsent: (v) => ({ method: 'POST', path: `/api/v1/consent/consents/${v.consentId}/renew`, body: {} }),
  getConsentReceipt: (v) => ({ method: 'GET', path: `/api/v1/consent/consents/${v.consentId}/receipt` }),
  getRegistration: (v) => ({ method: 'GET', path: `/api/v1/registrations/${v.caseId}` }),
  getChangeRequest: (v) => ({ method: 'GET', path: `/api/v1/change-requests/${v.changeRequestId}` }),
  getReview: (v) => ({ method: 'GET', path: `/api/v1/reviews/${v.changeRequestId}` }),
  approveReview: (v) => ({ method: 'POST', path: `/api/v1/reviews/${v.changeRequestId}/approve`, body: {} }),
  rejectReview: (v) => ({ method: 'POST', path: `/api/v1/reviews/${v.changeRequestId}/reject`, body: { reasons: ['duplicate'] } }),
  assignReview: (v) => ({ method: 'POST', path: `/api/v1/reviews/${v.changeRequestId}/assign`, body: { assignee: 'user:intruder' } }),
  commentReview: (v) => ({ method: 'POST', path: `/api/v1/reviews/${v.changeRequestId}/comments`, body: { comment: 'seen' } }),
  getDuplicatePair: (v) => ({ method: 'GET', path: `/api/v1/dedup/pairs/${v.pairId}` }),
  mergeDuplicatePair: (v) => ({ method: 'POST', path: `/api/v1/dedup/pairs/${v.pairId}/merge`, body: { survivor_id: v.headId } }),
  markDuplicatePairDistinct: (v) => ({ method: 'POST', path: `/api/v1/dedup/pairs/${v.pairId}/distinct`, body: {} }),
  resolveSyncConflict: (v) => ({ method: 'POST', path: `/api/v1/sync/conflicts/${v.conflictId}/resolve`, body: { choice: 'mine' } }),
  getSyncAttachmentContent: (v) => ({ method: 'GET', path: `/api/v1/sync/attachments/${v.attachment}/content` }),
  getSimulation: (v) => ({ method: 'GET', path: `/api/v1/simulations/${v.simulationId}` }),
  listSimulationChanges: (v) => ({ method: 'GET', path: `/api/v1/simulations/${v.simulationId}/changes` }),
};

// lists under an id: they answer, but without the records of other areas
const LISTS_IN_ANOTHER_AREA: Record<string, (v: Victim) => Target> = {
  listEligibleHouseholds: (v) => ({ method: 'GET', path: `/api/v1/programs/${v.programId}/eligible` }),
};

// a beneficiary's own records: another person's are not found
const OWN_RECORDS: Record<string, (consentId: string) => Target> = {
  getMyConsent: (id) => ({ method: 'GET', path: `/api/v1/me/consents/${id}` }),
  withdrawMyConsent: (id) => ({ method: 'POST', path: `/api/v1/me/consents/${id}/withdraw`, body: {} }),
  renewMyConsent: (id) => ({ method: 'POST', path: `/api/v1/me/consents/${id}/renew`, body: {} }),
  getMyConsentReceipt: (id) => ({ method: 'GET', path: `/api/v1/me/consents/${id}/receipt` }),
};

// ids of things that belong to no area and no person: configuration, guarded by their scope alone (every role x
// every operation in tests/core/auth/permissions.test.ts; the admin ones against beneficiaries and clients below)
const NOT_OWNED: Record<string, string> = {
  getUser: 'user account', updateUser: 'user account', resetUserPassword: 'user account',
  getClient: 'API client', updateClient: 'API client', rotateClientSecret: 'API client', getClientDci: 'API client', putClientDci: 'API client',
  getRole: 'role', updateRole: 'role',
  getDataAgreement: 'data agreement (public)', publishDataAgreement: 'data agreement', getConsentStatusList: 'status list (public by design)',
  getAdminAreaBoundary: 'admin area geography',
  getAssessmentModel: 'model', createAssessmentModelVersion: 'model', updateAssessmentModelVersion: 'model', publishAssessmentModelVersion: 'model',
  getConnector: 'connector', putConnectorConfiguration: 'connector', enableConnector: 'connector', disableConnector: 'connector',
  getConnectorHealth: 'connector', listConnectorRuns: 'connector', startConnectorRun: 'connector', getConnectorRun: 'connector', rerunConnectorRun: 'connector',
  getDedupRun: 'whole-registry dedup run (users.manage)',
  createFormVersion: 'form', getFormVersion: 'form', updateFormDraft: 'form', publishFormVersion: 'form', previewFormVersion: 'form',
  getProgram: 'program', updateProgram: 'program', activateProgram: 'program', closeProgram: 'program',
  listProgramSystems: 'program', addProgramSystem: 'program', removeProgramSystem: 'program',
  getProgramPolicy: 'program',
  uploadSyncAttachment: 'upload by content hash (anyone with sync.push may upload the same content; reading it back is getSyncAttachmentContent)',
  getSyncAttachment: 'upload state by content hash (size and media type only; the resumable PUT must answer any uploader the same)',
};

// DCI operations the hub serves and what object they name
const DCI_REFERENCES: Record<string, string> = {
  post_reg_search: 'none (a new transaction)', post_reg_sync_search: 'none (a new transaction)', post_reg_subscribe: 'none (a new subscription)',
  post_reg_txnstatus: "a transaction: the sender's own only", post_reg_sync_txnstatus: "a transaction: the sender's own only",
  post_reg_unsubscribe: "subscription codes: the sender's own only",
};

/** Runs `work` over the items, `size` at a time. */
async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

// the tables a refused attack could change
const TABLES = ['person', 'household', 'membership', 'person_identifier', 'consent', 'registration_case', 'duplicate_pair', 'sync_conflict'];

describe('object- and function-level authorization (OWASP API1, API5)', () => {
  let w: World;
  let victim: Victim;
  const tried: Record<string, number> = {};
  const count = (kind: string) => (tried[kind] = (tried[kind] ?? 0) + 1);

  beforeAll(async () => {
    w = await buildWorld();
    victim = w.victim;
  }, 240_000);
  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log(`access-objects: cases tried ${JSON.stringify(tried)}, ${Object.values(tried).reduce((a, b) => a + b, 0)} in all`);
    await w?.t.stop();
  });

  it('knows every operation of the documents that takes an id (a new one fails here until it is listed)', () => {
    const withIds = [...w.t.hub.api.operations.values()].filter((op) => op.path.includes('{')).map((op) => op.operationId);
    const listed = new Set([...Object.keys(IN_ANOTHER_AREA), ...Object.keys(LISTS_IN_ANOTHER_AREA), ...Object.keys(OWN_RECORDS), ...Object.keys(NOT_OWNED)]);
    expect({ unlisted: withIds.filter((id) => !listed.has(id)).sort() }).toEqual({ unlisted: [] });
    expect({ stale: [...listed].filter((id) => !w.t.hub.api.operations.has(id)).sort() }).toEqual({ stale: [] });
    const dci = [...w.t.hub.dci.api.operations.values()].filter((op) => op.scopes !== null).map((op) => op.operationId);
    expect(dci.filter((id) => !(id in DCI_REFERENCES)).sort()).toEqual([]);
  });

  it('refuses the records of another area to callers limited to their own, for every role, and changes nothing', async () => {
    const before = await fingerprint(w.t, TABLES);
    // every scope, and each built-in role whose scopes let it past the operation's scope check (the others are
    // refused by scope, which tests/core/auth/permissions.test.ts covers)
    const roleScopes = new Map((await w.t.hub.db.query<{ name: string; scopes: string[] }>('select name, scopes from role')).map((r) => [r.name, new Set(r.scopes)]));
    const callers: [string, Record<string, string>, Set<string> | null][] = [['every scope', w.everything, null]];
    for (const role of BUILTIN_ROLES) callers.push([role, (await w.t.as([role], ['AM-R1'])).headers, roleScopes.get(role)!]);
    const past = (operationId: string) => {
      const scopes = w.t.hub.api.operations.get(operationId)!.scopes ?? [];
      return callers.filter(([, , has]) => has === null || scopes.every((s) => has.has(s)));
    };
    const failures: string[] = [];
    // attacks go four operations at a time, each operation's callers at once (all must be refused, so they cannot
    // get in each other's way)
    await inBatches(Object.entries(IN_ANOTHER_AREA), 4, async ([operationId, target]) => {
      const { method, path, body, ifMatch } = target(victim);
      await Promise.all(past(operationId).map(async ([who, headers]) => {
        const res = await w.t.request(method, path, body, { headers, ifMatch });
        count('another-area');
        const leaks = leaked(res.body, victim.markers);
        if (![403, 404].includes(res.status) || leaks.length) failures.push(`${operationId} as ${who}: ${res.status} ${leaks.join(',')} ${JSON.stringify(res.body).slice(0, 200)}`);
      }));
    });
    for (const [operationId, target] of Object.entries(LISTS_IN_ANOTHER_AREA)) {
      const { method, path } = target(victim);
      for (const [who, headers] of past(operationId)) {
        const res = await w.t.request(method, path, undefined, { headers });
        count('another-area-list');
        if (res.status < 400 && JSON.stringify(res.body).includes(victim.householdId)) failures.push(`${operationId} as ${who}: lists the AM-R2 household`);
        if (leaked(res.body, victim.markers).length) failures.push(`${operationId} as ${who}: leaks ${leaked(res.body, victim.markers)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await fingerprint(w.t, TABLES)).toEqual(before);
    // the records are all there for a caller of AM-R2 (the refusals above were not misses of bad ids)
    const owner = (await w.t.as(['everything'], ['AM-R2'])).headers;
    for (const operationId of ['getPerson', 'getHousehold', 'getConsent', 'getRegistration', 'getReview', 'getDuplicatePair', 'getSyncAttachmentContent', 'listSimulationChanges']) {
      const { method, path } = IN_ANOTHER_AREA[operationId](victim);
      expect({ operationId, status: (await w.t.request(method, path, undefined, { headers: owner })).status }).toEqual({ operationId, status: 200 });
    }
    const eligible = await w.t.get(`/api/v1/programs/${victim.programId}/eligible`, { headers: owner });
    expect(JSON.stringify(eligible.body)).toContain(victim.householdId);
  }, 180_000);

  it("does not show or change another person's consent to a beneficiary", async () => {
    const own = await w.t.as(['beneficiary']);
    const [mine] = (await w.t.hub.db.query<{ id: string }>(`select p.id from person p where p.id <> all($1::uuid[]) limit 1`, [[victim.headId, victim.spouseId]]));
    // a beneficiary account is linked to a person; this one to someone else than the victim
    const link = await w.t.hub.db.query('update app_user set person_id = $2 where username = $1 returning 1', [own.username, mine?.id ?? victim.spouseId]);
    expect(link).toHaveLength(1);
    const before = await fingerprint(w.t, ['consent']);
    for (const [operationId, target] of Object.entries(OWN_RECORDS)) {
      const { method, path, body } = target(victim.consentId);
      const res = await w.t.request(method, path, body, { headers: own.headers });
      count('beneficiary');
      expect({ operationId, status: res.status, leaks: leaked(res.body, victim.markers) }).toEqual({ operationId, status: 404, leaks: [] });
    }
    // nor through the officers' routes or the registry
    for (const path of [`/api/v1/consent/consents/${victim.consentId}`, `/api/v1/persons/${victim.headId}`, `/api/v1/households/${victim.householdId}`]) {
      count('beneficiary');
      expect((await w.t.get(path, { headers: own.headers })).status).toBe(403);
    }
    expect(await fingerprint(w.t, ['consent'])).toEqual(before);
  });

  it("answers an API client's DCI transaction status to that client only, and refuses a person posing as a client", async () => {
    const owner = await aClient(w.t);
    const other = await aClient(w.t);
    const person = await w.t.as(['program_officer']);
    await publicTask(w.t, 'ELIG', [owner.clientId, other.clientId]);
    const search = searchMessage(owner.clientId, [searchItem('r1', idQuery(victim.markers.uin))]);
    const answer = await w.t.post('/registry/sync/search', search, { headers: owner.headers });
    expect(answer.status).toBe(200);
    const status = (senderId: string) => ({
      header: header('txn-status', senderId, 1),
      message: { transaction_id: randomUUID(), txnstatus_request: { reference_id: randomUUID(), txn_type: 'search', attribute_type: 'transaction_id', attribute_value: search.message.transaction_id } },
    });
    // async: the owner's transaction is known to the owner ...
    const asyncSearch = searchMessage(owner.clientId, [searchItem('r2', idQuery(victim.markers.uin))], { sender_uri: 'http://127.0.0.1:9/spmis' });
    expect((await w.t.post('/registry/search', asyncSearch, { headers: owner.headers })).status).toBe(202);
    const asked = { ...status(owner.clientId), message: { ...status(owner.clientId).message, txnstatus_request: { ...status(owner.clientId).message.txnstatus_request, attribute_value: asyncSearch.message.transaction_id } } };
    const mine = await w.t.post('/registry/sync/txn/status', asked, { headers: owner.headers });
    count('dci');
    expect(mine.body.header.status).toBe('succ');
    // ... not to another client (its own sender_id), which cannot claim the owner's sender_id either
    const foreign = await w.t.post('/registry/sync/txn/status', { ...asked, header: header('txn-status', other.clientId, 1) }, { headers: other.headers });
    count('dci');
    expect(foreign.body.header.status).toBe('rjct');
    expect(foreign.body.message ?? null).toBeNull();
    const posing = await w.t.post('/registry/sync/txn/status', { ...asked, header: header('txn-status', owner.clientId, 1) }, { headers: other.headers });
    count('dci');
    expect(posing.status).toBe(403);
    // a person with registry.search could name a client as sender_id: read its transactions, spend its message ids
    for (const [path, body] of [['/registry/sync/txn/status', { ...asked, header: header('txn-status', owner.clientId, 1) }], ['/registry/sync/search', searchMessage(owner.clientId, [searchItem('r3', idQuery(victim.markers.uin))])]] as const) {
      const res = await w.t.post(path, body, { headers: person.headers });
      count('dci');
      expect({ path, status: res.status, code: res.body.errors?.[0]?.code ?? res.body.message?.ack_status }).toMatchObject({ path, status: 403 });
      expect(leaked(res.body, victim.markers)).toEqual([]);
    }
    // under a sender_id of their own, a person's transactions are theirs alone
    const personal = searchMessage(`console-${randomUUID().slice(0, 6)}`, [searchItem('r4', idQuery(victim.markers.uin))], { sender_uri: 'http://127.0.0.1:9/x' });
    expect((await w.t.post('/registry/search', personal, { headers: person.headers })).status).toBe(202);
    const colleague = await w.t.as(['program_officer']);
    // (a fresh message id each time: a repeated one is refused as a replay whoever sends it)
    const peek = () => ({ header: header('txn-status', personal.header.sender_id, 1), message: { ...asked.message, txnstatus_request: { ...asked.message.txnstatus_request, attribute_value: personal.message.transaction_id } } });
    count('dci');
    expect((await w.t.post('/registry/sync/txn/status', peek(), { headers: colleague.headers })).body.header.status).toBe('rjct');
    count('dci');
    expect((await w.t.post('/registry/sync/txn/status', peek(), { headers: person.headers })).body.header.status).toBe('succ');
  });

  it("refuses another client's subscription codes", async () => {
    const owner = await aClient(w.t);
    const other = await aClient(w.t);
    await publicTask(w.t, 'ELIG', [owner.clientId]);
    const subscribe = await w.t.post('/registry/subscribe', {
      header: header('subscribe', owner.clientId, 1, { sender_uri: 'http://127.0.0.1:9/spmis' }),
      message: { transaction_id: randomUUID(), subscribe_request: [{ reference_id: 's1', timestamp: new Date().toISOString(), subscribe_criteria: { authorize: { purpose: { code: 'ELIG' } }, notify_record_type: 'Group', reg_event_type: 'REGISTER', filter_type: 'predicate', filter: [{ seq_num: 1, expression1: { attribute_name: 'group_size', operator: 'ge', attribute_value: 3 } }] } }] },
    }, { headers: owner.headers });
    expect(subscribe.status).toBe(202);
    const [sub] = await w.t.hub.db.query<{ code: string }>('select code from dci_subscription where sender_id = $1', [owner.clientId]);
    expect(sub).toBeDefined();
    const res = await w.t.post('/registry/unsubscribe', {
      header: header('unsubscribe', other.clientId, 1, { sender_uri: 'http://127.0.0.1:9/other' }),
      message: { transaction_id: randomUUID(), timestamp: new Date().toISOString(), subscription_codes: [sub.code] },
    }, { headers: other.headers });
    count('dci');
    expect([202, 200]).toContain(res.status);
    const [after] = await w.t.hub.db.query<{ status: string }>('select status from dci_subscription where code = $1', [sub.code]);
    expect(after.status).toBe('subscribe');
  });

  it('refuses every administrative operation to beneficiaries, API clients and people still on a one-time password', async () => {
    // administrative: an operation needing a scope no registry worker has (derived from the documents' scopes)
    const ADMIN_SCOPES = ['users.manage', 'connectors.manage', 'consent.agreements', 'forms.manage', 'assessment.manage', 'reports.manage', 'audit.read'];
    const adminOps = [...w.t.hub.api.operations.values()].filter((op) => op.scopes?.some((s) => ADMIN_SCOPES.includes(s)));
    expect(adminOps.length).toBeGreaterThan(40);
    const beneficiary = (await w.t.as(['beneficiary'])).headers;
    const client = (await aClient(w.t, ['dci_client'])).headers;
    const created = await expectOk(w.t.post('/api/v1/users', { username: `otp${randomUUID().slice(0, 6)}`, roles: ['administrator'] }, { headers: w.admin }));
    const otpToken = await fetch(`${w.t.url}/oauth2/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: created.body.username, password: created.body.one_time_password }).toString(),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const otp = { authorization: `Bearer ${otpToken.access_token}` };
    const failures: string[] = [];
    await inBatches(adminOps, 8, async (op) => {
      const path = op.path.replace(/\{[^}]+\}/g, () => randomUUID());
      const body = ['POST', 'PUT', 'PATCH'].includes(op.method) ? {} : undefined;
      await Promise.all(([['beneficiary', beneficiary], ['API client', client], ['one-time password', otp]] as const).map(async ([who, headers]) => {
        const res = await w.t.request(op.method, path, body, { headers, ifMatch: op.method === 'GET' ? undefined : 1 });
        count('admin-function');
        // 403 before anything else (a 400 would mean validation ran first: the handler's input was looked at)
        if (res.status !== 403) failures.push(`${op.operationId} as ${who}: ${res.status}`);
      }));
    });
    expect(failures).toEqual([]);
  }, 180_000);
});
