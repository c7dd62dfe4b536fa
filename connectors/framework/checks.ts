// Connector jobs as registration checks (core/workflow/checks.ts): each entry of an enabled connector's
// manifest.checks becomes a RegistrationCheck that runs the job at once (runNow) on the case's subject. The job's
// result() is the CheckResult; a run that fails, times out, meets an open breaker or returns no result makes the
// case 'needs_review' with the reason, never a silent pass.
import type { CheckRegistry, CheckResult, CheckSubject, RegistrationCheck } from '../../core/workflow/checks.js';
import type { Db } from '../../core/db/index.js';
import { configStore } from './configuration.js';
import type { Connectors, RunRecord } from './types.js';

export type CheckRegistryLike = Pick<CheckRegistry, 'add' | 'remove' | 'list'>;

const OUTCOMES = new Set(['passed', 'failed', 'needs_review', 'skipped']);
// connector checks run after the built-in ones (form 10, duplicates 50)
const CHECK_ORDER = 200;
// the checks made here: a disabled connector removes only its own, never a same-named check of someone else
const ours = new WeakSet<RegistrationCheck>();

/** The check for one manifest entry. */
export function connectorCheck(connectors: Pick<Connectors, 'runNow'>, connectorId: string, name: string, job: string, timeoutMs?: number): RegistrationCheck {
  const check: RegistrationCheck = {
    name,
    order: CHECK_ORDER,
    ...(timeoutMs ? { timeoutMs } : {}),
    async run(_ctx, subject: CheckSubject): Promise<CheckResult> {
      let run: RunRecord;
      try {
        run = await connectors.runNow(connectorId, job, subject, { trigger: 'check', timeoutMs });
      } catch (err) {
        return { check: name, outcome: 'needs_review', reason: 'connector_error', details: { connector: connectorId, error: (err as Error).message } };
      }
      return toCheckResult(name, connectorId, run);
    },
  };
  ours.add(check);
  return check;
}

export function toCheckResult(name: string, connectorId: string, run: RunRecord): CheckResult {
  const details = { connector: connectorId, run_id: run.id };
  if (run.status !== 'succeeded') {
    const reason = /circuit breaker/.test(run.error ?? '') ? 'connector_unavailable' : /timed out/.test(run.error ?? '') ? 'connector_timeout' : 'connector_failed';
    return { check: name, outcome: 'needs_review', reason, details: { ...details, status: run.status } };
  }
  const result = run.result as Partial<CheckResult> | undefined;
  if (!result || typeof result !== 'object' || !OUTCOMES.has(result.outcome as string)) {
    return { check: name, outcome: 'needs_review', reason: 'connector_no_result', details };
  }
  return { ...result, check: name, outcome: result.outcome!, details: { ...details, ...result.details } };
}

/** Makes the registry hold exactly the checks of the enabled connectors (called at start and on every change). */
export async function syncWorkflowChecks(registry: CheckRegistryLike, connectors: Pick<Connectors, 'runNow' | 'loaded'>, db: Db): Promise<void> {
  const enabled = await configStore.enabledIds(db);
  for (const connector of connectors.loaded.values()) {
    const { id, checks = {}, jobs } = connector.manifest;
    for (const [name, job] of Object.entries(checks)) {
      if (enabled.has(id)) registry.add(connectorCheck(connectors, id, name, job, jobs[job]?.timeoutMs));
      else {
        const registered = registry.list().find((c) => c.name === name);
        if (registered && ours.has(registered)) registry.remove(name);
      }
    }
  }
}
