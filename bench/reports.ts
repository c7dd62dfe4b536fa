// Measures the coverage report and the dashboard over N persons in a scratch PostgreSQL database: creates the database,
// migrates it, makes the demo country's areas, writes N persons in households (about 4.5 per household, set-based
// SQL: the registry's write path is measured by bench/import-csv.ts, not here), times the reports, drops the database.
//   npx tsx bench/reports.ts                      (100,000 persons; PostgreSQL at 127.0.0.1:5432, user postgres)
//   npx tsx bench/reports.ts --persons 1000000
//   npx tsx bench/reports.ts --keep            (leaves the database, to look at the plans)
//   BENCH_POSTGRES_URL=postgres://user@host:5432/postgres npx tsx bench/reports.ts   (the server to create it on)
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openScratchDb } from './scratch-db.js';
import type { Db } from '../core/db/index.js';
import { createSecrets } from '../core/keys/secrets.js';
import { createLogger } from '../core/log.js';
import { refreshFeatures } from '../core/assessment/features-store.js';
import { coverageReport } from '../core/reports/coverage.js';
import { computeDashboard, getDashboard } from '../core/reports/dashboard.js';
import { ageSexReport } from '../core/reports/demographics.js';
import { qualityMetrics } from '../core/reports/quality/metrics.js';
import { AMARU, createCountryAreas, districtsOf } from '../core/seed/country.js';
import { systemContext } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../core/server/principal.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { persons: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' }, keep: { type: 'boolean', default: false } } });
  const persons = Number(values.persons);
  const runs = Number(values.runs);
  const scratch = await openScratchDb('reports');
  const { config, db, masterKey } = scratch;
  try {
    await createCountryAreas(db);
    const started = Date.now();
    const households = await fill(db, persons);
    console.log(`data: ${persons} persons in ${households} households over ${districtsOf(AMARU).length} districts, written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const ctx = (principal: Principal) => systemContext(config, db, createSecrets(masterKey), createLogger('warn'), principal);
    const all = ctx(SYSTEM_PRINCIPAL);
    const oneRegion = ctx({ ...SYSTEM_PRINCIPAL, id: 'bench-region', areas: [AMARU.regions[0].code] });
    // the bulk load marked every household: the first refresh computes their stored features (coverage reads them)
    await time('stored features of every household (the first refresh after the bulk load)', 1, () => db.transaction((tx) => refreshFeatures(tx)));
    await time('coverage, regions (level 1)', runs, () => coverageReport(all, { level: 1 }));
    await time('coverage, districts (level 2)', runs, () => coverageReport(all, { level: 2 }));
    await time('coverage, one region\'s districts (area-limited caller)', runs, () => coverageReport(oneRegion, { level: 2 }));
    await time('age-sex pyramid, regions', runs, () => ageSexReport(all, { level: 1 }));
    await time('dashboard, computed (cache miss)', runs, () => computeDashboard(all, null));
    await getDashboard(all);
    await time('dashboard, cached (page view)', runs * 100, () => getDashboard(all));
    await time('data quality by district', runs, () => qualityMetrics(db, { selection: { scope: null, level: 2, under: null }, by: 'area', months: 12 }));
  } finally {
    await scratch.close(Boolean(values.keep));
  }
}


/** Households of 1 to 8 persons (4.5 on average) spread over the districts; ages, sexes, a few deaths and disabilities. */
async function fill(db: Db, persons: number): Promise<number> {
  const districts = districtsOf(AMARU).map((d) => d.code);
  const households = Math.ceil(persons / 4.5);
  await db.execScript(`create unlogged table bench_hh (n int primary key, id uuid not null)`);
  await db.query(`insert into bench_hh select g, gen_random_uuid() from generate_series(1, $1::int) g`, [households]);
  await db.query(
    `insert into household (id, area_code, address, latitude, longitude, channel, created_by, updated_by, created_at, updated_at, deregistered_at, deregistration_reason)
     select b.id, ($1::text[])[1 + (b.n::bigint * 7919) % array_length($1::text[], 1)], 'Plot ' || b.n, -1 + random(), 36 + random(),
            (array['online','mobile','in_person','bulk_import','connector'])[1 + b.n % 5], 'fw' || (b.n % 50), 'fw' || (b.n % 50),
            now() - (b.n % 700) * interval '1 day', now() - (b.n % 900) * interval '1 day',
            case when b.n % 97 = 0 then now() end, case when b.n % 97 = 0 then 'moved_abroad' end
     from bench_hh b`,
    [districts],
  );
  // person g lives in household ((g - 1) % households) + 1: the first `households` persons are the heads
  await db.query(
    `insert into person (id, given_name, family_name, sex, birth_date, disabilities, channel, created_by, updated_by, created_at, death_date)
     select gen_random_uuid(), 'P' || g, 'F' || (g % 1000), (array['male','female'])[1 + g % 2],
            date '1930-01-01' + ((g::bigint * 7907) % 34000)::int, case when g % 31 = 0 then '["MOB_SS"]'::jsonb else '[]'::jsonb end,
            'mobile', 'fw' || (g % 50), 'fw' || (g % 50), now() - (g % 700) * interval '1 day',
            case when g % 211 = 0 then date '2025-01-01' end
     from generate_series(1, $1::int) g`,
    [persons],
  );
  await db.query(
    `insert into membership (id, household_id, person_id, relationship, start_date)
     select gen_random_uuid(), b.id, p.id, case when p.rn <= $1::int then 'SELF' else 'CHILD' end, date '2020-01-01'
     from (select id, row_number() over (order by created_at, id) as rn from person) p
     join bench_hh b on b.n = ((p.rn - 1) % $1::int) + 1`,
    [households],
  );
  await db.query(
    `insert into person_verification (id, person_id, method, system, result, recorded_by)
     select gen_random_uuid(), id, 'demographic_auth', 'bench', case when random() < 0.9 then 'match' else 'mismatch' end, 'bench'
     from person where random() < 0.4`,
  );
  await db.execScript('drop table bench_hh; analyze');
  return households;
}

async function time(label: string, runs: number, work: () => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await work();
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label}: median ${ms[Math.floor(ms.length / 2)].toFixed(1)} ms (min ${ms[0].toFixed(1)}, max ${ms[ms.length - 1].toFixed(1)}, ${runs} runs)`);
}

// run as a command, not when imported by the harness (bench/run.ts)
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
