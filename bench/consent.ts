// Measures consent tokens and the consent check: tokens issued per second, verified per second (by the hub, which
// reads the consent's state, and offline with the JWKS only), and decideDisclosure for the 100 records of a DCI
// search page (with its audit entries), next to the set-based SQL condition.
//   npx tsx bench/consent.ts                                   (PGlite in a fresh temporary folder)
//   DATABASE_URL=postgres://... npx tsx bench/consent.ts        (an empty PostgreSQL database)
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { coveringConsentCondition, decideDisclosure } from '../consent/policy.js';
import { consentStore } from '../consent/store.js';
import { issueConsentToken, verifyConsentToken } from '../consent/tokens.js';
import { loadConfig } from '../core/config.js';
import { systemContext, type Ctx } from '../core/server/context.js';
import { startHub, type Hub } from '../core/server/hub.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';

async function timed(n: number, work: (i: number) => Promise<unknown>): Promise<{ perSecond: number; msEach: number }> {
  for (let i = 0; i < Math.min(20, n); i++) await work(i); // warm up
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await work(i);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { perSecond: Math.round((n * 1000) / ms), msEach: Math.round((ms / n) * 100) / 100 };
}

async function post(hub: Hub, urlPath: string, body: unknown) {
  const res = await fetch(hub.url + urlPath, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${urlPath}: ${res.status} ${JSON.stringify(json)}`);
  return json as any;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tokens: { type: 'string', default: '2000' }, searches: { type: 'string', default: '200' } } });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-bench-consent-'));
  const hub = await startHub(loadConfig({
    ...process.env, PORT: '0', HOST: '127.0.0.1', SRHUB_AUTH: 'off', LOG_LEVEL: 'warn', SRHUB_DATA_DIR: dataDir,
    SRHUB_MASTER_KEY: process.env.SRHUB_MASTER_KEY ?? randomBytes(32).toString('base64'),
  }));
  try {
    await post(hub, '/api/v1/admin-areas', { code: 'BENCH', name: 'Bench' });
    const agreement = await post(hub, '/api/v1/consent/agreements', {
      code: 'bench', purpose_code: 'cash-transfer', purpose_text: { en: 'Bench' }, lawful_basis: 'consent', categories: ['name', 'area'],
      recipients: ['prog-a'], controller: { name: 'Bench' }, retention_days: 30, max_validity_days: 365,
    });
    await post(hub, `/api/v1/consent/agreements/${agreement.id}/publish`, {});
    // 25 households of 4: the 100 records of one DCI search page
    const person = (given: string) => ({ given_name: given, family_name: 'Bench', sex: 'female', birth_date: '1990-01-01' });
    const households = Array.from({ length: 25 }, () => ({
      area_code: 'BENCH', members: ['SELF', 'SON', 'DAU', 'SON'].map((relationship, i) => ({ relationship, person: person(`P${i}`) })),
    }));
    await post(hub, '/api/v1/households:bulk', { households });
    const personIds = (await hub.db.query<{ person_id: string }>(
      `select m.person_id from membership m join household h on h.id = m.household_id where h.area_code = 'BENCH' order by m.person_id`,
    )).map((r) => r.person_id);
    // 90 of the 100 consented (through the API: a status list entry and a revision each)
    const consents = [];
    for (const id of personIds.slice(0, 90)) {
      consents.push((await post(hub, '/api/v1/consent/consents', { agreement_id: agreement.id, person_id: id })).consent.id as string);
    }
    const ctx: Ctx = systemContext(hub.config, hub.db, hub.secrets, hub.log, SYSTEM_PRINCIPAL, { audit: hub.audit, keys: hub.keys, cache: hub.cache, bus: hub.bus });
    const client: Ctx = { ...ctx, principal: { id: 'client:prog-a', kind: 'client', scopes: new Set(['registry.search']), areas: null } };

    const consent = (await consentStore.consentById(hub.db, consents[0]))!;
    const tokens = Number(values.tokens);
    const issue = await timed(tokens, () => issueConsentToken(ctx, consent));
    const token = await issueConsentToken(ctx, consent);
    const verifyHub = await timed(tokens, () => verifyConsentToken(ctx, token, { audience: 'prog-a', purpose: 'cash-transfer' }));
    const jwks = createLocalJWKSet(await hub.keys.jwks());
    const verifyOffline = await timed(tokens, () => jwtVerify(token, jwks, { issuer: hub.config.tokenIssuer, audience: 'prog-a' }));

    const searches = Number(values.searches);
    const request = { purpose: 'cash-transfer', recipient: 'client:prog-a', personIds };
    const decide = await timed(searches, () => decideDisclosure(client, request));
    // the same decisions with the audit write left out: what the consent check itself costs
    const unaudited: Ctx = { ...client, audit: { ...client.audit, recordReads: async () => {} } };
    const decideOnly = await timed(searches, () => decideDisclosure(unaudited, request));
    const condition = await timed(searches, async () => {
      const params: unknown[] = [personIds];
      const sql = await coveringConsentCondition(client, request, 'p.id', (v) => `$${params.push(v)}`);
      return hub.db.query(`select p.id from person p where p.id = any($1::uuid[]) and ${sql}`, params);
    });
    const page = await timed(searches, () => hub.db.query('select * from person where id = any($1::uuid[])', [personIds]));

    const rows: [string, string][] = [
      ['database', hub.db.engine],
      ['consent token issued (ES256)', `${issue.perSecond}/s (${issue.msEach} ms)`],
      ['token verified by the hub (signature + state)', `${verifyHub.perSecond}/s (${verifyHub.msEach} ms)`],
      ['token verified offline (JWKS only)', `${verifyOffline.perSecond}/s (${verifyOffline.msEach} ms)`],
      ['decideDisclosure, 100 records (+100 audit entries)', `${decide.msEach} ms`],
      ['  of which the decisions alone (no audit write)', `${decideOnly.msEach} ms`],
      ['coveringConsentCondition + query, 100 ids', `${condition.msEach} ms`],
      ['for scale: reading the 100 person rows', `${page.msEach} ms`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  } finally {
    await hub.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
