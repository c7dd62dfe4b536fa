-- The registration workflow (docs/workflow.md): every submission, from any channel, is a case that goes through the
-- same checks before it counts (registration), and updates to a registered household are cases too (change).

create table registration_case (
  id                uuid primary key,
  kind              text not null check (kind in ('registration', 'change')),
  status            text not null,
  channel           text not null check (channel in ('online', 'mobile', 'in_person', 'bulk_import', 'connector')),
  -- where the case is, for area scoping of the queues (the submitted area; a check's patch may move it)
  area_code         text not null,
  -- registration: the household once registered; change: the household changed
  household_id      uuid references household (id),
  -- change: whose person record (update_person, end_membership)
  person_id         uuid,
  change_kind       text check (change_kind in ('update_household', 'update_person', 'add_member', 'end_membership')),
  -- change: the version the change was made from (If-Match semantics)
  base_version      integer,
  form_id           text,
  form_version      integer,
  -- the client's own id for the submission (a sync item's UUID): a second submission answers the first case
  client_ref        text,
  device_id         text,
  captured_at       timestamptz,
  source            text,
  -- the submitted data (household, changes, proxy, witness) as JSON, sealed: it is personal data
  data_sealed       text not null,
  -- inclusive registration, as flags for queues and reports (who and how are in the sealed data)
  by_proxy          boolean not null default false,
  assisted          boolean not null default false,
  -- why the case is where it is: check reasons, rule names, 'conflict'; never personal data
  reasons           text[] not null default '{}',
  -- the checks' results (check, outcome, reason, details): ids and field paths only
  checks            jsonb not null default '[]',
  assigned_to       text,
  submitted_by      text not null,
  submitted_by_kind text not null,
  decided_by        text,
  decided_at        timestamptz,
  -- the check runner's claim: a crashed runner's claim runs out and the case is checked again
  lease_until       timestamptz,
  attempts          integer not null default 0,
  version           integer not null default 1,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  check ((kind = 'registration' and status in ('submitted', 'verified', 'needs_review', 'rejected', 'registered'))
      or (kind = 'change' and status in ('submitted', 'needs_review', 'approved', 'rejected', 'applied'))),
  check ((kind = 'change') = (change_kind is not null)),
  check (kind = 'registration' or household_id is not null)
);
create unique index registration_case_client_ref on registration_case (kind, client_ref) where client_ref is not null;
-- the queues: cases by status (and area), oldest first; the runner's work
create index registration_case_status on registration_case (status, area_code, id);
create index registration_case_household on registration_case (household_id) where household_id is not null;

-- what happened to a case, in order: transitions, assignments, comments (a comment is sealed: free text may name people)
create table registration_case_event (
  id             bigint generated always as identity primary key,
  case_id        uuid not null references registration_case (id) on delete cascade,
  action         text not null check (action in ('submit', 'checks', 'approve', 'reject', 'assign', 'comment', 'register', 'apply', 'reopen')),
  from_status    text,
  to_status      text,
  actor          text not null,
  reasons        text[] not null default '{}',
  comment_sealed text,
  at             timestamptz not null default now()
);
create index registration_case_event_case on registration_case_event (case_id, id);

-- reviewing cases is its own permission: whoever collects data does not approve it
update role set scopes = scopes || array['registry.review'], updated_at = now()
 where builtin and name in ('administrator', 'registry_officer') and not ('registry.review' = any (scopes));
