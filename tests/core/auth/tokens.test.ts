import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID, createHmac } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { apiEngines } from '../../helpers/services.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function token(t: TestHub, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return t.post(path, undefined, { raw: form(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
}

describe.each(apiEngines())('tokens on %s', (db) => {
  let t: TestHub;
  let admin: Record<string, string>;
  let jwksServer: Server;
  let idp: { privateKey: CryptoKey; issuer: string };

  beforeAll(async () => {
    // an external OpenID provider: its JWKS on a real local port
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const issuer = 'https://idp.example.gov';
    idp = { privateKey, issuer };
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
    t = await startTestHub({
      db,
      env: { SRHUB_AUTH: 'on', SRHUB_TRUSTED_ISSUERS: JSON.stringify([{ issuer, jwks_uri: jwksUri, audience: 'srhub-api' }]) },
    });
    admin = (await t.as(['administrator'])).headers;
  });
  afterAll(async () => {
    await t.stop();
    await new Promise((r) => jwksServer.close(r));
  });

  it('gives a registered client a token for client_credentials (form and Basic), usable on the API', async () => {
    const created = await t.post('/api/v1/clients', { client_id: 'spmis-1', name: 'SPMIS', roles: ['dci_client'] }, { headers: admin });
    expect(created.status).toBe(201);
    const secret = created.body.client_secret;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect((await t.get('/api/v1/clients/spmis-1', { headers: admin })).body.client_secret).toBeUndefined();

    const viaForm = await token(t, '/oauth2/client/token', { grant_type: 'client_credentials', client_id: 'spmis-1', client_secret: secret });
    expect(viaForm.status).toBe(200);
    expect(viaForm.headers.get('cache-control')).toBe('no-store');
    expect(viaForm.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'registry.search' });
    const basic = Buffer.from(`spmis-1:${secret}`).toString('base64');
    const viaBasic = await token(t, '/oauth2/client/token', { grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` });
    expect(viaBasic.status).toBe(200);

    const me = await t.get('/api/v1/me', { headers: { authorization: `Bearer ${viaForm.body.access_token}` } });
    expect(me.body).toMatchObject({ id: 'client:spmis-1', kind: 'client', scopes: ['registry.search'], areas: null });
    // registry.search does not include reading persons
    expect((await t.get('/api/v1/persons', { headers: { authorization: `Bearer ${viaForm.body.access_token}` } })).status).toBe(403);
  });

  it('refuses a wrong secret, an unknown client, and a scope the client does not have, in RFC 6749 form', async () => {
    const { body } = await t.post('/api/v1/clients', { client_id: 'spmis-2', name: 'SPMIS 2', roles: ['dci_client'] }, { headers: admin });
    const wrong = await token(t, '/oauth2/client/token', { grant_type: 'client_credentials', client_id: 'spmis-2', client_secret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    expect((await token(t, '/oauth2/client/token', { grant_type: 'client_credentials', client_id: 'ghost', client_secret: 'x' })).body.error).toBe('invalid_client');
    const scope = await token(t, '/oauth2/client/token', { grant_type: 'client_credentials', client_id: 'spmis-2', client_secret: body.client_secret, scope: 'users.manage' });
    expect(scope.status).toBe(400);
    expect(scope.body.error).toBe('invalid_scope');
    expect((await token(t, '/oauth2/client/token', { grant_type: 'password', username: 'x', password: 'y' })).body.error).toBe('unsupported_grant_type');
    expect((await token(t, '/oauth2/client/token', {})).body.error).toBe('invalid_request');
  });

  it('rotates a client secret: the old one stops working at once', async () => {
    const { body } = await t.post('/api/v1/clients', { client_id: 'spmis-3', name: 'SPMIS 3', roles: ['dci_client'] }, { headers: admin });
    const rotated = await t.post('/api/v1/clients/spmis-3/secret', undefined, { headers: admin });
    expect(rotated.body.client_secret).not.toBe(body.client_secret);
    expect((await token(t, '/oauth2/client/token', { grant_type: 'client_credentials', client_id: 'spmis-3', client_secret: body.client_secret })).status).toBe(401);
    expect((await token(t, '/oauth2/client/token', { grant_type: 'client_credentials', client_id: 'spmis-3', client_secret: rotated.body.client_secret })).status).toBe(200);
  });

  it('accepts private_key_jwt assertions once, signed with the registered key and no other', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const created = await t.post('/api/v1/clients', { client_id: 'crvs', name: 'Civil registry', roles: ['dci_client'], public_jwk: await exportJWK(publicKey) }, { headers: admin });
    expect(created.body.client_secret).toBeUndefined();
    expect(created.body.auth_methods).toEqual(['private_key_jwt']);
    const assertion = (key: CryptoKey, jti = randomUUID(), exp = '2m') =>
      new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('crvs').setSubject('crvs').setAudience(`${t.url}/oauth2/client/token`)
        .setJti(jti).setIssuedAt().setExpirationTime(exp).sign(key);
    const fields = (a: string) => ({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a });
    const once = await assertion(privateKey);
    expect((await token(t, '/oauth2/client/token', fields(once))).status).toBe(200);
    expect((await token(t, '/oauth2/client/token', fields(once))).body.error).toBe('invalid_client'); // replay
    expect((await token(t, '/oauth2/client/token', fields(await assertion(other.privateKey)))).status).toBe(401);
    expect((await token(t, '/oauth2/client/token', fields(await assertion(privateKey, randomUUID(), '1h')))).status).toBe(401); // too long-lived
    expect((await token(t, '/oauth2/client/token', fields(await assertion(privateKey, randomUUID(), '-1m')))).status).toBe(401); // expired
  });

  it('signs people in with a password; a one-time password allows only changing it', async () => {
    const created = await t.post('/api/v1/users', { username: 'amina', roles: ['registry_officer'] }, { headers: admin });
    expect(created.status).toBe(201);
    const otp = created.body.one_time_password;
    expect(created.body.must_change_password).toBe(true);
    const first = await token(t, '/oauth2/token', { grant_type: 'password', username: 'amina', password: otp });
    expect(first.status).toBe(200);
    const bearer = { authorization: `Bearer ${first.body.access_token}` };
    const blocked = await t.get('/api/v1/persons', { headers: bearer });
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe('auth.password_change_required');
    expect((await t.post('/api/v1/me/password', { current_password: 'wrong', new_password: 'a-long-new-password' }, { headers: bearer })).status).toBe(400);
    expect((await t.post('/api/v1/me/password', { current_password: otp, new_password: 'short' }, { headers: bearer })).status).toBe(400);
    expect((await t.post('/api/v1/me/password', { current_password: otp, new_password: 'a-long-new-password' }, { headers: bearer })).status).toBe(204);
    expect((await token(t, '/oauth2/token', { grant_type: 'password', username: 'amina', password: otp })).body.error).toBe('invalid_grant');
    const second = await token(t, '/oauth2/token', { grant_type: 'password', username: 'amina', password: 'a-long-new-password' });
    expect((await t.get('/api/v1/persons', { headers: { authorization: `Bearer ${second.body.access_token}` } })).status).toBe(200);
  });

  it('slows down repeated password failures for one account', async () => {
    await t.post('/api/v1/users', { username: 'target', roles: ['policymaker'], password: 'the-right-password' }, { headers: admin });
    for (let i = 0; i < 10; i++) expect((await token(t, '/oauth2/token', { grant_type: 'password', username: 'target', password: `guess-${i}` })).status).toBe(400);
    const locked = await token(t, '/oauth2/token', { grant_type: 'password', username: 'target', password: 'the-right-password' });
    expect(locked.status).toBe(429);
    expect(locked.body.error).toBe('slow_down');
  });

  it('stops the tokens of a disabled user', async () => {
    const user = await t.as(['registry_officer']);
    expect((await t.get('/api/v1/persons', { headers: user.headers })).status).toBe(200);
    const id = (await t.get('/api/v1/users', { headers: admin })).body.items.find((u: { username: string }) => u.username === user.username).id;
    expect((await t.patch(`/api/v1/users/${id}`, { disabled: true }, { headers: admin })).body.disabled).toBe(true);
    await new Promise((r) => setTimeout(r, 50)); // the change message reaches the authenticator
    expect((await t.get('/api/v1/persons', { headers: user.headers })).status).toBe(401);
  });

  describe('refuses forged and stale tokens with 401', () => {
    let valid: string;
    let claims: Record<string, unknown>;
    beforeAll(async () => {
      valid = (await t.as(['administrator'])).token;
      claims = JSON.parse(Buffer.from(valid.split('.')[1], 'base64url').toString());
    });
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const ownKey = async () => (await t.hub.keys.signingKey());
    const signed = async (payload: Record<string, unknown>, header: Record<string, unknown> = {}) => {
      const key = await ownKey();
      return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: key.kid, ...header }).sign(key.privateKey);
    };
    const expect401 = async (tokenValue: string) => {
      const res = await t.get('/api/v1/me', { headers: { authorization: `Bearer ${tokenValue}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    };

    it('accepts the genuine token', async () => {
      expect((await t.get('/api/v1/me', { headers: { authorization: `Bearer ${valid}` } })).status).toBe(200);
    });
    it('no token, or not a bearer token', async () => {
      expect((await t.get('/api/v1/me')).status).toBe(401);
      expect((await t.get('/api/v1/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
      await expect401('not.a.jwt');
    });
    it('expired', async () => expect401(await signed({ ...claims, iat: 1000, exp: 2000 })));
    it('not yet valid', async () => expect401(await signed({ ...claims, nbf: Math.floor(Date.now() / 1000) + 3600 })));
    it('wrong issuer', async () => expect401(await signed({ ...claims, iss: 'someone-else' })));
    it('wrong audience', async () => expect401(await signed({ ...claims, aud: 'another-api' })));
    it('tampered payload', async () => {
      const [h, , s] = valid.split('.');
      await expect401(`${h}.${b64({ ...claims, scope: 'users.manage audit.read', areas: undefined })}.${s}`);
    });
    it('alg none', async () => expect401(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`));
    it('HS256 signed with the public key as the secret', async () => {
      const jwk = (await t.get('/.well-known/jwks.json')).body.keys[0];
      const header = b64({ alg: 'HS256', kid: jwk.kid });
      const body = b64(claims);
      const mac = createHmac('sha256', JSON.stringify(jwk)).update(`${header}.${body}`).digest('base64url');
      await expect401(`${header}.${body}.${mac}`);
    });
    it('unknown kid', async () => expect401(await signed(claims, { kid: 'no-such-key' })));
    it('a trusted provider\'s token with the wrong audience, and an untrusted issuer', async () => {
      const external = (aud: string, iss = idp.issuer) =>
        new SignJWT({ roles: ['policymaker'] }).setProtectedHeader({ alg: 'ES256', kid: 'idp-1' }).setIssuer(iss).setAudience(aud)
          .setSubject('someone').setIssuedAt().setExpirationTime('5m').sign(idp.privateKey);
      await expect401(await external('other-api'));
      await expect401(await external('srhub-api', 'https://evil.example'));
    });
  });

  it('maps a trusted provider\'s roles and areas to scopes', async () => {
    const external = await new SignJWT({ roles: ['policymaker', 'not-a-hub-role'], areas: ['AM-R1'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' }).setIssuer(idp.issuer).setAudience('srhub-api')
      .setSubject('p-123').setIssuedAt().setExpirationTime('5m').sign(idp.privateKey);
    const me = await t.get('/api/v1/me', { headers: { authorization: `Bearer ${external}` } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: `oidc:${idp.issuer}:p-123`, scopes: ['reports.read'], areas: ['AM-R1'] });
  });

  it('publishes only public keys, and keeps verifying tokens signed before a rotation', async () => {
    const before = await t.as(['registry_officer']);
    const jwks = (await t.get('/.well-known/jwks.json')).body;
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of jwks.keys) expect(key.d).toBeUndefined();
    const newKid = await t.hub.keys.rotate(30);
    const after = (await t.get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
    expect(after).toContain(newKid);
    expect(after).toContain(jwks.keys[0].kid);
    expect((await t.get('/api/v1/persons', { headers: before.headers })).status).toBe(200);
    const fresh = await t.as(['registry_officer']);
    expect(JSON.parse(Buffer.from(fresh.token.split('.')[0], 'base64url').toString()).kid).toBe(newKid);
  });
});
