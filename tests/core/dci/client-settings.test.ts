// Each API client's DCI settings: the admin API (validation, audit, permissions) and the sender keys the hub
// verifies a client's signatures with (inline JWKS, or a jwks_uri fetched and cached).
import { createHash, webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { loadConfig } from '../../../core/config.js';
import { openPglite } from '../../../core/db/pglite.js';
import { dciClientSettings, putDciSettings, senderKeys, verifySender } from '../../../core/dci/client-settings.js';
import { runSrhub } from '../../helpers/hub-process.js';
import { copyPgliteTemplate } from '../../helpers/pglite-template.js';
import { cacheEngines } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

const header = { message_id: 'm-1', message_ts: '2026-11-25T10:00:00Z', action: 'search', sender_id: 'spmis-dci', total_count: 1 };
const message = { transaction_id: 't-1', search_request: [] };

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A client's signature string, made with WebCrypto only. */
async function sign(key: CryptoKey, kid: string): Promise<string> {
  const created = Math.floor(Date.now() / 1000);
  const digest = createHash('sha256').update(canonical({ header, message })).digest('base64');
  const data = new TextEncoder().encode(`(created): ${created}\n(expires): ${created + 300}\ndigest: ${digest}`);
  const signature = Buffer.from(await webcrypto.subtle.sign('Ed25519', key as webcrypto.CryptoKey, data)).toString('base64');
  return `namespace="dci", kidId="${header.sender_id}|${kid}|ed25519", algorithm="ed25519", created="${created}", expires="${created + 300}", headers="(created) (expires) digest", signature="${signature}"`;
}

async function edKey(kid: string): Promise<{ privateKey: CryptoKey; publicJwk: JWK; privateJwk: JWK }> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid }, privateJwk: { ...(await exportJWK(pair.privateKey)), kid } };
}

const fieldsOf = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);

