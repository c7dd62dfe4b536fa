// Measures the DCI search engine (core/dci/query/search.ts): latency (p50/p99) and throughput of idtype-value and
// predicate searches, each a page query plus a count, on a registry of N persons.
//   DATABASE_URL=postgres://.../srhub_bench SRHUB_MASTER_KEY=... npx tsx bench/dci-search.ts --persons 1000000
//   npx tsx bench/dci-search.ts --persons 20000                               (PGlite in a temporary folder)
// Options: --seconds per case (10), --concurrency (8), --only <part of a case name>, --existing (no migration, no seed).
// The registry is seeded by the fast seeder (seedPersons) until it holds N persons, so a second run on the
// same database measures at once. The seed has no assessment: a synthetic poverty_score attribute is added to every
// household (as core/dci/query/attributes.ts reads it until the score table lands).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.js';
import { initDb, openDb } from '../core/db/index.js';
import { runSearch, type SearchCriteria } from '../core/dci/query/search.js';
import { createSecrets } from '../core/keys/secrets.js';
import { loadMasterKey } from '../core/keys/master-key.js';
import { createLogger } from '../core/log.js';
import { openIdentifier } from '../core/registry/persons/sealing.js';
import { seedPersons } from '../core/seed/seed.js';
import { systemContext } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';

interface Case {
  name: string;
  criteria: () => SearchCriteria;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      persons: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '7' },
      seconds: { type: 'string', default: '10' },
      only: { type: 'string' },
      // measure a database as it is: no migrations, no seeding
      existing: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '8' },
    },
  });
  const persons = Number(values.persons);
  const work = await mkdtemp(path.join(tmpdir(), 'srhub-bench-dci-'));
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  if (!env.DATABASE_URL) env.SRHUB_DATA_DIR = path.join(work, 'data');
  const config = loadConfig(env);
  const log = createLogger('warn');
  const db = values.existing ? await openDb(config) : await initDb(config);
  try {
    const secrets = createSecrets(await loadMasterKey(config, log));
    const ctx = systemContext(config, db, secrets, log, SYSTEM_PRINCIPAL);
    const [{ n }] = await db.query<{ n: number }>('select count(*)::int as n from person');
    if (n < persons && !values.existing) {
      const started = Date.now();
      const seeded = await seedPersons(ctx, persons - n, Number(values.seed) + n);
      console.log(`seeded ${seeded.persons} persons in ${seeded.households} households in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      await db.query(`update household set attributes = attributes || jsonb_build_object('poverty_score', (abs(hashtext(id::text)) % 10000) / 100.0)
                      where not attributes ? 'poverty_score'`);
      await db.query('analyze');
    }
    const [{ total }] = await db.query<{ total: number }>('select count(*)::int as total from person');
    const uins = (await db.query<{ value_sealed: string }>(`select value_sealed from person_identifier where id_type = 'UIN' order by random() limit 2000`))
      .map((r) => openIdentifier(secrets, 'UIN', r.value_sealed));
    const districts = (await db.query<{ code: string }>(`select code from admin_area where level = (select max(level) from admin_area)`)).map((r) => r.code);
    const regions = (await db.query<{ code: string }>('select code from admin_area where level = 1')).map((r) => r.code);
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
    const year = () => 1940 + Math.floor(Math.random() * 80);

    const cases: Case[] = [
      { name: 'idtype-value UIN -> Member', criteria: () => ({ query_type: 'idtype-value', query: { type: 'UIN', value: pick(uins) }, response_entity: 'Member' }) },
      { name: 'idtype-value UIN -> Group', criteria: () => ({ query_type: 'idtype-value', query: { type: 'UIN', value: pick(uins) }, response_entity: 'Group' }) },
      {
        name: 'predicate YOB eq + sex eq (Member, page 100)',
        criteria: () => ({
          query_type: 'predicate',
          response_entity: 'Member',
          query: [{ seq_num: 1, expression1: { attribute_name: 'YOB', operator: 'eq', attribute_value: year() }, condition: 'and', expression2: { attribute_name: 'sex', operator: 'eq', attribute_value: 'female' } }],
          pagination: { page_size: 100 },
        }),
      },
      {
        name: 'predicate area-code (district) + poverty_score lt 20 (Group, page 100)',
        criteria: () => ({
          query_type: 'predicate',
          response_entity: 'Group',
          query: [
            { seq_num: 1, expression1: { attribute_name: 'area-code', operator: 'eq', attribute_value: pick(districts) } },
            { seq_num: 2, expression1: { attribute_name: 'poverty_score', operator: 'lt', attribute_value: 20 } },
          ],
          pagination: { page_size: 100 },
        }),
      },
      {
        name: 'predicate poverty_score lt 5 (Group, whole registry, page 100)',
        criteria: () => ({
          query_type: 'predicate',
          response_entity: 'Group',
          query: [{ seq_num: 1, expression1: { attribute_name: 'poverty_score', operator: 'lt', attribute_value: 5 } }],
          pagination: { page_size: 100 },
        }),
      },
      {
        name: 'predicate area-code (district) + age ge 60 (Member, page 100)',
        criteria: () => ({
          query_type: 'predicate',
          response_entity: 'Member',
          query: [
            { seq_num: 1, expression1: { attribute_name: 'area-code', operator: 'eq', attribute_value: pick(districts) } },
            { seq_num: 2, expression1: { attribute_name: 'age', operator: 'ge', attribute_value: 60 } },
          ],
          pagination: { page_size: 100 },
        }),
      },
      {
        name: 'predicate area-code (region) + age ge 60 (Member, page 100)',
        criteria: () => ({
          query_type: 'predicate',
          response_entity: 'Member',
          query: [
            { seq_num: 1, expression1: { attribute_name: 'area-code', operator: 'eq', attribute_value: pick(regions) } },
            { seq_num: 2, expression1: { attribute_name: 'age', operator: 'ge', attribute_value: 60 } },
          ],
          pagination: { page_size: 100 },
        }),
      },
    ];

    console.log(`registry: ${total} persons; ${config.databaseUrl ? 'PostgreSQL' : 'PGlite'}; ${values.seconds} s per case, concurrency ${values.concurrency}`);
    for (const c of cases.filter((k) => !values.only || k.name.includes(values.only!))) {
      // warm up, then closed loops for the duration
      for (let i = 0; i < 20; i++) await search(c);
      const latencies: number[] = [];
      const until = Date.now() + Number(values.seconds) * 1000;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: Number(values.concurrency) }, async () => {
          while (Date.now() < until) {
            const t0 = process.hrtime.bigint();
            await search(c);
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
        }),
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      latencies.sort((a, b) => a - b);
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);
      console.log(`${c.name}: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, ${(latencies.length / seconds).toFixed(0)} searches/s (${latencies.length} searches)`);
    }

    async function search(c: Case) {
      const outcome = await runSearch(db, c.criteria(), { areas: null }, config, secrets);
      if (!outcome.ok) throw new Error(`${c.name}: ${outcome.code} ${outcome.message}`);
      return outcome;
    }
    await ctx.audit.stop();
  } finally {
    await db.close();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
