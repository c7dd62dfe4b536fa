// Measures scoring, eligibility and a policy simulation over N persons in a scratch PostgreSQL database: creates the
// database, migrates it, makes the demo country's areas, writes N persons in households (about 4.5 per household,
// with questionnaire answers; set-based SQL), then times: publishing a model (the chunked batch job scoring every
// household), activating a program with a quota (eligibility for everyone), the outbox path for a batch of 500
// changed households and the debounced recompute of the quota program that follows, the first page of the eligible
// list, and simulations (queued as the API does, then computed by the background worker's step) over the stored
// household features (core/assessment/features-store.ts; their first computation after the load is timed on its
// own). Drops the database at the end.
//   npx tsx bench/assessment.ts                      (100,000 persons; PostgreSQL at 127.0.0.1:5432, user postgres)
//   npx tsx bench/assessment.ts --persons 1000000
//   npx tsx bench/assessment.ts --keep               (leaves the database, to look at the plans)
//   BENCH_POSTGRES_URL=postgres://user@host:5432/postgres npx tsx bench/assessment.ts
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openScratchDb } from './scratch-db.js';
import { refreshFeatures } from '../core/assessment/features-store.js';
import { reassess, runScoringStep } from '../core/assessment/index.js';
import { createModel, publishVersion } from '../core/assessment/service.js';
import type { Db } from '../core/db/index.js';
import { createSecrets } from '../core/keys/secrets.js';
import { createLogger } from '../core/log.js';
import { listEligible } from '../core/programs/eligible.js';
import { createProgram, setProgramStatus } from '../core/programs/service.js';
import { AMARU, createCountryAreas, districtsOf } from '../core/seed/country.js';
import { systemContext } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';
import { recomputeDirtyPrograms } from '../core/programs/recompute.js';
import { queueSimulation } from '../core/simulation/service.js';
import { runOneSimulation } from '../core/simulation/worker.js';

