// The other parts the workflow calls: dedup (P6), forms (P4), verification records (P2). One place, so a check or
// the register step names what it uses from them and tests can see the seams.
export { findCandidates, recordDuplicatePairs } from '../dedup/index.js';
export { validateSubmission } from '../forms/index.js';
export { attachCaseVerifications } from '../verification/index.js';
