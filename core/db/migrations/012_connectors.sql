-- Connectors (connectors/<id>/, run by connectors/framework): per-connector configuration (secrets sealed), the runs
-- recorded before they start, their dead-lettered items, checkpoints (cursors), the circuit breaker shared by every
-- hub instance, and the cron slots an instance claims so a schedule fires once across instances.

create table connector_config (
  connector_id  text primary key,
  enabled       boolean not null default false,
  -- the non-secret configuration keys, as validated against the manifest's configSchema
  configuration jsonb not null default '{}',
  -- secret key -> value sealed with the master key (context connector_secret:<id>:<key>); never returned
  secrets       jsonb not null default '{}',
  -- cron per job overriding the manifest's default ('' turns the schedule off)
  schedules     jsonb not null default '{}',
  -- the runner's limits: retries, backoff, breaker threshold and cool-down, timeouts, concurrency
  settings      jsonb not null default '{}',
  updated_by    text not null,
  updated_at    timestamptz not null default now()
);

create table connector_run (
  id           uuid primary key,
  connector_id text not null,
  job          text not null,
  trigger      text not null check (trigger in ('schedule', 'event', 'on_demand', 'check', 'rerun')),
  status       text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed', 'partial')),
  rerun_of     uuid references connector_run (id),
  -- the input (event payloads, request body, dead-lettered items), sealed: it may carry personal data
  input_sealed text,
  requested_by text not null,
  queued_at    timestamptz not null default now(),
  started_at   timestamptz,
  finished_at  timestamptz,
  -- how often it was claimed (a run whose instance died is queued again, up to a limit)
  attempts     integer not null default 0,
  -- while running: the instance holding it and until when (past it, the sweeper queues the run again)
  claimed_by   text,
  lease_until  timestamptz,
  counts       jsonb not null default '{}',
  error        text,
  -- the job's result(), sealed (a check's result may name what the external system answered)
  result_sealed text,
  -- messages without personal data: [{at, message, fields}]
  log          jsonb not null default '[]'
);
create index connector_run_by_connector on connector_run (connector_id, queued_at desc);
create index connector_run_open on connector_run (status, queued_at) where status in ('queued', 'running');

create table connector_dead_letter (
  id           bigserial primary key,
  run_id       uuid not null references connector_run (id),
  connector_id text not null,
  job          text not null,
  -- the failed item, sealed (context connector_dead_letter:<connector>)
  item_sealed  text not null,
  error        text not null,
  created_at   timestamptz not null default now(),
  -- the re-run that took the item again
  retried_in   uuid references connector_run (id)
);
create index connector_dead_letter_by_run on connector_dead_letter (run_id);

create table connector_checkpoint (
  connector_id text not null,
  name         text not null,
  value        jsonb not null,
  updated_at   timestamptz not null default now(),
  primary key (connector_id, name)
);

-- One circuit breaker per connector, shared by every instance: closed -> open after N consecutive failures ->
-- half_open (one probe after the cool-down) -> closed on success, open again on failure.
create table connector_breaker (
  connector_id text primary key,
  state        text not null default 'closed' check (state in ('closed', 'open', 'half_open')),
  failures     integer not null default 0,
  opened_at    timestamptz,
  probe_at     timestamptz,
  updated_at   timestamptz not null default now()
);

-- The next cron slot of each scheduled job; an instance claims a slot by moving next_run_at forward.
create table connector_schedule (
  connector_id text not null,
  job          text not null,
  cron         text not null,
  next_run_at  timestamptz not null,
  primary key (connector_id, job)
);
