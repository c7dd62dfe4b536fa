// The runner: takes cases waiting for it (a registration to check, an approved change to apply) one at a time,
// with a lease, does the slow part (checks call connectors) outside any transaction, then writes the outcome in one
// transaction guarded by its claim. A crash mid-way leaves the lease to run out and the case is taken again.
import type { Db } from '../db/index.js';
import { HubError } from '../server/errors.js';
import type { Ctx } from '../server/context.js';
import { applyChange, type ChangeData } from './apply.js';
import type { CheckRegistry } from './checks.js';
import { inSavepoint } from './acting.js';
import { registerCase } from './register-case.js';
import { runChecks } from './run-checks.js';
import { caseStore, openCaseData, sealCaseData, type CaseRow } from './store.js';
import type { RegistrationData } from './submit.js';
import { transition } from './transitions.js';

export interface RunnerDeps {
  db: Db;
  /** The workflow's own context (principal 'workflow'); checks run with it. */
  ctx: () => Ctx;
  checks: CheckRegistry;
  autoRegister: () => boolean;
  checkTimeoutMs: () => number;
}

/** Takes and handles one case; false when none was waiting. */
export async function runOne(deps: RunnerDeps): Promise<boolean> {
  const leaseMs = Math.max(60_000, deps.checkTimeoutMs() * (deps.checks.list().length + 1) * 2);
  const row = await caseStore.claim(deps.db, leaseMs);
  if (!row) return false;
  const ctx = { ...deps.ctx(), requestId: `case-${row.id}` };
  if (row.attempts > MAX_ATTEMPTS) {
    await giveUp(deps.db, ctx, row);
    return true;
  }
  try {
    if (row.kind === 'registration') await checkRegistration(deps, ctx, row);
    else await applyApproved(deps, ctx, row);
  } catch (err) {
    // a bug or the database gone: the lease runs out and the case is taken again later
    // the name and code only: a message can quote data (an identifier in a constraint's detail)
    ctx.log.error({ case_id: row.id, err: (err as Error)?.name, code: (err as { code?: unknown })?.code }, 'workflow runner failed on a case');
  }
  return true;
}

/** A case that failed the runner this often (a bug, a poisoned record) goes to an officer rather than round again. */
const MAX_ATTEMPTS = 5;

async function giveUp(db: Db, ctx: Ctx, row: CaseRow): Promise<void> {
  await db.transaction(async (tx) => {
    const current = await stillMine(tx, row);
    if (current) await transition(tx, ctx, current, { action: 'checks', to: 'needs_review', reasons: ['processing_failed'], fields: { release: true } });
  });
}

/** Locks the case and checks it is still this claim's (not decided by an officer, not claimed again since). */
async function stillMine(tx: Db, row: CaseRow): Promise<CaseRow | undefined> {
  const current = await caseStore.byId(tx, row.id, null, true);
  return current && current.status === row.status && current.attempts === row.attempts ? current : undefined;
}

async function checkRegistration(deps: RunnerDeps, ctx: Ctx, row: CaseRow): Promise<void> {
  const data = openCaseData<RegistrationData>(ctx.secrets, row);
  const subject = {
    caseId: row.id,
    household: data.household,
    channel: row.channel,
    source: row.source ?? undefined,
    ...(row.form_id ? { form: { id: row.form_id, version: row.form_version! } } : {}),
  };
  const outcome = await runChecks(ctx, deps.checks.list(), subject, deps.checkTimeoutMs());
  await deps.db.transaction(async (tx) => {
    const current = await stillMine(tx, row);
    if (!current) return;
    const patched = outcome.patched ? { data_sealed: sealCaseData(ctx.secrets, row.id, { ...data, household: outcome.household }) } : {};
    const checked = await transition(tx, ctx, current, {
      action: 'checks',
      to: outcome.status,
      reasons: outcome.reasons,
      fields: { checks: outcome.results, area_code: outcome.household.area_code, release: true, ...patched },
    });
    if (checked.status === 'verified' && deps.autoRegister()) await registerCase(tx, ctx, checked, 'review');
  });
}

async function applyApproved(deps: RunnerDeps, ctx: Ctx, row: CaseRow): Promise<void> {
  const data = openCaseData<ChangeData>(ctx.secrets, row);
  await deps.db.transaction(async (tx) => {
    const current = await stillMine(tx, row);
    if (!current) return;
    try {
      await inSavepoint(tx, () => applyChange(tx, ctx, current, data));
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      // refused by the registry (a conflict, a rule broken): an officer decides
      const reason = err.code === 'change.conflict' ? 'conflict' : 'apply_failed';
      const details = {
        code: err.code,
        ...(err.details?.fields ? { fields: err.details.fields } : {}),
        ...(err.details?.current_version ? { current_version: err.details.current_version } : {}),
        // field paths only: registry messages can quote the value (an identifier already registered)
        ...(Array.isArray(err.details?.errors) ? { errors: (err.details.errors as { field: string }[]).map((e) => ({ field: e.field })) } : {}),
      };
      await transition(tx, ctx, current, {
        action: 'checks',
        to: 'needs_review',
        reasons: [reason],
        fields: { checks: [...current.checks, { check: 'apply', outcome: 'needs_review', reason, details }], release: true },
      });
      return;
    }
    await transition(tx, ctx, current, { action: 'apply', to: 'applied', fields: { release: true } });
  });
}
