// One heavy job of the benchmark over the whole seeded population, run as its own process so its peak memory is its
// own: prints one JSON line { ms, maxRssMiB, detail } on stdout. The jobs build on each other in this order:
// scoring (publishes bench/assessment.ts's model), eligibility (activates a program on it), simulation (a scenario of
// that program), coverage (the coverage report by district), dedup (the batch job).
//   DATABASE_URL=... SRHUB_MASTER_KEY=... npx tsx bench/harness/jobs.ts scoring
import { reassess, runScoringStep } from '../../core/assessment/index.js';
import { createModel, publishVersion } from '../../core/assessment/service.js';
import { loadConfig } from '../../core/config.js';
import { openDb } from '../../core/db/index.js';
import { runBatchDedup } from '../../core/dedup/index.js';
import { loadMasterKey } from '../../core/keys/master-key.js';
import { createSecrets } from '../../core/keys/secrets.js';
import { createLogger } from '../../core/log.js';
import { createProgram, setProgramStatus } from '../../core/programs/service.js';
import { coverageReport } from '../../core/reports/coverage.js';
import { systemContext, type Ctx } from '../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../core/server/principal.js';
import { getSimulation, queueSimulation } from '../../core/simulation/service.js';
import { runOneSimulation } from '../../core/simulation/worker.js';
import { MODEL } from '../assessment.js';

const JOBS = ['scoring', 'eligibility', 'simulation', 'coverage', 'dedup'] as const;
type JobName = (typeof JOBS)[number];

const MODEL_CODE = 'bench-pmt';
const PROGRAM_CODE = 'bench-cash';

const programId = async (ctx: Ctx) => (await ctx.db.query<{ id: string }>('select id from program where code = $1', [PROGRAM_CODE]))[0].id;

/** Each job: what it times, and a few figures about what it did. */
const work: Record<JobName, (ctx: Ctx) => Promise<{ ms: number; detail: Record<string, unknown> }>> = {
  async scoring(ctx) {
    const model = await createModel(ctx, { code: MODEL_CODE, name: 'Bench PMT', definition: MODEL });
    return timed(async () => {
      await publishVersion(ctx, model.id, 1);
      let chunks = 0;
      while (await runScoringStep(ctx.db, 5000)) chunks++;
      const [{ scored }] = await ctx.db.query<{ scored: number }>('select count(*)::int as scored from household_score');
      return { chunks, scored };
    });
  },
  async eligibility(ctx) {
    const [model] = await ctx.db.query<{ id: string }>('select id from assessment_model where code = $1', [MODEL_CODE]);
    const [{ households }] = await ctx.db.query<{ households: number }>('select count(*)::int as households from household');
    const program = await createProgram(ctx, {
      code: PROGRAM_CODE, name: 'Bench cash', model_id: model.id,
      rules: [{ name: 'poor', expression: 'score < threshold && (children >= 1 || elderly >= 1 || disabled >= 1)' }],
      max_households: Math.max(1, Math.round(households / 5)), benefit_per_household: 20, benefit_per_member: 5,
    });
    return timed(async () => {
      await setProgramStatus(ctx, program.id, 'active');
      const [counts] = await ctx.db.query<{ eligible: number; passing: number }>(
        'select count(*) filter (where eligible)::int as eligible, count(*)::int as passing from household_eligibility where program_id = $1', [program.id]);
      // the outbox path for changed households, as the registry's writes drive it
      const ids = (await ctx.db.query<{ id: string }>('select id from household order by md5(id::text) limit 500')).map((r) => r.id);
      const t0 = Date.now();
      await ctx.db.transaction((tx) => reassess(tx, ids));
      return { ...counts, reassess500Ms: Date.now() - t0 };
    });
  },
  async simulation(ctx) {
    const id = await programId(ctx);
    const [{ households }] = await ctx.db.query<{ households: number }>('select count(*)::int as households from household');
    return timed(async () => {
      const queued = await queueSimulation(ctx, {
        name: 'bench', program_id: id, group_level: 1,
        scenario: { model: { threshold: 8.5, weights: { size: -0.3 } }, max_households: Math.round(households / 4), benefit_per_member: 6 },
      });
      while (await runOneSimulation(ctx.db, ctx.log)) { /* this process is the only worker: it computes the queued one */ }
      const done = await getSimulation(ctx.db, ctx, queued.id);
      if (done.status !== 'done') throw new Error(`simulation ${done.status}: ${done.error}`);
      return { status: done.status };
    });
  },
  async coverage(ctx) {
    await coverageReport(ctx, { level: 2 }); // first run: plans and caches warm, as on a hub that has served a report
    return timed(async () => {
      const report = await coverageReport(ctx, { level: 2 });
      return { rows: (report as { rows?: unknown[] }).rows?.length };
    });
  },
  async dedup(ctx) {
    await ctx.db.query('delete from duplicate_pair');
    return timed(async () => {
      const report = await runBatchDedup(ctx);
      return { persons: report.persons, candidates: report.candidates, matches: report.matches, possibleMatches: report.possibleMatches };
    });
  },
};

async function timed(run: () => Promise<Record<string, unknown>>): Promise<{ ms: number; detail: Record<string, unknown> }> {
  const started = process.hrtime.bigint();
  const detail = await run();
  return { ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6), detail };
}

async function main(job: string): Promise<void> {
  if (!(JOBS as readonly string[]).includes(job)) throw new Error(`unknown job ${job}; one of ${JOBS.join(', ')}`);
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  const log = createLogger('warn');
  const db = await openDb(config);
  const ctx = systemContext(config, db, createSecrets(await loadMasterKey(config, log)), log, SYSTEM_PRINCIPAL);
  try {
    const result = await work[job as JobName](ctx);
    await ctx.audit.stop();
    console.log(JSON.stringify({ ...result, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  } finally {
    await db.close();
  }
}

await main(process.argv[2] ?? '');
