// Programs and eligibility, as other parts use them (the program management connector, reports): the eligible
// households of a program in rank order, area-scoped by the caller, and the tables they can read directly.
//   program (id uuid, code text unique, name, status 'draft'|'active'|'closed', model_id, rules, quotas)
//   household_eligibility (program_id, household_id, eligible, rank, score, computed_at): one row per household
//     that passes the program's rules; `eligible` says whether it is also within the quota and budget
//   household_score (household_id, model_id, model_version, score, breakdown jsonb, computed_at)
// Eligibility changes emit the outbox event household.eligibility_changed {household_id, program_id, eligible}.
export { listEligible, type EligibleHousehold, type EligiblePage, type ListEligibleOptions } from './eligible.js';
export { householdEligibility, type HouseholdEligibility } from './explain.js';
export { refreshEligibility, ELIGIBILITY_CHANGED } from './eligibility.js';
export { getProgram, listPrograms, type Program } from './service.js';
