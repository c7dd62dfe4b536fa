// A hub with authentication on, reachable at its public URL (the status list URIs in tokens point there), an area,
// agreements published through the API and API clients with access tokens.
import { randomBytes } from 'node:crypto';
import { issueAccessToken } from '../../core/auth/tokens.js';
import { systemContext, type Ctx } from '../../core/server/context.js';
import type { Principal } from '../../core/server/principal.js';
import { aHousehold } from '../helpers/registry-data.js';
import type { DbEngineName, CacheEngineName } from '../helpers/services.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { freePort } from '../../core/net/free-port.js';

export interface ConsentHub {
  t: TestHub;
  admin: Record<string, string>;
  officer: Record<string, string>;
  /** Publishes an agreement (defaults: purpose cash-transfer, recipient prog-a, name + area). Returns its id. */
  agreement(overrides?: Record<string, unknown>): Promise<string>;
  /** A registered household of three; returns its id and the members' ids (head first). */
  household(area?: string): Promise<{ id: string; memberIds: string[] }>;
  /** An API client (roles program_officer: registry.read + registry.search) and its bearer headers. */
  client(clientId: string): Promise<Record<string, string>>;
  /** A beneficiary account linked to the person, and its bearer headers. */
  beneficiary(personId: string): Promise<Record<string, string>>;
  /** A service context acting as this principal (for decideDisclosure in-process). */
  ctxAs(principal: Partial<Principal> & { id: string }, purpose?: string): Ctx;
  stop(): Promise<void>;
}

export async function startConsentHub(options: { db?: DbEngineName; cache?: CacheEngineName } = {}): Promise<ConsentHub> {
  const port = await freePort();
  const t = await startTestHub({ ...options, env: { SRHUB_AUTH: 'on', PORT: String(port), SRHUB_PUBLIC_URL: `http://127.0.0.1:${port}` } });
  const admin = (await t.as(['administrator'])).headers;
  const officer = (await t.as(['registry_officer'])).headers;
  await t.post('/api/v1/admin-areas', { code: 'CA', name: 'Consent Area' }, { headers: admin });
  let n = 0;
  return {
    t,
    admin,
    officer,
    async agreement(overrides = {}) {
      n += 1;
      const draft = await t.post('/api/v1/consent/agreements', {
        code: `agreement-${n}-${randomBytes(3).toString('hex')}`,
        purpose_code: 'cash-transfer',
        purpose_text: { en: 'Checking eligibility for the cash transfer', sw: 'Kuangalia ustahiki wa uhamisho wa fedha' },
        lawful_basis: 'consent',
        categories: ['name', 'area'],
        recipients: ['prog-a'],
        controller: { name: 'Ministry of Social Protection', contact: 'dpo@msp.example.org' },
        retention_days: 365,
        max_validity_days: 365,
        ...overrides,
      }, { headers: admin });
      if (draft.status !== 201) throw new Error(`agreement: ${JSON.stringify(draft.body)}`);
      const published = await t.post(`/api/v1/consent/agreements/${draft.body.id}/publish`, undefined, { headers: admin });
      if (published.status !== 200) throw new Error(`publish: ${JSON.stringify(published.body)}`);
      return draft.body.id as string;
    },
    async household(area = 'CA') {
      const created = await t.post('/api/v1/households', aHousehold(area, {}), { headers: admin });
      if (created.status !== 201) throw new Error(`household: ${JSON.stringify(created.body)}`);
      return { id: created.body.id, memberIds: created.body.members.map((m: { person_id: string }) => m.person_id) };
    },
    async client(clientId) {
      const created = await t.post('/api/v1/clients', { client_id: clientId, name: clientId, roles: ['program_officer'] }, { headers: admin });
      if (created.status !== 201 && created.status !== 409) throw new Error(`client: ${JSON.stringify(created.body)}`);
      const { access_token } = await issueAccessToken(t.hub.keys, t.hub.config, {
        sub: `client:${clientId}`, roles: ['program_officer'], scopes: ['registry.read', 'registry.search'], areas: null,
      });
      return { authorization: `Bearer ${access_token}` };
    },
    async beneficiary(personId) {
      const username = `b${randomBytes(5).toString('hex')}`;
      const password = randomBytes(12).toString('hex');
      const created = await t.post('/api/v1/consent/beneficiaries', { username, person_id: personId, password }, { headers: officer });
      if (created.status !== 201) throw new Error(`beneficiary: ${JSON.stringify(created.body)}`);
      const token = await fetch(`${t.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
      }).then((r) => r.json() as Promise<{ access_token: string }>);
      return { authorization: `Bearer ${token.access_token}` };
    },
    ctxAs(principal, purpose) {
      const hub = t.hub;
      const full: Principal = { kind: 'client', scopes: new Set(['registry.read', 'registry.search']), areas: null, ...principal };
      return { ...systemContext(hub.config, hub.db, hub.secrets, hub.log, full, { audit: hub.audit, keys: hub.keys, cache: hub.cache, bus: hub.bus }), purpose };
    },
    stop: () => t.stop(),
  };
}
