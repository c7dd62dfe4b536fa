// Settings for one transaction of a whole-registry query (a simulation, a quota program's recompute, a scoring chunk).
// Measured at 1,000,000 persons (docs/assessment.md): with the default work_mem of 4 MB the member aggregate and the
// ranking window sort spill to disk and hash joins split into batches; and JIT spends 1-2 s per statement compiling
// ~130 expressions that run once. `set local` ends with the transaction, so nothing leaks into a pooled connection.
import type { Db } from './db.js';

export async function useBulkSettings(tx: Db, workMem = '128MB'): Promise<void> {
  // PGlite runs in this process with its own memory limits and no JIT
  if (tx.engine !== 'postgres') return;
  await tx.query(`select set_config('work_mem', $1, true), set_config('jit', 'off', true)`, [workMem]);
}