export const MODEL = {
  intercept: 10,
  threshold: 8,
  indicators: [
    { name: 'size', feature: 'household_size', weight: -0.45 },
    { name: 'children', feature: 'children', weight: -0.2 },
    { name: 'elderly', feature: 'elderly', weight: -0.15 },
    { name: 'disabled', feature: 'disabled', weight: -0.3 },
    { name: 'dependency', feature: 'dependency_ratio', weight: -0.5 },
    { name: 'female_head', feature: 'head_female', weight: -0.4 },
    { name: 'rooms', feature: 'rooms', weight: 0.3 },
    { name: 'wall', feature: 'dwelling_wall', values: { brick: 1, iron_sheet: 0.4, wood: 0, mud: -0.6 }, default: -0.2 },
    { name: 'toilet', feature: 'toilet', values: { flush: 1, pit_latrine_slab: 0.3, none: -0.5 } },
    { name: 'assets', feature: 'assets', values: { tv: 0.8, fridge: 1.2, phone: 0.3, car: 2, motorcycle: 0.9 } },
    { name: 'income', feature: 'income_sources', values: { salary: 1.5, business: 1, transfers: -0.5 } },
  ],
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { persons: { type: 'string', default: '100000' }, keep: { type: 'boolean', default: false } } });
  const persons = Number(values.persons);
  const scratch = await openScratchDb('assessment');
  const { config, db, masterKey } = scratch;
  try {
    await createCountryAreas(db);
    let started = Date.now();
    const households = await fill(db, persons);
    console.log(`data: ${persons} persons in ${households} households, written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const ctx = systemContext(config, db, createSecrets(masterKey), createLogger('warn'), SYSTEM_PRINCIPAL);

    // the bulk load marked every household: the first refresh computes them all (the scoring job would otherwise)
    await time('stored features of every household (the first refresh after the bulk load)', () => db.transaction((tx) => refreshFeatures(tx)));
    const model = await createModel(ctx, { code: 'pmt', name: 'PMT', definition: MODEL });
    await publishVersion(ctx, model.id, 1);
    started = Date.now();
    let chunks = 0;
    while (await runScoringStep(db, 50_000)) chunks++;
    const scoring = (Date.now() - started) / 1000;
    console.log(`scoring everyone (batch job, ${chunks} chunks of 50,000): ${scoring.toFixed(1)} s, ${Math.round(households / scoring)} households/s`);

    const program = await createProgram(ctx, {
      code: 'cash', name: 'Cash', model_id: model.id, rules: [{ name: 'poor', expression: 'score < threshold && (children >= 1 || elderly >= 1 || disabled >= 1)' }],
      max_households: Math.round(households / 5), benefit_per_household: 20, benefit_per_member: 5,
    });
    const open = await createProgram(ctx, { code: 'kids', name: 'Child grant', model_id: model.id, rules: [{ name: 'kids', expression: 'children >= 3 && in_area("AM-R1")' }], benefit_per_member: 3 });
    await time('activating a program with a quota (eligibility for everyone)', () => setProgramStatus(ctx, program.id, 'active'));
    await time('activating a program without quota', () => setProgramStatus(ctx, open.id, 'active'));
    const [counts] = await db.query<{ eligible: number; passing: number }>(
      'select count(*) filter (where eligible)::int as eligible, count(*)::int as passing from household_eligibility where program_id = $1', [program.id]);
    console.log(`  eligible ${counts.eligible}, passing the rules ${counts.passing}`);

    const ids = (await db.query<{ id: string }>('select id from household order by random() limit 500')).map((r) => r.id);
    await time('outbox batch of 500 changed households (re-score, the open program for them, the quota one marked)', () => db.transaction((tx) => reassess(tx, ids)));
    await time('debounced recompute of the quota program (once per settled burst)', () => recomputeDirtyPrograms(db, { settleMs: 0, maxDelayMs: 0 }, true));
    await time('eligible list, first page of 100 (audited)', () => listEligible(ctx, program.id, { limit: 100 }));
    const log = createLogger('warn');
    await time('simulation queued (the POST: checks, plan stored)', () =>
      queueSimulation(ctx, {
        name: 'bench', program_id: program.id, group_level: 1,
        scenario: { model: { threshold: 8.5, weights: { size: -0.3 } }, max_households: Math.round(households / 4), benefit_per_member: 6 },
      }));
    await time('simulation computed by the worker (threshold, a weight, the quota and the benefit changed)', () => runOneSimulation(db, log));
    await queueSimulation(ctx, { name: 'bench region', program_id: program.id, areas: [AMARU.regions[0].code], group_level: 2, scenario: { model: { threshold: 9 } } });
    await time('simulation computed, one region', () => runOneSimulation(db, log));
    // a registry change marks its household; the next simulation recomputes it first
    await db.query(`update household set attributes = attributes || '{"rooms": 2}' where id = $1`, [ids[0]]);
    await queueSimulation(ctx, { name: 'bench after a change', program_id: program.id, group_level: 1, scenario: { benefit_per_member: 7 } });
    await time('simulation computed after one household changed (its features refreshed first)', () => runOneSimulation(db, log));
    const [failed] = await db.query<{ n: number }>(`select count(*)::int as n from simulation where status <> 'done'`);
    if (failed.n) throw new Error(`${failed.n} simulations did not finish`);
    const usage = process.resourceUsage();
    console.log(`memory: max RSS ${Math.round(usage.maxRSS / 1024)} MB (the work is in PostgreSQL; the process holds no records)`);
  } finally {
    await scratch.close(Boolean(values.keep));
  }
}


/** Households of 1 to 8 persons (4.5 on average) with a head, questionnaire answers, ages, sexes, a few disabilities. */
async function fill(db: Db, persons: number): Promise<number> {
  const districts = districtsOf(AMARU).map((d) => d.code);
  const households = Math.ceil(persons / 4.5);
  await db.execScript(`create unlogged table bench_hh (n int primary key, id uuid not null)`);
  await db.query(`insert into bench_hh select g, gen_random_uuid() from generate_series(1, $1::int) g`, [households]);
  await db.query(
    `insert into household (id, area_code, address, channel, created_by, updated_by, attributes)
     select b.id, ($1::text[])[1 + (b.n::bigint * 7919) % array_length($1::text[], 1)], 'Plot ' || b.n, 'mobile', 'bench', 'bench',
       jsonb_build_object(
         'dwelling_wall', (array['brick','wood','mud','iron_sheet','other'])[1 + (b.n * 31) % 5],
         'toilet', (array['flush','pit_latrine_slab','pit_latrine_open','none'])[1 + (b.n * 17) % 4],
         'rooms', 1 + (b.n * 13) % 5,
         'assets', (array['["phone"]','["tv","phone"]','[]','["radio","bicycle"]','["fridge","tv","car"]'])[1 + (b.n * 7) % 5]::jsonb,
         'income_sources', (array['["salary"]','["casual_labour"]','["farming","transfers"]','["business"]'])[1 + (b.n * 11) % 4]::jsonb)
     from bench_hh b`,
    [districts],
  );
  await db.query(
    `insert into person (id, given_name, family_name, sex, birth_date, disabilities, channel, created_by, updated_by)
     select gen_random_uuid(), 'P' || g, 'F' || (g % 1000), (array['male','female'])[1 + g % 2],
            date '1935-01-01' + ((g::bigint * 7907) % 32000)::int, case when g % 31 = 0 then '["MOB_SS"]'::jsonb else '[]'::jsonb end,
            'mobile', 'bench', 'bench'
     from generate_series(1, $1::int) g`,
    [persons],
  );
  await db.query(
    `insert into membership (id, household_id, person_id, relationship, start_date)
     select gen_random_uuid(), b.id, p.id, case when p.rn <= $1::int then 'SELF' else 'CHILD' end, date '2020-01-01'
     from (select id, row_number() over (order by id) as rn from person) p
     join bench_hh b on b.n = ((p.rn - 1) % $1::int) + 1`,
    [households],
  );
  await db.query(
    `update household h set head_person_id = m.person_id from membership m where m.household_id = h.id and m.relationship = 'SELF'`,
  );
  await db.execScript('drop table bench_hh; analyze');
  return households;
}

async function time(label: string, work: () => Promise<unknown>): Promise<void> {
  const started = process.hrtime.bigint();
  await work();
  console.log(`${label}: ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms`);
}

// run as a command, not when imported by the harness (bench/run.ts)
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
