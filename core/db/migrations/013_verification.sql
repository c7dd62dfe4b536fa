-- Identity verification records (core/verification) and program participation (household_program), written by the
-- national ID and program management connectors and shown in the registry.

-- One verification of a person's identity against an external system (or a document, a one-time code). Made during a
-- registration case the person does not exist yet: the record names the case and the member's index, and gets the
-- person id when the case registers (attachCaseVerifications). Details say which fields matched and the external
-- transaction reference, never the values compared.
create table person_verification (
  id           uuid primary key,
  person_id    uuid references person (id),
  -- the registration case (core/workflow, a later migration: no foreign key) and the member's index in it
  case_id      uuid,
  member_index integer check (member_index >= 0),
  method       text not null check (method ~ '^[a-z][a-z0-9_]{1,39}$'),
  -- the system asked: a connector id and the service, e.g. 'national-id/mosip-ida'
  system       text not null check (length(system) between 1 and 100),
  result       text not null check (result in ('match', 'mismatch', 'not_found', 'error')),
  details      jsonb not null default '{}',
  verified_at  timestamptz not null default now(),
  recorded_by  text not null,
  -- the work that made it (a connector run's item, a case check): recording it again (a retried run) adds nothing
  dedupe_key   text unique,
  check (person_id is not null or (case_id is not null and member_index is not null))
);
create index person_verification_person on person_verification (person_id, verified_at desc) where person_id is not null;
create index person_verification_case on person_verification (case_id, member_index) where case_id is not null;

-- A household's participation in a program, as the program's management system (MIS) reports it.
create table household_program (
  household_id          uuid not null references household (id),
  -- program.code (core/programs, a later migration: no foreign key)
  program_code          text not null check (program_code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  -- the MIS's own id of the enrolment
  external_enrolment_id text,
  status                text not null check (status in ('submitted', 'pending', 'enrolled', 'active', 'suspended', 'exited', 'rejected')),
  -- when the MIS says the status changed (null: not reported yet)
  status_changed_at     timestamptz,
  -- who told the hub: a connector id ('program-mis') or a user
  source                text not null,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  primary key (household_id, program_code)
);
create index household_program_program on household_program (program_code, status);
create unique index household_program_enrolment on household_program (program_code, external_enrolment_id)
  where external_enrolment_id is not null;
