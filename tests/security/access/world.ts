// The world of the access-attack tests (OWASP API Security Top 10, issue 11): one hub with authentication on, two
// regions, a household and everything that hangs off it (consents, a registration case, a change request, a duplicate
// pair, a sync conflict, an attachment, a simulation, an eligibility row) in AM-R2, and callers limited to AM-R1.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ALL_SCOPES } from '../../../core/server/principal.js';
import { uuidv7 } from '../../../core/ids.js';
import { aHousehold, aPerson, uin } from '../../helpers/registry-data.js';
import { apiEngines, redisUrl } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

export const BUILTIN_ROLES = ['administrator', 'registry_officer', 'field_worker', 'program_officer', 'policymaker', 'auditor', 'dci_client', 'beneficiary'];
export const DEFAULT_FORM = 'household-socioeconomic';

/** The victim's personal data: none of it may appear in an answer to someone who may not see it. */
export interface Markers {
  givenName: string;
  familyName: string;
  uin: string;
  address: string;
  phone: string;
}

export interface Victim {
  householdId: string;
  householdVersion: number;
  headId: string;
  headVersion: number;
  spouseId: string;
  consentId: string;
  caseId: string;
  changeRequestId: string;
  pairId: string;
  conflictId: string;
  attachment: string;
  simulationId: string;
  programId: string;
  markers: Markers;
}

export interface World {
  t: TestHub;
  admin: Record<string, string>;
  /** A user holding every scope of the hub, limited to AM-R1: the strongest caller who must not see AM-R2. */
  everything: Record<string, string>;
  victim: Victim;
}

const word = () => `Zq${randomBytes(4).toString('hex')}`;
export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export const worldEngine = () => apiEngines()[0];