describe.each(cacheEngines())('DCI client settings (cache: %s)', (cache) => {
  let t: TestHub;
  let admin: Record<string, string>;
  let signer: Awaited<ReturnType<typeof edKey>>;
  let rsaPublic: JWK;
  let rsaPrivate: JWK;
  const put = (clientId: string, body: unknown, headers = admin) => t.request('PUT', `/api/v1/clients/${clientId}/dci`, body, { headers });

  beforeAll(async () => {
    t = await startTestHub({ cache, env: { SRHUB_AUTH: 'on' } });
    admin = (await t.as(['administrator'])).headers;
    for (const id of ['spmis-dci', 'spmis-uri', 'spmis-down']) await t.post('/api/v1/clients', { client_id: id, name: id, roles: ['dci_client'] }, { headers: admin });
    signer = await edKey('spmis-1');
    const rsa = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    rsaPublic = { ...(await exportJWK(rsa.publicKey)), kid: 'spmis-enc' };
    rsaPrivate = { ...(await exportJWK(rsa.privateKey)), kid: 'spmis-enc' };
  });
  afterAll(() => t.stop());

  it('shows nothing set for a client without settings, and 404 for no such client', async () => {
    const { status, body } = await t.get('/api/v1/clients/spmis-dci/dci', { headers: admin });
    expect(status).toBe(200);
    expect(body).toEqual({ client_id: 'spmis-dci', callback_url: null, jwks_uri: null, jwks: null, encryption_jwk: null, require_signature: false, encrypt_responses: false, updated_by: null, updated_at: null });
    expect((await t.get('/api/v1/clients/nobody/dci', { headers: admin })).status).toBe(404);
    expect((await put('nobody', { callback_url: 'https://x.example.org' })).status).toBe(404);
    expect(await dciClientSettings(t.hub.db, 'nobody')).toBeUndefined();
  });

  it('stores, shows and replaces the settings, and audits which fields were set (not their values)', async () => {
    const settings = { callback_url: 'https://spmis.example.org/dci', jwks: { keys: [signer.publicJwk] }, encryption_jwk: rsaPublic, require_signature: true, encrypt_responses: true };
    const saved = await put('spmis-dci', settings);
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ client_id: 'spmis-dci', ...settings });
    expect(saved.body.updated_by).toMatch(/^user:/);
    expect((await t.get('/api/v1/clients/spmis-dci/dci', { headers: admin })).body).toEqual(saved.body);
    expect(await dciClientSettings(t.hub.db, 'spmis-dci')).toEqual({
      clientId: 'spmis-dci', callbackUrl: settings.callback_url, jwksUri: null, jwks: settings.jwks, encryptionKey: rsaPublic, requireSignature: true, encryptResponses: true,
    });

    const audit = await t.hub.db.query<{ actor: string; action: string; fields: string[]; details: unknown }>(
      `select actor, action, fields, details from audit_log where entity = 'client' and entity_id = 'spmis-dci' and 'dci.callback_url' = any(fields)`,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: saved.body.updated_by, action: 'admin' });
    expect(audit[0].fields.sort()).toEqual(['dci.callback_url', 'dci.encrypt_responses', 'dci.encryption_jwk', 'dci.jwks', 'dci.require_signature']);
    expect(JSON.stringify(audit)).not.toContain('spmis.example.org');

    // PUT replaces: what is left out is cleared
    const replaced = await put('spmis-dci', { callback_url: 'https://spmis.example.org/v2' });
    expect(replaced.body).toMatchObject({ callback_url: 'https://spmis.example.org/v2', jwks: null, encryption_jwk: null, require_signature: false, encrypt_responses: false });
  });

  it('refuses private keys, naming the field', async () => {
    const leakedSigning = await put('spmis-dci', { jwks: { keys: [signer.publicJwk, { ...signer.privateJwk, kid: 'spmis-2' }] } });
    expect(leakedSigning.status).toBe(422);
    expect(fieldsOf(leakedSigning.body)).toEqual(['body.jwks.keys[1]']);
    const leakedEncryption = await put('spmis-dci', { encryption_jwk: rsaPrivate });
    expect(leakedEncryption.status).toBe(422);
    expect(fieldsOf(leakedEncryption.body)).toEqual(['body.encryption_jwk']);
    const secret = await put('spmis-dci', { jwks: { keys: [{ kty: 'oct', kid: 'sym', k: 'c2VjcmV0' }] } });
    expect(secret.status).toBe(400); // kty oct is not a public key type at all: the document refuses it
    const okpWithK = await put('spmis-dci', { jwks: { keys: [{ ...signer.publicJwk, k: 'c2VjcmV0' }] } });
    expect(fieldsOf(okpWithK.body)).toEqual(['body.jwks.keys[0]']);
  });

  it('refuses unusable URLs and keys, and settings that contradict each other', async () => {
    const cases: [unknown, string[]][] = [
      [{ callback_url: 'http://spmis.example.org/dci' }, ['body.callback_url']],
      [{ callback_url: 'ftp://spmis.example.org/dci' }, ['body.callback_url']],
      [{ callback_url: 'https://user:pw@spmis.example.org/dci' }, ['body.callback_url']],
      [{ jwks_uri: 'not a url' }, ['body.jwks_uri']],
      [{ jwks: { keys: [signer.publicJwk] }, jwks_uri: 'https://spmis.example.org/jwks.json' }, ['body.jwks']],
      [{ require_signature: true }, ['body.require_signature']],
      [{ encrypt_responses: true }, ['body.encrypt_responses']],
      [{ jwks: { keys: [{ ...signer.publicJwk, kid: undefined }] } }, ['body.jwks.keys[0].kid']],
      [{ jwks: { keys: [signer.publicJwk, signer.publicJwk] } }, ['body.jwks.keys[1].kid']],
      [{ jwks: { keys: [] } }, ['body.jwks.keys']],
      [{ jwks: { keys: [{ ...signer.publicJwk, x: 'AAAA' }] } }, ['body.jwks.keys[0]']],
      [{ encryption_jwk: signer.publicJwk }, ['body.encryption_jwk']],
      [{ encryption_jwk: { ...rsaPublic, use: 'sig' } }, ['body.encryption_jwk.use']],
    ];
    for (const [body, fields] of cases) {
      const res = await put('spmis-dci', body);
      expect({ body, status: res.status, fields: fieldsOf(res.body) }).toEqual({ body, status: 422, fields });
    }
    expect((await put('spmis-dci', { callback_url: 'http://localhost:9000/dci' })).status).toBe(200);
    expect((await put('spmis-dci', { callback_url: 'http://127.0.0.1:9000/dci' })).status).toBe(200);
    expect((await put('spmis-dci', { webhook: 'https://x.example.org' })).status).toBe(400);
  });

  it('takes http callbacks anywhere only when SRHUB_DCI_ALLOW_HTTP_CALLBACKS is on (demos)', async () => {
    expect(loadConfig({ SRHUB_DCI_ALLOW_HTTP_CALLBACKS: 'true' }).dciAllowHttpCallbacks).toBe(true);
    expect(loadConfig({}).dciAllowHttpCallbacks).toBe(false);
    const saved = await putDciSettings(t.hub.db, { dciAllowHttpCallbacks: true }, 'spmis-dci', { callback_url: 'http://spmis.demo:8080/dci' }, 'test');
    expect(saved.callback_url).toBe('http://spmis.demo:8080/dci');
    await expect(putDciSettings(t.hub.db, { dciAllowHttpCallbacks: false }, 'spmis-dci', { callback_url: 'http://spmis.demo:8080/dci' }, 'test')).rejects.toMatchObject({ status: 422 });
  });

  it('is for administrators (users.manage) only', async () => {
    for (const role of ['registry_officer', 'program_officer', 'dci_client']) {
      const { headers } = await t.as([role]);
      expect((await t.get('/api/v1/clients/spmis-dci/dci', { headers })).status).toBe(403);
      expect((await put('spmis-dci', { callback_url: 'https://evil.example.org' }, headers)).status).toBe(403);
    }
    expect((await t.request('PUT', '/api/v1/clients/spmis-dci/dci', {})).status).toBe(401);
  });

  describe('sender keys', () => {
    let server: Server;
    let served: { keys: JWK[] };
    let fetches = 0;
    let uri: string;
    const ctx = () => ({ cache: t.hub.cache, log: t.hub.log, config: t.hub.config });

    beforeAll(async () => {
      served = { keys: [signer.publicJwk] };
      server = createServer((_req, res) => {
        fetches += 1;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(served));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('uses the inline JWKS as it is', async () => {
      await put('spmis-dci', { jwks: { keys: [signer.publicJwk] }, require_signature: true });
      const settings = (await dciClientSettings(t.hub.db, 'spmis-dci'))!;
      expect(await senderKeys(ctx(), settings)).toEqual({ keys: [signer.publicJwk] });
      const envelope = { header, message, signature: await sign(signer.privateKey, 'spmis-1') };
      expect(await verifySender(ctx(), settings, envelope)).toMatchObject({ ok: true, kid: 'spmis-1' });
      expect(await verifySender(ctx(), settings, { header, message })).toMatchObject({ ok: false, code: 'err.signature.missing' });
    });

    it('fetches a jwks_uri once, then again for a new kid at most once a minute', async () => {
      expect((await put('spmis-uri', { jwks_uri: uri, require_signature: true })).status).toBe(200);
      const settings = (await dciClientSettings(t.hub.db, 'spmis-uri'))!;
      const first = { header, message, signature: await sign(signer.privateKey, 'spmis-1') };
      expect(await verifySender(ctx(), settings, first)).toMatchObject({ ok: true, kid: 'spmis-1' });
      expect(await verifySender(ctx(), settings, first)).toMatchObject({ ok: true });
      expect(fetches).toBe(1);

      // the client rotates: a signature with the new kid makes the hub look again
      const next = await edKey('spmis-2');
      served = { keys: [signer.publicJwk, next.publicJwk] };
      expect(await verifySender(ctx(), settings, { header, message, signature: await sign(next.privateKey, 'spmis-2') })).toMatchObject({ ok: true, kid: 'spmis-2' });
      expect(fetches).toBe(2);
      // a kid that is still unknown does not make the hub fetch again within the minute
      const stranger = await edKey('spmis-9');
      expect(await verifySender(ctx(), settings, { header, message, signature: await sign(stranger.privateKey, 'spmis-9') })).toMatchObject({ ok: false, code: 'err.signature.invalid' });
      expect(fetches).toBe(2);
      // unsigned: no fetch needed to refuse it
      expect(await verifySender(ctx(), settings, { header, message })).toMatchObject({ ok: false, code: 'err.signature.missing' });
      expect(fetches).toBe(2);
    });

    it('refuses a signed message from a client without registered keys, and takes its unsigned ones', async () => {
      await put('spmis-dci', { callback_url: 'https://spmis.example.org/dci' });
      const settings = (await dciClientSettings(t.hub.db, 'spmis-dci'))!;
      const check = await verifySender(ctx(), settings, { header, message, signature: await sign(signer.privateKey, 'spmis-1') });
      expect(check).toMatchObject({ ok: false, code: 'err.signature.invalid' });
      expect((check as { message: string }).message).toMatch(/no keys registered/);
      expect(await verifySender(ctx(), settings, { header, message })).toEqual({ ok: true, kid: null, form: 'none' });
    });

    it('keeps private keys a jwks_uri publishes by mistake out of use', async () => {
      served = { keys: [signer.privateJwk] };
      const settings = { ...(await dciClientSettings(t.hub.db, 'spmis-uri'))!, clientId: 'spmis-uri-private' };
      expect(await senderKeys(ctx(), settings)).toEqual({ keys: [] });
    });

    it('refuses a signature it cannot check because the jwks_uri does not answer', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const deadUri = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      await put('spmis-down', { jwks_uri: deadUri, require_signature: true });
      const settings = (await dciClientSettings(t.hub.db, 'spmis-down'))!;
      const check = await verifySender(ctx(), settings, { header, message, signature: await sign(signer.privateKey, 'spmis-1') });
      expect(check).toMatchObject({ ok: false, code: 'err.signature.invalid' });
      expect((check as { message: string }).message).toMatch(/jwks_uri/);
    });
  });
});

