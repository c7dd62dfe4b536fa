import { entryHash, type AuditRecord } from '../../../core/audit/chain.js';
import type { Db } from '../../../core/db/index.js';
import { aHousehold, aPerson } from '../../helpers/registry-data.js';
import { dbEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

type Headers = Record<string, string>;

/** Runs SQL as a DBA would, with the append-only triggers off for the length of one transaction. */
async function asDba(db: Db, sql: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('alter table audit_log disable trigger user');
    await tx.query(sql);
    await tx.query('alter table audit_log enable trigger user');
  });
}

describe.each(dbEngines())('audit log on %s', (db) => {
  let t: TestHub;
  let officer: Headers; // registry_officer limited to AM-R1
  let officerId: string;
  let elsewhere: Headers; // registry_officer limited to AM-R2
  let auditor: Headers;
  let household: any;

  const entries = async (query: Record<string, string>): Promise<AuditRecord[]> => {
    const res = await t.get(`/api/v1/audit?${new URLSearchParams({ limit: '500', ...query })}`, { headers: auditor });
    expect(res.status).toBe(200);
    return res.body.items;
  };
  const verify = async () => (await t.get('/api/v1/audit/verify', { headers: auditor })).body;

  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_AUTH: 'on' } });
    const admin = (await t.as(['administrator'])).headers;
    for (const region of ['AM-R1', 'AM-R2']) {
      await t.post('/api/v1/admin-areas', { code: region, name: `Region ${region}` }, { headers: admin });
      await t.post('/api/v1/admin-areas', { code: `${region}-D1`, name: 'District 1', parent_code: region }, { headers: admin });
    }
    const o = await t.as(['registry_officer'], ['AM-R1']);
    officer = o.headers;
    officerId = `user:${o.username}`;
    elsewhere = (await t.as(['registry_officer'], ['AM-R2'])).headers;
    auditor = (await t.as(['auditor'])).headers;
    const created = await t.post('/api/v1/households', aHousehold('AM-R1-D1'), { headers: officer });
    expect(created.status).toBe(201);
    household = created.body;
  });
  afterAll(() => t.stop());

  it('records a read with who, why, which fields, from where and the request', async () => {
    const head = household.head_person_id;
    const read = await t.get(`/api/v1/persons/${head}`, { headers: { ...officer, 'x-purpose': 'eligibility check, case 42' } });
    expect(read.status).toBe(200);
    const [latest] = await entries({ subject_person_id: head, action: 'read' });
    expect(latest).toMatchObject({
      actor: officerId,
      actor_kind: 'user',
      action: 'read',
      entity: 'person',
      entity_id: head,
      subject_person_id: head,
      purpose: 'eligibility check, case 42',
      outcome: 'success',
      request_id: read.headers.get('x-request-id'),
      details: null,
    });
    expect(latest.fields).toEqual(expect.arrayContaining(['given_name', 'birth_date', 'phone', 'identifiers', 'household']));
    expect(latest.ip).toMatch(/127\.0\.0\.1$/);
  });

  it('records the registration of a household: each person created, and the household for each member', async () => {
    const members = household.members.map((m: { person_id: string }) => m.person_id);
    const created = await entries({ entity: 'household', entity_id: household.id, action: 'create' });
    expect(created.map((e) => e.subject_person_id).sort()).toEqual([...members].sort());
    expect(created[0]).toMatchObject({ actor: officerId, outcome: 'success', purpose: null });
    expect(created[0].fields).toEqual(expect.arrayContaining(['address', 'location', 'area_code', 'members', 'head_person_id']));
    const [person] = await entries({ entity: 'person', entity_id: members[2], action: 'create' });
    // Zawadi was registered with names, sex, an estimated birth date and no identifier: the hub issued one
    expect(person.fields!.sort()).toEqual(['birth_date', 'birth_date_estimated', 'family_name', 'given_name', 'identifiers', 'sex']);
  });

  it('records a change with the fields that changed, in the same transaction', async () => {
    const head = household.head_person_id;
    const current = (await t.get(`/api/v1/persons/${head}`, { headers: officer })).body;
    const changed = await t.patch(`/api/v1/persons/${head}`, { phone: '+254 700 000 001' }, { headers: officer, ifMatch: current.version });
    expect(changed.status).toBe(200);
    const [update] = await entries({ entity_id: head, action: 'update' });
    expect(update).toMatchObject({ entity: 'person', subject_person_id: head, fields: ['phone'], request_id: changed.headers.get('x-request-id') });

    const moved = await t.patch(`/api/v1/households/${household.id}`, { address: 'Plot 14' }, { headers: officer, ifMatch: household.version });
    expect(moved.status).toBe(200);
    household = moved.body;
    const updates = await entries({ entity: 'household', entity_id: household.id, action: 'update' });
    expect(updates).toHaveLength(3);
    expect(updates.every((e) => e.fields!.join() === 'address')).toBe(true);

    // a refused change leaves no entry: it rolled back with the change
    const stale = await t.patch(`/api/v1/households/${household.id}`, { address: 'Plot 15' }, { headers: officer, ifMatch: 1 });
    expect(stale.status).toBe(412);
    expect(await entries({ entity: 'household', entity_id: household.id, action: 'update' })).toHaveLength(3);
  });

  it('records a household read for each member, and a list for each person or household returned', async () => {
    const read = await t.get(`/api/v1/households/${household.id}`, { headers: officer });
    const reads = await entries({ entity: 'household', entity_id: household.id, action: 'read' });
    expect(reads.filter((e) => e.request_id === read.headers.get('x-request-id')).map((e) => e.subject_person_id).sort()).toEqual(
      household.members.map((m: { person_id: string }) => m.person_id).sort(),
    );

    const list = await t.get('/api/v1/persons?family_name=Okello&limit=2', { headers: officer });
    const listed = (await entries({ action: 'read', entity: 'person' })).filter((e) => e.request_id === list.headers.get('x-request-id'));
    expect(listed.map((e) => e.subject_person_id).sort()).toEqual(list.body.items.map((p: { id: string }) => p.id).sort());

    const households = await t.get('/api/v1/households?limit=10', { headers: officer });
    const summaries = (await entries({ action: 'read', entity: 'household' })).filter((e) => e.request_id === households.headers.get('x-request-id'));
    expect(summaries).toHaveLength(3); // one household in AM-R1, three members
    expect(summaries[0].fields).not.toContain('members');
  });

  it('records a miss (absent, or outside the caller\'s areas) as denied, naming no one', async () => {
    const absent = '01890000-0000-7000-8000-0000000000aa';
    expect((await t.get(`/api/v1/persons/${absent}`, { headers: officer })).status).toBe(404);
    expect(await entries({ entity_id: absent })).toMatchObject([{ action: 'read', outcome: 'denied', subject_person_id: null, actor: officerId }]);

    const head = household.head_person_id;
    expect((await t.get(`/api/v1/persons/${head}`, { headers: elsewhere })).status).toBe(404);
    const [denied] = await entries({ entity_id: head, outcome: 'denied' });
    expect(denied).toMatchObject({ action: 'read', entity: 'person', subject_person_id: null });
    // the person's access log shows what was done with their data, not attempts that disclosed nothing
    const log = await t.get(`/api/v1/persons/${head}/access-log?limit=500`, { headers: officer });
    expect(log.body.items.some((e: { outcome: string }) => e.outcome === 'denied')).toBe(false);
  });

  it('shows a person who read or changed their data, and nothing about anyone else', async () => {
    const [head, husband] = household.members.map((m: { person_id: string }) => m.person_id);
    await t.get(`/api/v1/persons/${husband}`, { headers: { ...officer, 'x-purpose': 'home visit' } });
    await t.get(`/api/v1/persons/${head}/history`, { headers: { ...officer, 'x-purpose': 'appeal' } });
    const log = await t.get(`/api/v1/persons/${head}/access-log?limit=500`, { headers: officer });
    expect(log.status).toBe(200);
    const items = log.body.items as { entity: string; entity_id: string; action: string; purpose: string | null; fields: string[] }[];
    expect(items[0]).toMatchObject({ actor: officerId, action: 'read', entity: 'person', entity_id: head, purpose: 'appeal', fields: ['history'] });
    expect(items.map((e) => e.action)).toEqual(expect.arrayContaining(['create', 'read', 'update']));
    // through their record, their household, or an auditor's search of the log about them
    expect(items.filter((e) => e.entity !== 'audit_log' && ![head, household.id].includes(e.entity_id))).toEqual([]);
    expect(items.filter((e) => e.entity === 'audit_log')).toMatchObject([{ action: 'read', actor_kind: 'user' }]);
    expect(items.some((e) => e.purpose === 'home visit')).toBe(false);

    // area scoping as for the person; and the audit scope alone does not open the registry
    expect((await t.get(`/api/v1/persons/${head}/access-log`, { headers: elsewhere })).status).toBe(404);
    expect((await t.get(`/api/v1/persons/${head}/access-log`, { headers: auditor })).status).toBe(403);
    // looking at the access log is itself recorded, about that person
    const [looked] = await entries({ entity: 'access_log', entity_id: head, outcome: 'success' });
    expect(looked).toMatchObject({ action: 'read', subject_person_id: head, actor: officerId });
  });

  it('keeps the log to callers with audit.read, filters and pages it, and records who looked', async () => {
    expect((await t.get('/api/v1/audit', { headers: officer })).status).toBe(403);
    expect((await t.get('/api/v1/audit/verify', { headers: officer })).status).toBe(403);

    const page1 = await t.get(`/api/v1/audit?actor=${encodeURIComponent(officerId)}&limit=2`, { headers: auditor });
    expect(page1.body.items).toHaveLength(2);
    const page2 = await t.get(`/api/v1/audit?actor=${encodeURIComponent(officerId)}&limit=2&cursor=${page1.body.next_cursor}`, { headers: auditor });
    const ids = [...page1.body.items, ...page2.body.items].map((e: AuditRecord) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(4);
    expect((await t.get('/api/v1/audit?cursor=bm9wZQ', { headers: auditor })).status).toBe(400);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await entries({ from: future })).toEqual([]);
    const lastMinute = await entries({ from: new Date(Date.now() - 60_000).toISOString(), to: future, actor: officerId });
    expect(lastMinute.length).toBeGreaterThan(0);

    const [looked] = await entries({ entity: 'audit_log', action: 'read' });
    expect(looked.actor_kind).toBe('user');
    // the newest is the search just before (each search is recorded once its page is out)
    expect(looked.details).toEqual({ filters: ['actor', 'from', 'to'], entries: lastMinute.length });
  });

  it('verifies the chain; a row changed in the database is named, also with its hash recomputed', async () => {
    const intact = await verify();
    expect(intact).toMatchObject({ valid: true, head: { id: intact.entries } });
    expect(intact.entries).toBeGreaterThan(20);

    const [victim] = await entries({ entity: 'person', action: 'read', outcome: 'success' });
    const k = victim.id;
    await asDba(t.hub.db, `update audit_log set purpose = 'nothing to see' where id = ${k}`);
    expect(await verify()).toMatchObject({ valid: false, entries_checked: k - 1, first_broken: { id: k, reason: 'hash_mismatch' } });

    // a DBA who knows the algorithm recomputes the row's hash: the next entry no longer links to it
    const { hash: _h, ...content } = { ...victim, purpose: 'nothing to see' };
    await asDba(t.hub.db, `update audit_log set hash = '${entryHash(content)}' where id = ${k}`);
    expect(await verify()).toMatchObject({ valid: false, first_broken: { id: k + 1, reason: 'link_mismatch' } });

    // put it back as it was: the chain holds again
    const purpose = victim.purpose === null ? 'null' : `'${victim.purpose}'`;
    await asDba(t.hub.db, `update audit_log set purpose = ${purpose}, hash = '${victim.hash}' where id = ${k}`);
    expect(await verify()).toMatchObject({ valid: true });
  });

  it('names the gap a deleted row leaves', async () => {
    const [victim] = await entries({ action: 'create', entity: 'person' });
    const k = victim.id;
    await t.hub.db.execScript(`create table audit_saved as select * from audit_log where id = ${k}`);
    await asDba(t.hub.db, `delete from audit_log where id = ${k}`);
    expect(await verify()).toMatchObject({ valid: false, entries_checked: k - 1, first_broken: { id: k, reason: 'missing' } });
    await t.hub.db.execScript('insert into audit_log select * from audit_saved; drop table audit_saved');
    expect(await verify()).toMatchObject({ valid: true });
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the log in the database itself', async () => {
    await expect(t.hub.db.query("update audit_log set purpose = 'x' where id = 1")).rejects.toThrow(/append-only/);
    await expect(t.hub.db.query('delete from audit_log where id = 1')).rejects.toThrow(/append-only/);
    await expect(t.hub.db.query('truncate audit_log')).rejects.toThrow(/append-only/);
    expect(await verify()).toMatchObject({ valid: true });
  });

  it('records each of 200 concurrent reads exactly once, and the chain holds', async () => {
    const person = household.members[2].person_id;
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => t.get(`/api/v1/persons/${person}`, { headers: { ...officer, 'x-request-id': `burst-${i}` } })),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const burst = (await entries({ entity_id: person, action: 'read' })).filter((e) => e.request_id.startsWith('burst-'));
    expect(burst).toHaveLength(200);
    expect(new Set(burst.map((e) => e.request_id)).size).toBe(200);
    expect(await verify()).toMatchObject({ valid: true });
  });

  it('records an admin action with the area it created', async () => {
    const admin = await t.as(['administrator']);
    await t.post('/api/v1/admin-areas', { code: 'AM-R3', name: 'Region 3' }, { headers: admin.headers });
    expect(await entries({ entity: 'admin_area', entity_id: 'AM-R3' })).toMatchObject([
      { action: 'admin', actor: `user:${admin.username}`, subject_person_id: null, outcome: 'success' },
    ]);
  });
});

describe('audit log without bearer tokens (SRHUB_AUTH=off)', () => {
  it('records the open-access principal', async () => {
    const t = await startTestHub();
    try {
      await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'Region' });
      const created = await t.post('/api/v1/persons', aPerson());
      const items = (await t.get(`/api/v1/audit?subject_person_id=${created.body.id}`)).body.items;
      expect(items).toMatchObject([{ action: 'create', actor: 'anonymous', actor_kind: 'system' }]);
    } finally {
      await t.stop();
    }
  });
});
