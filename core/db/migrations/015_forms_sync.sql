-- Forms (versioned definitions of what is collected) and offline sync for field apps: submissions received (one row
-- per client UUID, so a retried batch yields each record once), conflicts for an officer, attachments by content hash.

create table form_definition (
  form_id      text not null check (form_id ~ '^[a-z][a-z0-9_-]{1,63}$'),
  version      integer not null check (version >= 1),
  status       text not null check (status in ('draft', 'published')),
  -- the edit counter of a draft (its ETag); a published version never changes again
  revision     integer not null default 1,
  title        jsonb not null,
  -- {languages, default_language, schema, ui, choices}: see docs/sync.md and core/forms/definition.ts
  definition   jsonb not null,
  created_by   text not null,
  updated_by   text not null,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  published_by text,
  published_at timestamptz,
  primary key (form_id, version),
  check ((status = 'published') = (published_at is not null))
);
-- at most one draft per form: the next version is edited there until it is published
create unique index form_definition_one_draft on form_definition (form_id) where status = 'draft';

-- a published version is immutable in the database too (submissions are validated against exactly that version)
create function form_definition_published_immutable() returns trigger language plpgsql as $$
begin
  if old.status = 'published' then
    raise exception 'form % version % is published and cannot change', old.form_id, old.version
      using errcode = 'check_violation';
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end $$;
create trigger form_definition_immutable before update or delete on form_definition
  for each row execute function form_definition_published_immutable();

-- one row per submission a field app pushed, keyed by the app's UUID: the first push claims it (in the transaction
-- of its writes), a retry reads the stored answer
create table sync_submission (
  client_id      uuid primary key,
  principal_id   text not null,
  device_id      text not null,
  captured_at    timestamptz not null,
  received_at    timestamptz not null default now(),
  kind           text not null check (kind in ('new', 'update')),
  form_id        text,
  form_version   integer,
  household_id   uuid,
  base_version   integer,
  -- keyed hash (HMAC) of the item: the same UUID with other content is refused, never taken for a duplicate
  item_hash      text not null,
  outcome        text not null check (outcome in ('accepted', 'conflict', 'rejected')),
  -- the answer given the first time, sealed (field errors can quote identifiers)
  result_sealed  text not null,
  case_id        uuid,
  attachments    jsonb not null default '[]'
);
create index sync_submission_principal on sync_submission (principal_id, received_at desc);

-- the same field changed on the server and on a device since the device's base version: for an officer to decide
create table sync_conflict (
  id             uuid primary key,
  client_id      uuid not null references sync_submission (client_id),
  household_id   uuid not null references household (id),
  entity         text not null check (entity in ('household', 'person')),
  entity_id      uuid not null,
  field          text not null,
  base_version   integer not null,
  server_version integer not null,
  -- {mine, theirs} sealed: the values are personal data
  values_sealed  text not null,
  status         text not null default 'open' check (status in ('open', 'resolved')),
  resolution     text check (resolution in ('mine', 'theirs', 'value')),
  resolved_by    text,
  resolved_at    timestamptz,
  created_at     timestamptz not null default now(),
  check ((status = 'resolved') = (resolution is not null))
);
create index sync_conflict_household on sync_conflict (household_id, created_at);
create index sync_conflict_open on sync_conflict (created_at) where status = 'open';

-- attachments (photo of a document, signed paper consent) by SHA-256 of their content, uploaded in chunks
create table sync_attachment (
  sha256       text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  size         bigint not null check (size >= 0),
  media_type   text not null,
  received     bigint not null default 0 check (received <= size),
  status       text not null default 'partial' check (status in ('partial', 'complete')),
  created_by   text not null,
  created_at   timestamptz not null default now(),
  completed_at timestamptz
);

create table sync_attachment_chunk (
  sha256  text not null references sync_attachment (sha256) on delete cascade,
  "offset" bigint not null check ("offset" >= 0),
  data    bytea not null,
  primary key (sha256, "offset")
);
