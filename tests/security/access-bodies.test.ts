// Mass assignment (OWASP API3, property level) and excessive data exposure: server-owned fields (id, version,
// created_by, status, ...) sent in the body of every create and update operation of the documents are refused with a
// 400 naming them, or, where a body is open by design, refused by the handler or ignored, never stored; answers and
// audit entries carry no field the caller's consent and scopes do not allow.
import { randomUUID } from 'node:crypto';
import { aClient, idQuery, publicTask, searchItem, searchMessage } from '../core/dci/dci-helpers.js';
import { accessHub, expectOk, fingerprint, leaked, markedHousehold, type Markers } from './access/world.js';
import type { TestHub } from '../helpers/test-hub.js';
import { ALL_SCOPES } from '../../core/server/principal.js';

// fields the hub owns: a caller must never set them through a body
const SERVER_OWNED: Record<string, unknown> = {
  id: '00000000-0000-7000-8000-00000000abcd',
  version: 99,
  created_by: 'user:intruder',
  created_at: '2000-01-01T00:00:00Z',
  updated_by: 'user:intruder',
  updated_at: '2000-01-01T00:00:00Z',
  status: 'active',
  registry_id: '12345678901',
  merged_into: '00000000-0000-7000-8000-00000000abcd',
  deregistered_at: '2000-01-01T00:00:00Z',
  decided_by: 'user:intruder',
  submitted_by: 'user:intruder',
};

// operations whose body declares one of these fields on purpose, and why
const DECLARED: Record<string, string[]> = {};

// bodies open at the top level by design (an allOf of shared parts): the handler must refuse or ignore the fields
const OPEN_BODIES = ['createProgram', 'updateProgram'];

const tried: Record<string, number> = {};
const count = (kind: string, n = 1) => (tried[kind] = (tried[kind] ?? 0) + n);

