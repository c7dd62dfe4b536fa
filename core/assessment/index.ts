// Keeps scores and eligibility current: an outbox consumer re-scores the households a registry change touched (and
// refreshes active programs' eligibility for them, quota programs debounced: core/programs/recompute.ts), and the
// scoring job re-scores everyone after a publish, chunk by chunk, each chunk committed with the job's cursor so a
// restart resumes where it stopped.
import type { Db } from '../db/db.js';
import { useBulkSettings } from '../db/bulk-settings.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/dispatcher.js';
import type { OutboxEvent } from '../outbox/events.js';
import { activePrograms, refreshEligibility } from '../programs/eligibility.js';
import { followHouseholds, recomputeDirtyPrograms, type RecomputeTiming } from '../programs/recompute.js';
import { REGISTRY_TOPICS } from '../registry/events.js';
import { publishedModels, scoreChunk, scoreHouseholds, type PublishedModel } from './scoring.js';

export interface Assessment {
  /** Runs scoring jobs until none is left, then recomputes every dirty quota program (tests, the command line). */
  settle(): Promise<void>;
  /** Recomputes the dirty quota programs that are due (all with `force`); returns those recomputed. */
  recomputeEligibility(force?: boolean): Promise<string[]>;
  stop(): Promise<void>;
}

export interface AssessmentOptions {
  /** Households per chunk of the scoring job. */
  chunkSize?: number;
  pollMs?: number;
  /** When dirty quota programs are recomputed (config.eligibility). */
  eligibility?: RecomputeTiming;
}

export const ASSESSMENT_CONSUMER = 'assessment.rescore';

/** The households a batch of registry events touched: the household's own events and each person's household. */
export async function touchedHouseholds(tx: Db, events: readonly OutboxEvent[]): Promise<string[]> {
  const households = new Set<string>();
  const persons: string[] = [];
  for (const e of events) {
    if (e.aggregateType === 'household') households.add(e.aggregateId);
    else if (e.aggregateType === 'person') {
      persons.push(e.aggregateId);
      if (typeof e.payload.household_id === 'string') households.add(e.payload.household_id);
    }
  }
  if (persons.length) {
    const rows = await tx.query<{ household_id: string }>(
      'select distinct household_id from membership where person_id = any($1::uuid[]) and end_date is null',
      [persons],
    );
    rows.forEach((r) => households.add(r.household_id));
  }
  return [...households].sort();
}

/**
 * Re-scores the households with every published model and refreshes the active programs for them: at once those
 * without quota or budget, the others marked for the debounced recompute.
 */
export async function reassess(tx: Db, householdIds: readonly string[]): Promise<void> {
  if (householdIds.length === 0) return;
  for (const model of await publishedModels(tx)) await scoreHouseholds(tx, model, householdIds);
  await followHouseholds(tx, householdIds);
}

interface JobRow {
  id: string;
  model_id: string;
  model_version: number;
  last_household_id: string | null;
}

/** One chunk of one running job; true when there may be more work. */
export async function runScoringStep(db: Db, chunkSize: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    // another instance holding a job works on it; this one takes the next
    const [job] = await tx.query<JobRow>(
      `select id, model_id, model_version, last_household_id from scoring_job
       where status = 'running' order by started_at limit 1 for update skip locked`,
    );
    if (!job) return false;
    const [version] = await tx.query<{ definition: PublishedModel['definition'] }>(
      'select definition from assessment_model_version where model_id = $1 and version = $2',
      [job.model_id, job.model_version],
    );
    const model: PublishedModel = { id: job.model_id, version: job.model_version, definition: version.definition };
    await useBulkSettings(tx);
    const chunk = await scoreChunk(tx, model, job.last_household_id, chunkSize);
    if (chunk.count > 0) {
      await tx.query(
        'update scoring_job set last_household_id = $2, scored = scored + $3, updated_at = now() where id = $1',
        [job.id, chunk.last, chunk.count],
      );
      return true;
    }
    // everyone scored: the programs ranking by this model follow the new scores
    await tx.query(`update scoring_job set status = 'done', finished_at = now(), updated_at = now() where id = $1`, [job.id]);
    for (const program of await activePrograms(tx, job.model_id)) await refreshEligibility(tx, program, null);
    return true;
  });
}

export function startAssessment(deps: { db: Db; log: Logger; outbox: Outbox }, options: AssessmentOptions = {}): Assessment {
  const { db, log, outbox } = deps;
  // each chunk reads its households' stored features by key (features-store.ts: the first refresh after a bulk load
  // computes everyone in one pass); fewer, larger chunks mean fewer commits of the job's cursor
  const chunkSize = options.chunkSize ?? 50_000;
  const timing = options.eligibility ?? { settleMs: 2000, maxDelayMs: 30_000 };
  outbox.register({
    name: ASSESSMENT_CONSUMER,
    topics: REGISTRY_TOPICS,
    handle: async (tx, events) => reassess(tx, await touchedHouseholds(tx, events)),
  });

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const drainJobs = () =>
    (running ??= (async () => {
      try {
        while (!stopped && (await runScoringStep(db, chunkSize)));
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'scoring job step failed; it resumes from its last chunk');
      }
      try {
        if (!stopped) await recomputeDirtyPrograms(db, timing);
      } catch (err) {
        log.warn({ err: (err as Error)?.name, code: (err as { code?: unknown })?.code }, 'eligibility recompute failed; its marks stay for the next round');
      }
    })().finally(() => (running = undefined)));
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(async () => {
      await drainJobs();
      schedule();
    }, options.pollMs ?? 1000);
    timer.unref();
  };
  schedule();

  return {
    async settle() {
      if (running) await running;
      while (await runScoringStep(db, chunkSize));
      await recomputeDirtyPrograms(db, timing, true);
    },
    async recomputeEligibility(force = false) {
      if (running) await running;
      return recomputeDirtyPrograms(db, timing, force);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (running) await running;
    },
  };
}
