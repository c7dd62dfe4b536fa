-- A person's death: the date it happened (null = alive). Recorded with PATCH /api/v1/persons/{id}; recording it
-- emits person.deceased, which reaches DCI subscribers as the DEATH event (docs/dci.md). "Not in the future" is the
-- application's rule (core/registry/persons/rules.ts): a check constraint cannot depend on today.
alter table person add column death_date date;
alter table person add constraint person_death_after_birth
  check (death_date is null or birth_date is null or death_date >= birth_date);
