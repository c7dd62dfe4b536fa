-- The audit log: one entry per read or write of personal data and per admin action. Append-only, and
-- hash-chained: each entry's hash covers its content and the previous entry's hash (core/audit/chain.ts).

create table audit_log (
  -- assigned by the writer under the chain lock as the previous id + 1: gapless, so a deleted entry shows as a gap
  -- (a sequence would leave gaps on every rollback)
  id                bigint primary key,
  at                timestamptz not null,
  actor             text not null,
  actor_kind        text not null,
  ip                text,
  request_id        text not null,
  action            text not null check (action ~ '^[a-z][a-z_]{0,31}$'),
  entity            text not null check (entity ~ '^[a-z][a-z_]{0,31}$'),
  entity_id         text,
  -- whose personal data it is (a household's data concerns each member: one entry per member)
  subject_person_id uuid,
  fields            text[],
  purpose           text,
  outcome           text not null check (outcome in ('success', 'denied', 'error')),
  details           jsonb,
  prev_hash         text not null,
  hash              text not null
);
create index audit_log_subject on audit_log (subject_person_id, id) where subject_person_id is not null;
create index audit_log_actor on audit_log (actor, id);
create index audit_log_entity on audit_log (entity, entity_id, id);
-- entries arrive in time order (give or take clock skew between instances): a BRIN index is tiny and cheap
create index audit_log_at on audit_log using brin (at);

-- Append-only in the database too. A DBA can still disable the triggers; the hash chain is what shows it.
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_log_no_change before update or delete on audit_log
  for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_append_only();
