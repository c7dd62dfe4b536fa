// Measures deduplication over N persons in a scratch PostgreSQL database: creates the database, migrates it, seeds
// N persons as `srhub seed --persons N` does (the fast seeder: a registration's rows, match keys with each person),
// registers 1% of them again with known corruptions (tests/core/dedup/corrupt.ts), then times the batch job over
// the whole registry (key refresh, each block pass, scoring) with the process's peak memory, reports how many of
// the injected duplicates it found, and times the registration-time search (findCandidates) for single people.
// Drops the database at the end.
//   npx tsx bench/dedup.ts                        (100,000 persons; PostgreSQL at 127.0.0.1:5432, user postgres)
//   npx tsx bench/dedup.ts --persons 1000000
//   npx tsx bench/dedup.ts --keep                 (leaves the database, to look at the plans)
//   npx tsx bench/dedup.ts --persons 1000000 --seed-only   (seeds, injects, keeps the database, prints its name)
//   npx tsx bench/dedup.ts --reuse srhub_bench_dedup_xxxx  (measures on a kept database; drops it unless --keep)
//   BENCH_POSTGRES_URL=postgres://user@host:5432/postgres npx tsx bench/dedup.ts
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openScratchDb } from './scratch-db.js';
import { findCandidates, runBatchDedup } from '../core/dedup/index.js';
import { createSecrets } from '../core/keys/secrets.js';
import { createLogger } from '../core/log.js';
import { districtsOf } from '../core/seed/country.js';
import { seedPersons } from '../core/seed/seed.js';
import { systemContext } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';
import { injectDuplicates, type KnownDuplicate } from '../tests/core/dedup/corrupt.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      persons: { type: 'string', default: '100000' },
      keep: { type: 'boolean', default: false },
      'seed-only': { type: 'boolean', default: false },
      reuse: { type: 'string' },
    },
  });
  const persons = Number(values.persons);
  const scratch = await openScratchDb('dedup', values.reuse);
  const { config, db, masterKey } = scratch;
  let keep = values.keep || values['seed-only'];
  try {
    // a reused database was sealed under another run's master key: the batch and the name searches open nothing sealed
    const ctx = systemContext(config, db, createSecrets(masterKey), createLogger('warn'), SYSTEM_PRINCIPAL);
    let started = Date.now();
    let known: KnownDuplicate[];
    const [{ injected }] = await db.query<{ injected: boolean }>(`select to_regclass('bench_known_duplicate') is not null as injected`);
    if (values.reuse && injected) {
      known = await db.query<KnownDuplicate>(`select original_id as "originalId", duplicate_id as "duplicateId", corruptions from bench_known_duplicate`);
      const [{ n }] = await db.query<{ n: number }>('select count(*)::int as n from person');
      console.log(`data: reused ${values.reuse}: ${n} persons, ${known.length} known duplicates`);
    } else {
      // a reused database without the injected duplicates: a seeding stopped midway (its committed batches are kept)
      const [{ n }] = values.reuse ? await db.query<{ n: number }>('select count(*)::int as n from person') : [{ n: 0 }];
      if (!values.reuse) {
        const seeded = await seedPersons(ctx, persons, 101);
        console.log(`data: ${seeded.persons} persons in ${seeded.households} households, seeded in ${secs(started)} s`);
      } else console.log(`data: reused ${values.reuse}: ${n} persons (seeding stopped midway), injecting duplicates`);
      started = Date.now();
      // phones are sealed under the stopped run's master key, gone with it: the duplicates then give none
      known = await injectDuplicates(ctx, Math.round((values.reuse ? n : persons) / 100), 7, districtsOf().map((d) => d.code), !values.reuse);
      console.log(`injected ${known.length} known duplicates in ${secs(started)} s`);
      // the truth, kept with the data for --reuse (a bench table: only in scratch databases)
      await db.query('create table bench_known_duplicate (original_id uuid, duplicate_id uuid, corruptions text[])');
      await db.query(`insert into bench_known_duplicate select * from jsonb_to_recordset($1::jsonb) as t(original_id uuid, duplicate_id uuid, corruptions text[])`, [
        JSON.stringify(known.map((k) => ({ original_id: k.originalId, duplicate_id: k.duplicateId, corruptions: k.corruptions }))),
      ]);
    }
    await db.query('analyze');
    if (values['seed-only']) {
      console.log(`seeded; measure with: npx tsx bench/dedup.ts --reuse ${scratch.name}`);
      return;
    }
    keep = values.keep;
    // the workflow would have queued some pairs on registration; measure the batch from an empty queue
    await db.query('delete from duplicate_pair');
    await db.query(`delete from dedup_run`);

    const memory = peakMemory();
    started = Date.now();
    let step = Date.now();
    const report = await runBatchDedup(ctx, {
      onProgress: (name, counts) => {
        if (name === 'score') return;
        console.log(`  ${name.padEnd(36)} ${secs(step).padStart(7)} s  ${JSON.stringify(counts)}`);
        step = Date.now();
      },
    });
    const peak = memory.stop();
    console.log(`  ${'score'.padEnd(36)} ${secs(step).padStart(7)} s  ${JSON.stringify({ scored: report.scored })}`);
    console.log(
      `batch dedup: ${report.persons} persons in ${secs(started)} s; ${report.candidates} candidate pairs, ` +
        `${report.matches} match + ${report.possibleMatches} possible_match; peak RSS ${mb(peak.rss)} MB, heap ${mb(peak.heap)} MB`,
    );
    const queued = await db.query<{ person_a: string; person_b: string; decision: string }>(`select person_a, person_b, decision from duplicate_pair`);
    const key = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
    const truth = new Set(known.map((k) => key(k.originalId, k.duplicateId)));
    const pairs = new Set(queued.map((p) => key(p.person_a, p.person_b)));
    const found = known.filter((k) => pairs.has(key(k.originalId, k.duplicateId)));
    const share = (decision: string) => {
      const of = queued.filter((p) => p.decision === decision);
      return `${of.filter((p) => truth.has(key(p.person_a, p.person_b))).length} of ${of.length}`;
    };
    console.log(`injected duplicates found: ${found.length} of ${known.length} (${((100 * found.length) / known.length).toFixed(1)}%); pairs queued: ${pairs.size}`);
    console.log(`known duplicates among the pairs: match ${share('match')}, possible_match ${share('possible_match')} (the others are namesakes of the synthetic population, see docs/dedup.md)`);

    // the registration-time search, one person at a time as the workflow's check calls it
    const probes = await db.query<{ id: string; given_name: string; family_name: string; birth_date: string; sex: string; area_code: string }>(
      `select p.id, p.given_name, p.family_name, p.birth_date, p.sex, h.area_code from person p
       join membership m on m.person_id = p.id and m.end_date is null join household h on h.id = m.household_id
       where p.merged_into is null order by md5(p.id::text) limit 200`,
    );
    const times: number[] = [];
    for (const p of probes) {
      const t0 = performance.now();
      await findCandidates(db, ctx.secrets, [{ ref: p.id, ...p }], { excludePersonIds: [p.id] });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`findCandidates (1 person): median ${times[100].toFixed(1)} ms, p95 ${times[190].toFixed(1)} ms over ${times.length}`);
  } finally {
    await scratch.close(keep);
  }
}

const secs = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

/** Samples the process's memory every 50 ms until stopped; returns the peaks. */
function peakMemory(): { stop(): { rss: number; heap: number } } {
  const peak = { rss: 0, heap: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}


// run as a command, not when imported by the harness (bench/run.ts)
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
