-- A household's deregistration: when it left the registry (null = active) and why, as a code from a fixed list.
-- Recorded with POST /api/v1/households/{id}/deregister; the household and its memberships stay (history matters),
-- later changes are refused, DCI searches leave it out, and household.deregistered reaches DCI subscribers as the
-- DEREGISTER event (docs/dci.md).
alter table household add column deregistered_at timestamptz;
alter table household add column deregistration_reason text;
alter table household add constraint household_deregistration_reason
  check (deregistration_reason is null or deregistration_reason in
    ('duplicate', 'moved_abroad', 'all_members_deceased', 'requested_by_household', 'ineligible_data', 'other'));
alter table household add constraint household_deregistration_together
  check ((deregistered_at is null) = (deregistration_reason is null));
