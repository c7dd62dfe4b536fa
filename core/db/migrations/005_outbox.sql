-- The transactional outbox: events written in the same transaction as the change they report, read by consumers
-- (DCI subscriptions, connectors, re-assessment) in commit order; and the durable queue of outgoing HTTP messages.

create table outbox_event (
  -- ids follow commit order: writers take the writer lock before their first event and keep it until commit
  -- (core/outbox/events.ts), so a consumer reading past its last id never skips an event committed late
  id             bigint generated always as identity primary key,
  topic          text not null check (topic ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$'),
  aggregate_type text not null,
  aggregate_id   text not null,
  -- ids, area codes and changed field names only: never names, identifiers or phone numbers
  payload        jsonb not null default '{}',
  created_at     timestamptz not null default now()
);

-- where each consumer has got to; the row is locked while a batch is handled, so one instance handles it at a time
create table outbox_consumer (
  name       text primary key,
  last_id    bigint not null default 0,
  updated_at timestamptz not null default now()
);

create table delivery (
  id              uuid primary key,
  seq             bigint generated always as identity,
  kind            text not null,
  url             text not null,
  -- sealed under the master key (the body can hold personal data and identifiers)
  body            text not null,
  -- a second enqueue of the same message creates nothing
  dedupe_key      text not null unique,
  -- messages with the same ordering key are sent one at a time, oldest first
  ordering_key    text,
  status          text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_status     integer,
  last_error      text,
  created_at      timestamptz not null default now(),
  delivered_at    timestamptz
);
create index delivery_due on delivery (next_attempt_at) where status = 'pending';
create index delivery_ordering on delivery (ordering_key, seq) where status = 'pending' and ordering_key is not null;
