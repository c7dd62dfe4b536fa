// Builders for the DCI tests: a client with a token, an agreement that lets it receive data, envelopes, and a real
// HTTP server standing in for the SPMIS's callback endpoints.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgreement, publishAgreement } from '../../../consent/agreements.js';
import type { DataCategory } from '../../../consent/categories.js';
import { createClient } from '../../../core/auth/clients.js';
import { scopesOf } from '../../../core/auth/roles.js';
import { issueAccessToken } from '../../../core/auth/tokens.js';
import { systemContext } from '../../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../../core/server/principal.js';
import type { DbEngineName } from '../../helpers/services.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

export const ALL_CATEGORIES: DataCategory[] = ['name', 'identifiers', 'demographics', 'contact', 'address', 'area', 'household', 'vulnerability', 'socioeconomic'];

/** An API client with these roles and a fresh access token: its id and request headers. */
export async function aClient(t: Pick<TestHub, 'hub'>, roles = ['dci_client'], areas: string[] | null = null) {
  const clientId = `spmis-${randomUUID().slice(0, 8)}`;
  await createClient(t.hub.db, { client_id: clientId, name: 'Test SPMIS', roles, areas }, 'test');
  const scopes = await scopesOf(t.hub.db, roles);
  const { access_token } = await issueAccessToken(t.hub.keys, t.hub.config, { sub: `client:${clientId}`, roles, scopes, areas });
  return { clientId, headers: { authorization: `Bearer ${access_token}` } };
}

/** A published agreement letting these recipients receive every category for the purpose (public task: no consent). */
export async function publicTask(t: Pick<TestHub, 'hub'>, purpose: string, recipients: string[], categories: DataCategory[] = ALL_CATEGORIES) {
  const ctx = systemContext(t.hub.config, t.hub.db, t.hub.secrets, t.hub.log, SYSTEM_PRINCIPAL, { audit: t.hub.audit, keys: t.hub.keys, cache: t.hub.cache, bus: t.hub.bus });
  const agreement = await createAgreement(ctx, {
    code: `ag-${randomUUID().slice(0, 8)}`,
    purpose_code: purpose,
    purpose_text: { en: 'Eligibility checks' },
    lawful_basis: 'public_task',
    categories,
    recipients,
    controller: { name: 'Ministry' },
    retention_days: 30,
    max_validity_days: 365,
  });
  return publishAgreement(ctx, agreement.id);
}

export function header(action: string, senderId: string, totalCount: number, extra: Record<string, unknown> = {}) {
  return { version: '1.0.0', message_id: randomUUID(), message_ts: new Date().toISOString(), action, sender_id: senderId, total_count: totalCount, ...extra };
}

export function searchItem(reference_id: string, criteria: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { reference_id, timestamp: new Date().toISOString(), search_criteria: criteria, ...extra };
}

export const idQuery = (value: string, type = 'UIN', extra: Record<string, unknown> = {}) => ({
  query_type: 'idtype-value',
  query: { type, value },
  consent: { '@type': 'Consent', purpose: { code: 'ELIG' } },
  ...extra,
});

/** A search message with these items. */
export function searchMessage(senderId: string, items: object[], extra: Record<string, unknown> = {}) {
  return { header: header('search', senderId, items.length, extra), message: { transaction_id: randomUUID(), search_request: items } };
}

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/** The SPMIS's callback endpoints: records every POST; answers with the statuses queued in `answers` (then 200). */
export async function callbackServer() {
  const received: Received[] = [];
  const answers: number[] = [];
  const hits = { count: 0 };
  const waiters: { count: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => {
      hits.count += 1;
      const status = answers.shift() ?? 200;
      if (status === 200) {
        received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(data) });
        for (const w of waiters.filter((w) => received.length >= w.count)) w.resolve();
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: { ack_status: status === 200 ? 'ACK' : 'ERR', timestamp: new Date().toISOString(), correlation_id: randomUUID() } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/spmis/registry`,
    received,
    answers,
    /** Every POST, accepted or not. */
    hits,
    /** Resolves when `count` messages have been received in all (or rejects after `ms`). */
    waitFor(count: number, ms = 20_000): Promise<Received[]> {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${count} callbacks arrived`)), ms);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(received)) });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the hub's fetch keeps connections alive
      }),
  };
}

/** POSTs to a DCI path and checks the answer against openapi/dci-sr.yaml (status listed, body valid). */
export async function dciPost(t: TestHub, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await t.post(path, body, { headers });
  const match = t.hub.dci.api.match('POST', path);
  if (match && !('allowed' in match)) {
    const responses = (match.operation.operation.responses ?? {}) as Record<string, unknown>;
    if (!responses[String(res.status)]) throw new Error(`POST ${path} answered ${res.status}, which dci-sr.yaml does not list: ${JSON.stringify(res.body)}`);
    const errors = t.hub.dci.api.validateResponse(match.operation.operationId, res.status, res.body);
    if (errors.length) throw new Error(`POST ${path} ${res.status} does not match dci-sr.yaml: ${JSON.stringify(errors)}`);
  }
  return res;
}

/**
 * The setting of the subscription suites: a hub (authentication on, fast delivery retries) with the areas AM-R1,
 * AM-R1-D1 and AM-R1-D2, an SPMIS client limited to AM-R1-D1 under a public-task agreement for ELIG, and its callback
 * server; subscribe, settle (outbox, schedules and deliveries done) and the notifies of one subscription.
 */
export async function subscriptionSetting(db: DbEngineName) {
  const t = await startTestHub({ db, env: { SRHUB_AUTH: 'on', SRHUB_DELIVERY_BASE_DELAY_MS: '20', SRHUB_DELIVERY_MAX_DELAY_MS: '100' } });
  const admin = (await t.as(['administrator'])).headers;
  await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' }, { headers: admin });
  for (const d of ['D1', 'D2']) await t.post('/api/v1/admin-areas', { code: `AM-R1-${d}`, name: d, parent_code: 'AM-R1' }, { headers: admin });
  const client = await aClient(t, ['dci_client'], ['AM-R1-D1']);
  await publicTask(t, 'ELIG', [client.clientId]);
  const cb = await callbackServer();
  return {
    t,
    admin,
    client,
    cb,
    subscribe: (items: object[]) =>
      dciPost(t, '/registry/subscribe', { header: header('subscribe', client.clientId, items.length, { sender_uri: `${cb.url}/on-subscribe` }), message: { transaction_id: randomUUID(), subscribe_request: items } }, client.headers),
    /** Lets the outbox, the schedules and the delivery worker finish what is due. */
    async settle() {
      await t.hub.outbox.drain();
      await t.hub.dci.runSchedules();
      await t.hub.deliveries.drain();
    },
    /** The notifies sent for one subscription (its code is the message's transaction_id), or all of them. */
    notifies: (code?: string) => cb.received.filter((r) => r.path.endsWith('/notify') && (code === undefined || r.body.message.transaction_id === code)),
    async stop() {
      await cb.close();
      await t.stop();
    },
  };
}

export type SubscriptionSetting = Awaited<ReturnType<typeof subscriptionSetting>>;
