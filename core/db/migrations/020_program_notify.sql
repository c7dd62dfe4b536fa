-- DCI notify of program eligibility (docs/connectors.md, docs/dci.md): which API clients are a program's management
-- systems (only they may subscribe to its eligibility changes), and the program an ELIGIBILITY subscription follows.
create table program_system (
  program_id uuid not null references program (id) on delete cascade,
  client_id  text not null references api_client (client_id) on delete cascade,
  created_by text not null,
  created_at timestamptz not null default now(),
  primary key (program_id, client_id)
);
create index program_system_client on program_system (client_id);

alter table dci_subscription add column program_id uuid references program (id);
alter table dci_subscription drop constraint dci_subscription_reg_event_type_check;
alter table dci_subscription add constraint dci_subscription_reg_event_type_check
  check (reg_event_type in ('REGISTER', 'NewHouseHoldMember', 'UPDATE', 'DEATH', 'DEREGISTER', 'ELIGIBILITY'));
-- an ELIGIBILITY subscription names its program; the others never do
alter table dci_subscription add constraint dci_subscription_program_check
  check ((reg_event_type = 'ELIGIBILITY') = (program_id is not null));

-- what a scheduled notification needs besides its event (ELIGIBILITY: the program and whether the household became
-- eligible or ineligible), kept until the subscription's run releases it
alter table dci_notification add column detail jsonb;
