// Registration checks: the pluggable steps a case goes through after it is submitted (form validation, duplicates,
// and what connectors add: ID verification, geocoding). The runner (runner.ts) calls each registered check with the
// case's data; a check that throws or times out counts as 'needs_review', never as a silent pass.
import type { HouseholdInput } from '../registry/types.js';
import type { Ctx } from '../server/context.js';

/** What a check looks at: the case and the household as submitted (with earlier checks' patches applied). */
export interface CheckSubject {
  caseId: string;
  household: HouseholdInput;
  /** The form the submission names, if any (the form-validation check validates against exactly this version). */
  form?: { id: string; version: number };
  channel?: string;
  /** Where it comes from when not the caller ('beneficiary_portal', 'civil_registry', ...). */
  source?: string;
}

export type CheckOutcome = 'passed' | 'failed' | 'needs_review' | 'skipped';

export interface CheckResult {
  check: string;
  outcome: CheckOutcome;
  /** Why (a stable code-like text, e.g. 'possible_duplicate', 'id_mismatch'); shown in the review queue. */
  reason?: string;
  /** No personal data beyond ids and field paths: results are stored with the case. */
  details?: Record<string, unknown>;
  /** Changes to apply to the case data (e.g. GIS: area_code, location), applied before the next check. */
  patch?: Partial<HouseholdInput>;
}

export interface RegistrationCheck {
  /** Unique among the registered checks: adding a second check of the same name replaces the first. */
  name: string;
  run(ctx: Ctx, subject: CheckSubject): Promise<CheckResult>;
  /** Default: the workflow's check timeout (SRHUB_WORKFLOW_CHECK_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Checks run in ascending order (default 100); built-ins: form validation 10, duplicates 50. */
  order?: number;
}

/** The registered checks (hub.workflow.checks). */
export interface CheckRegistry {
  add(check: RegistrationCheck): void;
  remove(name: string): boolean;
  list(): RegistrationCheck[];
}

export function createCheckRegistry(initial: RegistrationCheck[] = []): CheckRegistry {
  const checks = new Map<string, RegistrationCheck>();
  for (const check of initial) checks.set(check.name, check);
  return {
    add(check) {
      if (!check?.name || typeof check.run !== 'function') throw new Error('a registration check needs a name and run()');
      checks.set(check.name, check);
    },
    remove: (name) => checks.delete(name),
    list: () => [...checks.values()].sort((a, b) => (a.order ?? 100) - (b.order ?? 100) || a.name.localeCompare(b.name)),
  };
}
