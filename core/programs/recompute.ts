// Following registry changes without recomputing quota programs for every outbox batch. A program without quota or
// budget is refreshed for the changed households at once (a household cannot move another). A program with a quota
// or budget ranks everyone, so one household's change can move any other: it is only marked dirty, and recomputed in
// full once the burst of changes settles (no mark for settleMs) or at the latest maxDelayMs after its oldest mark.
// Marks are only ever inserted, so the outbox never waits on a recompute; a recompute deletes exactly the marks it
// read before computing, so a change marked meanwhile leaves its mark for the next one.
import type { Db } from '../db/db.js';
import { refreshEligibility } from './eligibility.js';

export interface RecomputeTiming {
  settleMs: number;
  maxDelayMs: number;
}

/** Refreshes the unranked active programs for the households now, and marks the ranked ones dirty. Runs in `tx`. */
export async function followHouseholds(tx: Db, householdIds: readonly string[]): Promise<void> {
  if (householdIds.length === 0) return;
  const programs = await tx.query<{ id: string; ranked: boolean }>(
    `select id, (max_households is not null or budget is not null) as ranked from program where status = 'active' order by id`,
  );
  for (const program of programs) if (!program.ranked) await refreshEligibility(tx, program.id, householdIds);
  const ranked = programs.filter((p) => p.ranked).map((p) => p.id);
  if (ranked.length) await tx.query('insert into program_eligibility_dirty (program_id) select unnest($1::uuid[])', [ranked]);
}

/**
 * Recomputes each dirty program whose marks are due (all of them with `force`), each in its own transaction holding
 * the program's row, so two instances never recompute the same program at once. Returns the programs recomputed.
 */
export async function recomputeDirtyPrograms(db: Db, timing: RecomputeTiming, force = false): Promise<string[]> {
  const due = await db.query<{ program_id: string }>(
    `select program_id from program_eligibility_dirty group by program_id
     having $1 or max(marked_at) <= now() - make_interval(secs => $2) or min(marked_at) <= now() - make_interval(secs => $3)
     order by program_id`,
    [force, timing.settleMs / 1000, timing.maxDelayMs / 1000],
  );
  const done: string[] = [];
  for (const { program_id: programId } of due) {
    const recomputed = await db.transaction(async (tx) => {
      // held by another instance's recompute or an administrator's change (which recomputes anyway): next round. NO KEY:
      // the outbox's marks reference the row (a key-share lock) and must not wait for this
      const [program] = await tx.query<{ id: string }>('select id from program where id = $1 for no key update skip locked', [programId]);
      if (!program) return false;
      // the marks read before computing: the changes they stand for are committed, so the recompute sees them
      const marks = await tx.query<{ id: string }>('select id from program_eligibility_dirty where program_id = $1', [programId]);
      if (marks.length === 0) return false;
      await refreshEligibility(tx, programId, null);
      await tx.query('delete from program_eligibility_dirty where id = any($1::bigint[])', [marks.map((m) => m.id)]);
      return true;
    });
    if (recomputed) done.push(programId);
  }
  return done;
}
