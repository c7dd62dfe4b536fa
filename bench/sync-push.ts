// Measures POST /api/v1/sync/push with a batch of new registrations on the default questionnaire (each item: claim
// of its client UUID, form validation, registration case, in a transaction of its own), then the same batch pushed
// again (every item a duplicate). --settle also times the workflow's checks of the cases (duplicates search).
//   npx tsx bench/sync-push.ts [--items 1000] [--settle]           (PGlite in a fresh temporary folder)
//   DATABASE_URL=postgres://.../empty_db npx tsx bench/sync-push.ts (an empty PostgreSQL database)
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.js';
import { startHub, type Hub } from '../core/server/hub.js';

const WG = { wg_seeing: 'no_difficulty', wg_hearing: 'no_difficulty', wg_walking: 'some_difficulty', wg_cognition: 'no_difficulty', wg_selfcare: 'no_difficulty', wg_communication: 'no_difficulty' };
const letters = (n: number) => Array.from({ length: 6 }, (_, i) => String.fromCharCode(97 + ((n >> (i * 4)) % 26))).join('');
const pad = (n: number) => String(n).padStart(2, '0');

function household(i: number) {
  const family = `B${letters(i * 7919)}`;
  return {
    area_code: 'BENCH',
    address: `Plot ${i}`,
    attributes: {
      dwelling_wall: 'brick', dwelling_roof: 'iron_sheet', dwelling_floor: 'cement', rooms: 1 + (i % 5), water_source: 'piped', toilet: 'flush',
      lighting: 'grid', cooking_fuel: 'gas', assets: ['radio'], income_sources: ['salary'], monthly_income: 100 + i, meals_skipped: 'never',
    },
    members: [
      { relationship: 'SELF', person: { given_name: `A${letters(i * 31)}`, family_name: family, sex: 'female', birth_date: `19${60 + (i % 40)}-${pad(1 + (i % 12))}-${pad(1 + (i % 28))}`, attributes: { education_level: 'secondary', ...WG } } },
      { relationship: 'SON', person: { given_name: `S${letters(i * 131)}`, family_name: family, sex: 'male', birth_date: `20${10 + (i % 10)}-${pad(1 + (i % 12))}-${pad(1 + (i % 28))}`, attributes: { education_level: 'primary', in_school: true, ...WG } } },
    ],
  };
}

async function push(hub: Hub, items: unknown[]): Promise<{ ms: number; statuses: Record<string, number> }> {
  const started = process.hrtime.bigint();
  // node:http, not fetch: fetch gives up waiting for the answer after 300 s, which a large batch on a busy machine can take
  const { status, body } = await postJson(`${hub.url}/api/v1/sync/push`, { device_id: 'bench', items });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (status !== 200) throw new Error(`push: ${status} ${JSON.stringify(body)}`);
  const statuses: Record<string, number> = {};
  for (const r of (body as { results: { status: string }[] }).results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return { ms: Math.round(ms), statuses };
}

export function postJson(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const data = Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': data.length, connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { items: { type: 'string', default: '1000' }, settle: { type: 'boolean', default: false } } });
  const n = Number(values.items);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'srhub-bench-sync-'));
  const hub = await startHub(loadConfig({
    ...process.env, PORT: '0', HOST: '127.0.0.1', SRHUB_AUTH: 'off', LOG_LEVEL: 'warn', SRHUB_DATA_DIR: dataDir,
    SRHUB_MASTER_KEY: process.env.SRHUB_MASTER_KEY ?? randomBytes(32).toString('base64'),
  }));
  try {
    await fetch(`${hub.url}/api/v1/admin-areas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'BENCH', name: 'Bench' }) });
    // warm up (first queries, validators, caches) with a few items outside the measure
    await push(hub, Array.from({ length: 5 }, (_, i) => newItem(1_000_000 + i)));
    const items = Array.from({ length: n }, (_, i) => newItem(i));
    const first = await push(hub, items);
    console.log(`push of ${n} new registrations: ${first.ms} ms (${Math.round(first.ms / n * 100) / 100} ms per item) ${JSON.stringify(first.statuses)}`);
    const again = await push(hub, items);
    console.log(`same batch again (duplicates): ${again.ms} ms ${JSON.stringify(again.statuses)}`);
    if (values.settle) {
      const started = Date.now();
      await hub.workflow.settle();
      console.log(`workflow checks of the ${n} cases (settle): ${Date.now() - started} ms`);
    }
    console.log(`engine: ${hub.db.engine}`);
  } finally {
    await hub.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function newItem(i: number) {
  return { client_id: randomUUID(), captured_at: new Date().toISOString(), form: { id: 'household-socioeconomic', version: 1 }, kind: 'new', household: household(i) };
}

// run as a command, not when imported by the harness (bench/run.ts)
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
