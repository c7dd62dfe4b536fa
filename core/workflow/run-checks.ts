// Running a case's checks in order, each with a timeout: a check that throws, times out or answers nonsense sends
// the case to review with the reason; patches (geocoding's area and location) apply before the next check.
import type { HouseholdInput } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import type { CheckResult, CheckSubject, RegistrationCheck } from './checks.js';
import type { CaseStatus } from './types.js';

/** A check's result as stored with the case: the patch's field names only (the values are in the case data). */
export type StoredCheckResult = Omit<CheckResult, 'patch'> & { patched?: string[] };

export interface ChecksOutcome {
  status: Extract<CaseStatus, 'verified' | 'needs_review' | 'rejected'>;
  reasons: string[];
  results: StoredCheckResult[];
  household: HouseholdInput;
  patched: boolean;
}

const OUTCOMES = new Set(['passed', 'failed', 'needs_review', 'skipped']);

export async function runChecks(ctx: Ctx, checks: RegistrationCheck[], subject: CheckSubject, defaultTimeoutMs: number): Promise<ChecksOutcome> {
  let household = subject.household;
  let patched = false;
  const results: StoredCheckResult[] = [];
  for (const check of checks) {
    const result = await runOne(ctx, check, { ...subject, household }, check.timeoutMs ?? defaultTimeoutMs);
    const { patch, ...stored } = result;
    if (patch && result.outcome !== 'failed') {
      household = applyPatch(household, patch);
      patched = true;
    }
    results.push(patch ? { ...stored, patched: Object.keys(patch) } : stored);
    // a rejected case calls no more services (an ID check costs money and discloses data)
    if (result.outcome === 'failed') break;
  }
  const failed = results.filter((r) => r.outcome === 'failed');
  const review = results.filter((r) => r.outcome === 'needs_review');
  const status = failed.length ? 'rejected' : review.length ? 'needs_review' : 'verified';
  const reasons = [...new Set((failed.length ? failed : review).map((r) => r.reason ?? r.check))];
  return { status, reasons, results, household, patched };
}

async function runOne(ctx: Ctx, check: RegistrationCheck, subject: CheckSubject, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(() => check.run(ctx, subject)), timeout]);
    if (result === 'timeout') {
      ctx.log.warn({ check: check.name, timeout_ms: timeoutMs }, 'registration check timed out');
      return { check: check.name, outcome: 'needs_review', reason: 'check_timeout', details: { timeout_ms: timeoutMs } };
    }
    if (!result || !OUTCOMES.has(result.outcome)) {
      return { check: check.name, outcome: 'needs_review', reason: 'check_invalid_result' };
    }
    return { ...result, check: check.name };
  } catch (err) {
    // the message is the check's own; it must not carry personal data (checks are told so), the log gets the name only
    ctx.log.warn({ check: check.name, err: (err as Error)?.name }, 'registration check failed');
    return { check: check.name, outcome: 'needs_review', reason: 'check_error', details: { error: String((err as Error)?.message ?? err).slice(0, 200) } };
  } finally {
    clearTimeout(timer);
  }
}

/** A check's patch over the household: top-level fields replace, attributes merge key by key. */
export function applyPatch(household: HouseholdInput, patch: Partial<HouseholdInput>): HouseholdInput {
  const next: HouseholdInput = { ...household, ...patch };
  if (patch.attributes) next.attributes = { ...(household.attributes ?? {}), ...patch.attributes };
  return next;
}