describe('mass assignment and data exposure (OWASP API3)', () => {
  let t: TestHub;
  let admin: Record<string, string>;
  let everything: Record<string, string>;
  let markers: Markers;
  let household: { id: string; version: number; members: { person_id: string }[] };

  beforeAll(async () => {
    ({ t, admin } = await accessHub());
    await expectOk(t.post('/api/v1/roles', { name: 'everything', description: 'every scope (tests)', scopes: [...ALL_SCOPES] }, { headers: admin }));
    everything = (await t.as(['everything'])).headers;
    const marked = markedHousehold('AM-R1-D1');
    markers = marked.markers;
    household = (await expectOk(t.post('/api/v1/households', marked.body, { headers: admin }))).body;
  }, 180_000);
  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log(`access-bodies: cases tried ${JSON.stringify(tried)}, ${Object.values(tried).reduce((a, b) => a + b, 0)} in all`);
    await t?.stop();
  });

  it('refuses server-owned fields in the body of every create and update operation, naming each, and stores nothing', async () => {
    const tables = ['person', 'household', 'membership', 'app_user', 'api_client', 'role', 'consent', 'data_agreement', 'registration_case', 'program', 'form_definition'];
    const existing = (await t.hub.db.query<{ table_name: string }>(`select table_name from information_schema.tables where table_schema = current_schema()`)).map((r) => r.table_name);
    const watched = tables.filter((x) => existing.includes(x));
    // the registration's own follow-ups (a case for the direct registration) are done before the first look
    await t.hub.outbox.drain();
    await t.hub.workflow.settle();
    const before = await fingerprint(t, watched);
    const failures: string[] = [];
    let operations = 0;
    for (const op of t.hub.api.operations.values()) {
      const content = (op.operation.requestBody as { content?: Record<string, { schema?: { additionalProperties?: unknown; properties?: Record<string, unknown> } }> } | undefined)?.content;
      const schema = content?.['application/json']?.schema;
      if (!schema || OPEN_BODIES.includes(op.operationId)) continue;
      if (schema.additionalProperties !== false) {
        failures.push(`${op.operationId}: its body accepts any field (close it, or list it in OPEN_BODIES with a test)`);
        continue;
      }
      const injected = Object.fromEntries(Object.entries(SERVER_OWNED).filter(([field]) => !(field in (schema.properties ?? {})) && !DECLARED[op.operationId]?.includes(field)));
      const declared = Object.keys(SERVER_OWNED).filter((f) => f in (schema.properties ?? {}) && !DECLARED[op.operationId]?.includes(f));
      if (declared.length) failures.push(`${op.operationId}: its body declares ${declared.join(', ')}`);
      const path = op.path.replace(/\{[^}]+\}/g, (name) => (name === '{id}' ? household.id : 'x'));
      const res = await t.request(op.method, path, injected, { headers: everything, ifMatch: op.method === 'POST' ? undefined : 1, idempotencyKey: undefined });
      operations += 1;
      count('server-owned-fields', Object.keys(injected).length);
      const named = new Set(((res.body?.errors ?? []) as { field: string }[]).map((e) => e.field));
      const oauth = typeof res.body?.error_description === 'string' ? res.body.error_description : '';
      const missing = Object.keys(injected).filter((f) => !named.has(`body.${f}`) && !oauth.includes(f));
      if (res.status !== 400 || missing.length) failures.push(`${op.operationId}: ${res.status}, not naming ${missing.join(', ')}`);
    }
    expect(failures).toEqual([]);
    expect(operations).toBeGreaterThan(40);
    expect(await fingerprint(t, watched)).toEqual(before);
  });

  it('refuses them inside nested records too (members of a household, people of a batch)', async () => {
    const { body } = markedHousehold('AM-R1-D1');
    const members = body.members as { person: Record<string, unknown> }[];
    members[0].person = { ...members[0].person, id: randomUUID(), version: 7, created_by: 'user:intruder', merged_into: randomUUID() };
    for (const [path, sent, at] of [
      ['/api/v1/households', body, 'body.members.0.person'],
      ['/api/v1/households:bulk', { households: [body] }, 'body.households.0.members.0.person'],
      [`/api/v1/households/${household.id}/members`, { relationship: 'SON', person: members[0].person }, 'body.person'],
    ] as const) {
      const res = await t.request('POST', path, sent, { headers: admin, ifMatch: path.includes('/members') ? household.version : undefined });
      count('nested', 4);
      const named = ((res.body.errors ?? []) as { field: string }[]).map((e) => e.field.replace(/\//g, '.'));
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      for (const field of ['id', 'version', 'created_by', 'merged_into']) expect({ path, named: named.some((f) => f.replace(/\[(\d+)\]/g, '.$1') === `${at}.${field}`) }).toEqual({ path, named: true });
    }
  });

  it('never applies server-owned fields through the open bodies (programs) or a change request', async () => {
    const owned = { id: randomUUID(), version: 99, status: 'active', created_by: 'user:intruder', updated_by: 'user:intruder' };
    const created = await t.post('/api/v1/programs', { code: `p${randomUUID().slice(0, 8)}`, name: 'Mass', ...owned }, { headers: admin });
    count('open-body', 5);
    if (created.status === 201) {
      const [row] = await t.hub.db.query<{ id: string; version: number; status: string; created_by: string }>('select id, version, status, created_by from program where id = $1', [created.body.id]);
      expect(row).toMatchObject({ version: 1, status: 'draft' });
      expect(row.id).not.toBe(owned.id);
      expect(row.created_by).not.toBe(owned.created_by);
      const updated = await t.request('PATCH', `/api/v1/programs/${row.id}`, { name: 'Mass 2', ...owned, id: randomUUID() }, { headers: admin, ifMatch: 1 });
      count('open-body', 5);
      const [after] = await t.hub.db.query<{ id: string; version: number; status: string; created_by: string }>('select id, version, status, created_by from program where id = $1', [row.id]);
      expect(after.status).toBe('draft');
      expect(after.version).toBeLessThanOrEqual(2);
      expect(after.created_by).toBe(row.created_by);
      expect([200, 400, 422]).toContain(updated.status);
    } else {
      expect(created.status).toBe(400);
    }
    // a change request's changes are a map of field names: server-owned ones are refused by name
    const person = household.members[0].person_id;
    for (const [kind, target] of [['update_household', {}], ['update_person', { person_id: person }]] as const) {
      const res = await t.post('/api/v1/change-requests', { household_id: household.id, kind, ...target, changes: { version: 5, created_by: 'user:intruder', merged_into: randomUUID(), id: randomUUID() } }, { headers: admin });
      count('open-body', 4);
      expect({ kind, status: res.status }).toEqual({ kind, status: 422 });
      const named = (res.body.errors as { field: string }[]).map((e) => e.field);
      for (const f of ['version', 'created_by', 'merged_into', 'id']) expect(named).toContain(`body.changes.${f}`);
    }
  });

  it('sends an API client only the categories its agreement allows, on the DCI API and the hub API', async () => {
    const client = await aClient(t, ['program_officer']);
    await publicTask(t, 'ELIG', [client.clientId], ['name', 'area']);
    for (const entity of ['Member', 'Group']) {
      const res = await t.post('/registry/sync/search', searchMessage(client.clientId, [searchItem('r', idQuery(markers.uin, 'UIN', { response_entity: entity }))]), { headers: client.headers });
      count('exposure');
      const records = res.body.message.search_response[0].data.reg_records;
      expect(records.length).toBe(1);
      // a person's record shows the agreed names; a household's own fields hold none of them
      if (entity === 'Member') expect(JSON.stringify(records)).toContain(markers.givenName);
      expect({ entity, leaked: leaked(records, markers).filter((m) => m !== 'givenName' && m !== 'familyName') }).toEqual({ entity, leaked: [] });
      expect(JSON.stringify(records)).not.toContain('1985-04-12');
    }
    const purpose = { ...client.headers, 'x-purpose': 'ELIG' };
    for (const path of [`/api/v1/persons/${household.members[0].person_id}`, `/api/v1/households/${household.id}`, `/api/v1/persons?identifier_type=UIN&identifier_value=${markers.uin}`]) {
      const res = await t.get(path, { headers: purpose });
      count('exposure');
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect({ path, leaked: leaked(res.body, markers).filter((m) => m !== 'givenName' && m !== 'familyName') }).toEqual({ path, leaked: [] });
      expect(JSON.stringify(res.body)).not.toContain('1985-04-12');
      // without a purpose the agreement does not apply: nothing
      const blind = await t.get(path, { headers: client.headers });
      count('exposure');
      expect(leaked(blind.body, markers)).toEqual([]);
    }
    // a client with no agreement at all gets no record
    const stranger = await aClient(t, ['program_officer']);
    const res = await t.post('/registry/sync/search', searchMessage(stranger.clientId, [searchItem('r', idQuery(markers.uin))]), { headers: stranger.headers });
    count('exposure');
    expect(leaked(res.body, markers)).toEqual([]);
  });

  it('keeps personal data out of audit entries', async () => {
    // reads, a change, a search by identifier, a failed duplicate registration naming the UIN
    await t.get(`/api/v1/persons/${household.members[0].person_id}`, { headers: admin });
    await t.get(`/api/v1/persons?identifier_type=UIN&identifier_value=${markers.uin}`, { headers: admin });
    await t.get(`/api/v1/persons?q=${markers.givenName}`, { headers: admin });
    const { body } = markedHousehold('AM-R1-D1');
    (body.members as { person: { identifiers: { value: string }[] } }[])[0].person.identifiers[0].value = markers.uin;
    expect((await t.post('/api/v1/households', body, { headers: admin })).status).toBe(409);
    await t.hub.audit.flush();
    const auditor = (await t.as(['auditor'])).headers;
    const entries = await t.get('/api/v1/audit?limit=500', { headers: auditor });
    count('exposure');
    expect(entries.status).toBe(200);
    expect(entries.body.items.length).toBeGreaterThan(5);
    expect(leaked(entries.body, markers)).toEqual([]);
    const raw = await t.hub.db.query<{ row: string }>('select a::text as row from audit_log a');
    count('exposure', raw.length);
    expect(leaked(raw.map((r) => r.row).join('\n'), markers)).toEqual([]);
  });
});
