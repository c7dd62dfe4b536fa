// Measures deduplication over N persons in a scratch PostgreSQL database: creates the database, migrates it, seeds
// N persons through the registration path (as `srhub seed --persons N` does: match keys written with each person),
// registers 1% of them again with known corruptions (tests/core/dedup/corrupt.ts), then times the batch job over
// the whole registry (key refresh, each block pass, scoring) with the process's peak memory, reports how many of
// the injected duplicates it found, and times the registration-time search (findCandidates) for single people.
// Drops the database at the end.
//   npx tsx bench/dedup.ts                        (100,000 persons; PostgreSQL at 127.0.0.1:5432, user postgres)
//   npx tsx bench/dedup.ts --persons 1000000
//   npx tsx bench/dedup.ts --keep                 (leaves the database, to look at the plans)
//   BENCH_POSTGRES_URL=postgres://user@host:5432/postgres npx tsx bench/dedup.ts
import { parseArgs } from 'node:util';
import { openScratchDb } from './scratch-db.js';
import { findCandidates, runBatchDedup } from '../core/dedup/index.js';
import { createSecrets } from '../core/keys/secrets.js';
import { createLogger } from '../core/log.js';
import { districtsOf } from '../core/seed/country.js';
import { seedPersons } from '../core/seed/seed.js';
import { systemContext } from '../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../core/server/principal.js';
import { injectDuplicates } from '../tests/core/dedup/corrupt.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { persons: { type: 'string', default: '100000' }, keep: { type: 'boolean', default: false } } });
  const persons = Number(values.persons);
  const scratch = await openScratchDb('dedup');
  const { config, db, masterKey } = scratch;
  try {
    const ctx = systemContext(config, db, createSecrets(masterKey), createLogger('warn'), SYSTEM_PRINCIPAL);
    let started = Date.now();
    const seeded = await seedPersons(ctx, persons, 101);
    console.log(`data: ${seeded.persons} persons in ${seeded.households} households, seeded in ${secs(started)} s`);
    started = Date.now();
    const known = await injectDuplicates(ctx, Math.round(persons / 100), 7, districtsOf().map((d) => d.code));
    console.log(`injected ${known.length} known duplicates in ${secs(started)} s`);
    await db.query('analyze');
    // the workflow would have queued some pairs on registration; measure the batch from an empty queue
    await db.query('delete from duplicate_pair');

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
    await scratch.close(Boolean(values.keep));
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


main().catch((err) => {
  console.error(err);
  process.exit(1);
});
