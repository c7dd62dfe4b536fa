// The registration workflow (docs/workflow.md): every submission, from any channel, becomes a case that goes through
// the same checks before it counts; updates are change requests through the same path.
export type {
  CaseStatus,
  Channel,
  ChangeKind,
  ChangeRequest,
  ChangeResult,
  ChangeStatus,
  ProxyInfo,
  Submission,
  SubmitResult,
  WitnessInfo,
} from './types.js';
export type { CheckOutcome, CheckRegistry, CheckResult, CheckSubject, RegistrationCheck } from './checks.js';
export { submitRegistration, submitRegistrations } from './submit.js';
export { submitChange } from './changes.js';
