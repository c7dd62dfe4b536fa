-- Simulations run as background jobs (core/simulation/worker.ts), and quota programs' eligibility is recomputed once
-- a burst of registry changes settles rather than for every outbox batch (core/assessment/debounce.ts).

-- A simulation is queued by the request and computed by whichever hub instance claims it: queued -> running ->
-- done | failed. `plan` is what the request resolved (both policies, both models), so the job computes exactly the
-- scenario that was accepted even if the program changes meanwhile. A running simulation whose instance died is
-- taken again once its lease has run out and no transaction holds its row.
alter table simulation
  add column status      text not null default 'done' check (status in ('queued', 'running', 'done', 'failed')),
  add column plan        jsonb,
  add column attempts    integer not null default 0,
  add column lease_until timestamptz,
  add column error       text,
  add column started_at  timestamptz,
  add column finished_at timestamptz,
  alter column result drop not null;
alter table simulation add constraint simulation_result_when_done check ((status = 'done') = (result is not null));
create index simulation_waiting on simulation (created_at) where status in ('queued', 'running');

-- Registry changes that may move a quota or budget program's eligibility, waiting for the debounced recompute. Only
-- ever inserted (so marking never waits on a recompute in progress); a recompute deletes the marks it has seen.
create table program_eligibility_dirty (
  id         bigserial primary key,
  program_id uuid not null references program (id) on delete cascade,
  marked_at  timestamptz not null default now()
);
create index program_eligibility_dirty_program on program_eligibility_dirty (program_id, marked_at);
