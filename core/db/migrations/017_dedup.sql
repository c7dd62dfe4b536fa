-- Deduplication (docs/dedup.md): match keys per person for blocking, the review queue of candidate pairs, merges
-- (the merged person's id redirects to the survivor), settings, and the batch job's runs and candidate staging.

-- pg_trgm: PostgreSQL ships it in contrib (a trusted extension); PGlite loads it in core/db/pglite.ts. Where it is
-- missing, dedup blocks on phonetic keys and shared name tokens only (core/dedup/engine.ts checks at run time).
do $$
begin
  create extension if not exists pg_trgm;
exception when others then
  raise notice 'pg_trgm is not available: deduplication blocks without trigram similarity';
end
$$;

-- Match keys, computed in the application (core/dedup/keys.ts: transliteration, phonetic code) whenever a person is
-- written; person_version tells a stale row (written by a path that skipped it) from a fresh one.
create table dedup_match_key (
  person_id      uuid primary key references person (id) on delete cascade,
  person_version integer not null,
  -- the name's tokens, transliterated, lower case, sorted and joined by one space (word order does not matter)
  name_key       text not null,
  name_tokens    text[] not null,
  -- the tokens' phonetic codes, sorted and joined by one space
  phonetic_key   text not null,
  birth_date     date,
  birth_year     integer
);
create index dedup_match_key_phonetic on dedup_match_key (phonetic_key, birth_year);
create index dedup_match_key_birth_date on dedup_match_key (birth_date);
-- the registration-time search compares names by pg_trgm similarity within birth years: the year narrows first
-- (a GIN trigram index was tried: its posting lists for common trigrams grow with the registry, the year does not)
create index dedup_match_key_birth_year on dedup_match_key (birth_year);

-- A merged person stays as a tombstone (its history and the references of other records stay valid); its id
-- redirects to the survivor. Searches and lists leave merged persons out.
alter table person add column merged_into uuid references person (id);
alter table person add constraint person_not_merged_into_self check (merged_into is null or merged_into <> id);
create index person_merged_into on person (merged_into) where merged_into is not null;

-- The review queue: one row per pair of persons whatever the order they were found in (person_a < person_b).
create table duplicate_pair (
  id              uuid primary key,
  person_a        uuid not null references person (id),
  person_b        uuid not null references person (id),
  score           double precision not null,
  decision        text not null check (decision in ('match', 'possible_match')),
  reasons         jsonb not null default '[]',
  status          text not null default 'open' check (status in ('open', 'merged', 'distinct')),
  source          text not null check (source in ('registration', 'batch', 'manual')),
  survivor_id     uuid references person (id),
  decided_by      text,
  decided_at      timestamptz,
  decision_reason text,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  check (person_a < person_b),
  check ((status = 'open') = (decided_at is null)),
  check ((status = 'merged') = (survivor_id is not null)),
  unique (person_a, person_b)
);
create index duplicate_pair_status on duplicate_pair (status, score desc, id);
create index duplicate_pair_person_b on duplicate_pair (person_b);

-- Scoring weights and thresholds (one row; absent = the defaults of core/dedup/settings.ts).
create table dedup_settings (
  id         boolean primary key default true check (id),
  settings   jsonb not null,
  version    integer not null default 1,
  updated_by text not null,
  updated_at timestamptz not null default now()
);

-- Batch runs over the whole registry, and the candidate pairs a run stages before scoring them (deleted at the end).
create table dedup_run (
  id          uuid primary key,
  status      text not null check (status in ('running', 'finished', 'failed')),
  started_by  text not null,
  started_at  timestamptz not null default now(),
  -- moved on by the run as it works: a run silent for long has died (its process stopped) and no longer blocks others
  heartbeat_at timestamptz not null default now(),
  finished_at timestamptz,
  stats       jsonb not null default '{}',
  error       text
);
create table dedup_candidate (
  run_id   uuid not null references dedup_run (id) on delete cascade,
  person_a uuid not null,
  person_b uuid not null,
  primary key (run_id, person_a, person_b)
);
