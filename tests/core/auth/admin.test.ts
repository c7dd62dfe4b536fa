import { generateKeyPair, exportJWK } from 'jose';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

describe('administration of users, clients and roles', () => {
  let t: TestHub;
  let admin: Record<string, string>;
  beforeAll(async () => {
    t = await startTestHub({ env: { SRHUB_AUTH: 'on' } });
    admin = (await t.as(['administrator'])).headers;
    await t.post('/api/v1/admin-areas', { code: 'AD1', name: 'Area 1' }, { headers: admin });
  });
  afterAll(() => t.stop());

  it('creates, reads, changes and lists users, never showing a password hash', async () => {
    const created = await t.post('/api/v1/users', { username: 'grace', display_name: 'Grace', roles: ['field_worker'], areas: ['AD1'], password: 'a-long-password-1' }, { headers: admin });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'grace', roles: ['field_worker'], areas: ['AD1'], must_change_password: false, disabled: false });
    expect(created.body.one_time_password).toBeUndefined();
    const changed = await t.patch(`/api/v1/users/${created.body.id}`, { roles: ['registry_officer'], areas: null }, { headers: admin });
    expect(changed.body).toMatchObject({ roles: ['registry_officer'], areas: null });
    const listed = (await t.get('/api/v1/users', { headers: admin })).body.items;
    expect(listed.map((u: { username: string }) => u.username)).toContain('grace');
    expect(JSON.stringify(listed)).not.toContain('scrypt');
  });

  it('refuses unknown roles and areas, taken usernames, and unknown users', async () => {
    const badRole = await t.post('/api/v1/users', { username: 'x1', roles: ['wizard'] }, { headers: admin });
    expect(badRole.status).toBe(422);
    expect(badRole.body.errors[0].field).toBe('body.roles');
    const badArea = await t.post('/api/v1/users', { username: 'x2', roles: ['field_worker'], areas: ['NOWHERE'] }, { headers: admin });
    expect(badArea.status).toBe(422);
    await t.post('/api/v1/users', { username: 'taken', roles: ['auditor'] }, { headers: admin });
    expect((await t.post('/api/v1/users', { username: 'taken', roles: ['auditor'] }, { headers: admin })).status).toBe(409);
    expect((await t.get('/api/v1/users/01890000-0000-7000-8000-000000000000', { headers: admin })).status).toBe(404);
    expect((await t.post('/api/v1/users', { username: 'Bad Name', roles: ['auditor'] }, { headers: admin })).status).toBe(400);
  });

  it('resets a password to a one-time password', async () => {
    const { body } = await t.post('/api/v1/users', { username: 'forgetful', roles: ['auditor'], password: 'a-long-password-2' }, { headers: admin });
    const reset = await t.post(`/api/v1/users/${body.id}/password-reset`, undefined, { headers: admin });
    expect(reset.body.one_time_password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect((await t.get(`/api/v1/users/${body.id}`, { headers: admin })).body.must_change_password).toBe(true);
  });

  it('registers clients with a secret or a public key, and refuses a private key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const withKey = await t.post('/api/v1/clients', { client_id: 'gis', name: 'GIS', roles: ['dci_client'], public_jwk: await exportJWK(publicKey) }, { headers: admin });
    expect(withKey.body.auth_methods).toEqual(['private_key_jwt']);
    const leaked = await t.post('/api/v1/clients', { client_id: 'leak', name: 'Leak', roles: ['dci_client'], public_jwk: await exportJWK(privateKey) }, { headers: admin });
    expect(leaked.status).toBe(422);
    expect(leaked.body.errors[0].field).toBe('body.public_jwk');
    const disabled = await t.patch('/api/v1/clients/gis', { disabled: true }, { headers: admin });
    expect(disabled.body.disabled).toBe(true);
    expect((await t.get('/api/v1/clients/nope', { headers: admin })).status).toBe(404);
  });

  it('adds roles with known scopes; built-in roles cannot change', async () => {
    const role = await t.post('/api/v1/roles', { name: 'data_steward', description: 'Fixes data', scopes: ['registry.read', 'registry.write'] }, { headers: admin });
    expect(role.status).toBe(201);
    expect((await t.post('/api/v1/roles', { name: 'bad_role', description: 'x', scopes: ['everything'] }, { headers: admin })).status).toBe(422);
    expect((await t.patch('/api/v1/roles/administrator', { scopes: ['reports.read'] }, { headers: admin })).status).toBe(409);
    const updated = await t.patch('/api/v1/roles/data_steward', { scopes: ['registry.read'] }, { headers: admin });
    expect(updated.body.scopes).toEqual(['registry.read']);
    const steward = await t.as(['data_steward']);
    expect((await t.get('/api/v1/me', { headers: steward.headers })).body.scopes).toEqual(['registry.read']);
    const roles = (await t.get('/api/v1/roles', { headers: admin })).body.items.map((r: { name: string }) => r.name);
    expect(roles).toEqual(expect.arrayContaining(['administrator', 'auditor', 'data_steward', 'dci_client', 'field_worker', 'policymaker', 'program_officer', 'registry_officer']));
  });
});

describe('administrative changes in the audit log', () => {
  it('records who changed which account, without secrets', async () => {
    const t = await startTestHub({ env: { SRHUB_AUTH: 'on' } });
    try {
      const admin = await t.as(['administrator']);
      const user = (await t.post('/api/v1/users', { username: 'audited', roles: ['auditor'], password: 'a-long-password-3' }, { headers: admin.headers })).body;
      await t.patch(`/api/v1/users/${user.id}`, { disabled: true }, { headers: admin.headers });
      await t.post('/api/v1/clients', { client_id: 'audited-client', name: 'A', roles: ['dci_client'] }, { headers: admin.headers });
      await t.post('/api/v1/clients/audited-client/secret', undefined, { headers: admin.headers });
      const rows = await t.hub.db.query<{ actor: string; action: string; entity: string; entity_id: string; fields: string[] }>(
        `select actor, action, entity, entity_id, fields from audit_log where action = 'admin' and entity in ('user', 'client') order by id`,
      );
      expect(rows).toEqual([
        { actor: `user:${admin.username}`, action: 'admin', entity: 'user', entity_id: user.id, fields: ['username', 'roles'] },
        { actor: `user:${admin.username}`, action: 'admin', entity: 'user', entity_id: user.id, fields: ['disabled'] },
        { actor: `user:${admin.username}`, action: 'admin', entity: 'client', entity_id: 'audited-client', fields: ['client_id', 'name', 'roles'] },
        { actor: `user:${admin.username}`, action: 'admin', entity: 'client', entity_id: 'audited-client', fields: ['client_secret'] },
      ]);
      const dump = JSON.stringify(await t.hub.db.query('select * from audit_log'));
      expect(dump).not.toContain('a-long-password-3');
    } finally {
      await t.stop();
    }
  });
});
