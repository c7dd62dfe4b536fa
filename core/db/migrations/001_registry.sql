-- The registry core: admin areas, persons, identifiers, households, memberships, history, idempotency.

create table admin_area (
  code        text primary key,
  name        text not null,
  level       integer not null check (level >= 0),
  parent_code text references admin_area (code),
  -- materialised path of codes from the root ('/R1/R1-D2/'), so "an area and everything under it" is a prefix
  path        text not null unique,
  created_at  timestamptz not null default now()
);

create table person (
  id                   uuid primary key,
  version              integer not null default 1,
  given_name           text,
  family_name          text,
  other_names          text,
  -- lower-case, accent-free copies for search (fuzzystrmatch and friends mishandle raw UTF-8)
  given_name_norm      text,
  family_name_norm     text,
  sex                  text check (sex in ('male', 'female', 'other', 'unknown')),
  birth_date           date,
  birth_date_estimated boolean not null default false,
  -- the phone number sealed (AES-256-GCM) with its blind index (HMAC) for exact-match search: see
  -- "Personal data at rest" in docs/architecture.md
  phone_sealed         text,
  phone_index          text,
  email                text,
  preferred_language   text,
  disabilities         jsonb not null default '[]',
  vulnerabilities      jsonb not null default '[]',
  attributes           jsonb not null default '{}',
  channel              text not null check (channel in ('online', 'mobile', 'in_person', 'bulk_import', 'connector')),
  created_by           text not null,
  updated_by           text not null,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now()
);
create index person_family_name_norm on person (family_name_norm text_pattern_ops);
create index person_given_name_norm on person (given_name_norm text_pattern_ops);
create index person_birth_date on person (birth_date);
create index person_phone_index on person (phone_index);

-- identifier values are stored sealed; the blind index of the normalised value finds them and keeps them unique
create table person_identifier (
  id_type      text not null,
  value_index  text not null,
  value_sealed text not null,
  person_id    uuid not null references person (id) on delete cascade,
  issued_by_hub boolean not null default false,
  primary key (id_type, value_index)
);
create index person_identifier_person on person_identifier (person_id);

create table household (
  id             uuid primary key,
  version        integer not null default 1,
  household_type text,
  address        text,
  area_code      text not null references admin_area (code),
  latitude       double precision check (latitude between -90 and 90),
  longitude      double precision check (longitude between -180 and 180),
  head_person_id uuid references person (id),
  attributes     jsonb not null default '{}',
  channel        text not null check (channel in ('online', 'mobile', 'in_person', 'bulk_import', 'connector')),
  created_by     text not null,
  updated_by     text not null,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);
create index household_area on household (area_code);

create table membership (
  id           uuid primary key,
  household_id uuid not null references household (id),
  person_id    uuid not null references person (id),
  relationship text not null,
  start_date   date not null,
  end_date     date,
  created_at   timestamptz not null default now(),
  check (end_date is null or end_date >= start_date)
);
-- a person belongs to at most one household at a time
create unique index membership_one_current on membership (person_id) where end_date is null;
create index membership_household on membership (household_id) where end_date is null;

-- every version of every record: who changed it, when, through which channel, and each field's old and new value
create table record_history (
  id         bigserial primary key,
  entity     text not null check (entity in ('person', 'household')),
  entity_id  uuid not null,
  version    integer not null,
  changed_at timestamptz not null default now(),
  changed_by text not null,
  channel    text not null,
  changes    jsonb not null,
  unique (entity, entity_id, version)
);

-- a retried create with the same Idempotency-Key answers with the first result
create table idempotency_key (
  principal_id text not null,
  operation    text not null,
  key          text not null,
  request_hash text not null,   -- keyed hash (HMAC) of the request body
  status       integer,
  response     jsonb,           -- the answer sealed (a JSON string): it can hold identifiers and phone numbers
  created_at   timestamptz not null default now(),
  primary key (principal_id, operation, key)
);