describe('srhub client create with DCI settings', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-dci-cli-'));
    // a migrated copy: the command would otherwise create PGlite from nothing (initdb and every migration)
    await copyPgliteTemplate(path.join(dataDir, 'pglite'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('registers the client with its settings, or neither when a setting is unusable', async () => {
    const env = { SRHUB_DATA_DIR: dataDir };
    const bad = runSrhub(['client', 'create', '--client-id', 'spmis-bad', '--name', 'S', '--roles', 'dci_client', '--dci-callback-url', 'http://spmis.example.org/dci'], env);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/callback_url must be an https URL/);
    const good = runSrhub(['client', 'create', '--client-id', 'spmis-cli', '--name', 'S', '--roles', 'dci_client',
      '--dci-callback-url', 'https://spmis.example.org/dci', '--dci-jwks-uri', 'https://spmis.example.org/jwks.json', '--dci-require-signature'], env);
    expect(await good.exited).toBe(0);

    const db = await openPglite(path.join(dataDir, 'pglite'));
    try {
      expect(await dciClientSettings(db, 'spmis-bad')).toBeUndefined();
      expect(await dciClientSettings(db, 'spmis-cli')).toEqual({
        clientId: 'spmis-cli', callbackUrl: 'https://spmis.example.org/dci', jwksUri: 'https://spmis.example.org/jwks.json', jwks: null,
        encryptionKey: null, requireSignature: true, encryptResponses: false,
      });
    } finally {
      await db.close();
    }
  });
});
