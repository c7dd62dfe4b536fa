// The context a case's registry writes run in: the submitter's identity (so records say who collected them), with
// no area limit (the areas were checked at submission), in the given transaction; the request id names the case.
import type { Db } from '../db/index.js';
import { ALL_SCOPES, type Principal } from '../server/principal.js';
import type { Ctx } from '../server/context.js';
import type { CaseRow } from './store.js';

export function submitterContext(ctx: Ctx, tx: Db, row: Pick<CaseRow, 'id' | 'submitted_by' | 'submitted_by_kind'>): Ctx {
  const principal: Principal = {
    id: row.submitted_by,
    kind: row.submitted_by_kind as Principal['kind'],
    scopes: new Set(ALL_SCOPES),
    areas: null,
  };
  return { ...ctx, db: tx, principal, requestId: `case-${row.id}` };
}

/** Savepoints keep a failed registry write from aborting the whole transaction (both engines support them). */
export async function inSavepoint<T>(tx: Db, work: () => Promise<T>): Promise<T> {
  await tx.query('savepoint workflow_step');
  try {
    const result = await work();
    await tx.query('release savepoint workflow_step');
    return result;
  } catch (err) {
    await tx.query('rollback to savepoint workflow_step');
    throw err;
  }
}