/** The hub (PostgreSQL + Redis where they run) with the test areas AM-R1(-D1) and AM-R2(-D1). */
export async function accessHub(env: Record<string, string> = {}): Promise<{ t: TestHub; admin: Record<string, string> }> {
  const db = worldEngine();
  const t = await startTestHub({
    db,
    cache: db === 'postgres' && redisUrl() ? 'redis' : 'memory',
    env: { SRHUB_AUTH: 'on', SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000', SRHUB_RATE_LIMIT_PER_MINUTE: '1000000', ...env },
  });
  const admin = (await t.as(['administrator'])).headers;
  for (const region of ['AM-R1', 'AM-R2']) {
    await expectOk(t.post('/api/v1/admin-areas', { code: region, name: `Region ${region}` }, { headers: admin }));
    await expectOk(t.post('/api/v1/admin-areas', { code: `${region}-D1`, name: 'District 1', parent_code: region }, { headers: admin }));
  }
  return { t, admin };
}

export async function expectOk<T extends { status: number; body: any }>(pending: Promise<T>): Promise<T> {
  const res = await pending;
  if (res.status >= 300) throw new Error(`fixture request failed: ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`);
  return res;
}

/** A household of two with unique names, a UIN, a phone and an address, in `area`. */
export function markedHousehold(area: string): { body: Record<string, unknown>; markers: Markers } {
  const markers: Markers = { givenName: word(), familyName: word(), uin: uin(), address: `Plot ${word()}`, phone: `+2547${String(Date.now()).slice(-8)}` };
  const body = aHousehold(area, {
    address: markers.address,
    members: [
      { relationship: 'SELF', person: aPerson({ given_name: markers.givenName, family_name: markers.familyName, phone: markers.phone, identifiers: [{ type: 'UIN', value: markers.uin }] }) },
      { relationship: 'HUSB', person: aPerson({ given_name: word(), family_name: markers.familyName, sex: 'male', birth_date: '1980-01-30' }) },
    ],
  });
  return { body, markers };
}

/** Uploads an attachment in one chunk as these headers' principal. */
export async function upload(t: TestHub, headers: Record<string, string>, content: Buffer, mediaType = 'image/jpeg'): Promise<string> {
  const hash = sha256(content);
  const res = await fetch(`${t.url}/api/v1/sync/attachments/${hash}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0', 'upload-length': String(content.length), 'upload-media-type': mediaType, connection: 'close' },
    body: new Uint8Array(content),
  });
  if (res.status !== 200) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return hash;
}

/** A sync update of a household's address naming attachments, pushed as these headers' principal. */
export function addressPush(householdId: string, baseVersion: number, address: string, attachments: string[] = []) {
  return {
    device_id: 'access-tests',
    items: [{
      client_id: randomUUID(), captured_at: new Date().toISOString(), form: { id: DEFAULT_FORM, version: 1 }, kind: 'update',
      household_id: householdId, base_version: baseVersion, changes: { household: { address } },
      attachments: attachments.map((sha) => ({ sha256: sha, purpose: 'id_photo' })),
    }],
  };
}

/** Builds the world: the victim household in AM-R2-D1 and every record the object-level tests ask for. */
export async function buildWorld(): Promise<World> {
  const { t, admin } = await accessHub();
  await expectOk(t.post('/api/v1/roles', { name: 'everything', description: 'every scope (tests)', scopes: [...ALL_SCOPES] }, { headers: admin }));
  const everything = (await t.as(['everything'], ['AM-R1'])).headers;
  const officerR2 = (await t.as(['registry_officer'], ['AM-R2'])).headers;
  const workerR2 = (await t.as(['field_worker'], ['AM-R2'])).headers;

  const { body, markers } = markedHousehold('AM-R2-D1');
  const household = (await expectOk(t.post('/api/v1/households', body, { headers: officerR2 }))).body;
  const [headId, spouseId] = household.members.map((m: { person_id: string }) => m.person_id);

  // a consent of the head's (an agreement that asks for consent)
  const agreement = (await expectOk(t.post('/api/v1/consent/agreements', {
    code: `access-${randomBytes(3).toString('hex')}`, purpose_code: 'cash-transfer', purpose_text: { en: 'Cash transfer' }, lawful_basis: 'consent',
    categories: ['name', 'area'], recipients: ['prog-a'], controller: { name: 'Ministry' }, retention_days: 30, max_validity_days: 365,
  }, { headers: admin }))).body;
  await expectOk(t.post(`/api/v1/consent/agreements/${agreement.id}/publish`, undefined, { headers: admin }));
  const consent = (await expectOk(t.post('/api/v1/consent/consents', { agreement_id: agreement.id, person_id: headId }, { headers: officerR2 }))).body;

  // a registration case and a change request in AM-R2
  const { body: another } = markedHousehold('AM-R2-D1');
  const registration = (await expectOk(t.post('/api/v1/registrations', { household: another }, { headers: officerR2 }))).body;
  const change = (await expectOk(t.post('/api/v1/change-requests', { household_id: household.id, kind: 'update_household', changes: { household_type: 'extended' } }, { headers: officerR2 }))).body;
  await t.hub.workflow.settle();

  // an attachment named by a field worker's sync update, and a conflict: the officer changed the address meanwhile
  const attachment = await upload(t, workerR2, randomBytes(3000));
  await expectOk(t.patch(`/api/v1/households/${household.id}`, { address: `${markers.address} (officer)` }, { headers: officerR2, ifMatch: household.version }));
  await expectOk(t.post('/api/v1/sync/push', addressPush(household.id, household.version, `${markers.address} (device)`, [attachment]), { headers: workerR2 }));
  const [conflict] = await t.hub.db.query<{ id: string }>('select id from sync_conflict where household_id = $1', [household.id]);
  if (!conflict) throw new Error('fixture: the sync push made no conflict');

  // records made directly: a duplicate pair, a simulation over AM-R2, a program with the household eligible
  const [a, b] = [headId, spouseId].sort();
  const pairId = uuidv7();
  await t.hub.db.query(`insert into duplicate_pair (id, person_a, person_b, score, decision, source) values ($1, $2, $3, 12.5, 'possible_match', 'batch')`, [pairId, a, b]);
  const simulationId = uuidv7();
  await t.hub.db.query(`insert into simulation (id, name, scenario, areas, result, created_by) values ($1, 'R2', '{}', array['AM-R2'], '{}', 'user:test')`, [simulationId]);
  await t.hub.db.query(`insert into simulation_change (simulation_id, household_id, change, area_code) values ($1, $2, 'included', 'AM-R2-D1')`, [simulationId, household.id]);
  const programId = uuidv7();
  await t.hub.db.query(`insert into program (id, code, name, status, created_by, updated_by) values ($1, $2, 'R2 program', 'active', 'test', 'test')`, [programId, `p${randomBytes(4).toString('hex')}`]);
  await t.hub.db.query(`insert into household_eligibility (program_id, household_id, eligible, score, rank_key, cost) values ($1, $2, true, 1, 1, 0)`, [programId, household.id]);

  const current = (await expectOk(t.get(`/api/v1/households/${household.id}`, { headers: admin }))).body;
  const head = (await expectOk(t.get(`/api/v1/persons/${headId}`, { headers: admin }))).body;
  return {
    t,
    admin,
    everything,
    victim: {
      householdId: household.id, householdVersion: current.version, headId, headVersion: head.version, spouseId,
      consentId: consent.consent.id, caseId: registration.id, changeRequestId: change.id, pairId, conflictId: conflict.id, attachment,
      simulationId, programId, markers,
    },
  };
}

/** The victim's personal data found in a body, if any. */
export function leaked(body: unknown, markers: Markers): string[] {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  return Object.entries(markers).filter(([, value]) => text.includes(value)).map(([name]) => name);
}

/** An order-independent fingerprint of the tables an attack could change (audit and queues left out). */
export async function fingerprint(t: TestHub, tables: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables) {
    const [row] = await t.hub.db.query<{ n: number; h: string | null }>(`select count(*)::int as n, md5(string_agg(md5(x::text), '' order by md5(x::text))) as h from ${table} x`);
    out[table] = `${row.n}:${row.h}`;
  }
  return out;
}
