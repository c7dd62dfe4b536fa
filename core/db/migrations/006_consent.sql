-- Verifiable consent (docs/consent.md): data agreements, consent records with hash-chained revisions, the status
-- lists that revoke consent tokens, and the beneficiary accounts that manage their own consents.

-- What a consent is about. A published version is immutable (its hash covers its content); a change is a new version.
create table data_agreement (
  id                uuid primary key,
  code              text not null check (code ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  version           integer not null check (version >= 1),
  state             text not null check (state in ('draft', 'published')),
  purpose_code      text not null,
  purpose_text      jsonb not null,          -- {"en": "...", "fr": "..."}
  lawful_basis      text not null check (lawful_basis in
                      ('consent', 'contract', 'legal_obligation', 'vital_interest', 'public_task', 'legitimate_interest')),
  categories        text[] not null,
  recipients        text[] not null,         -- client ids or program ids
  controller        jsonb not null,          -- {"name": "...", "contact": "..."}
  retention_days    integer not null check (retention_days > 0),
  max_validity_days integer not null check (max_validity_days > 0),
  -- a household head may consent for every current member of the household
  household_consent boolean not null default false,
  hash              text,                    -- sha-256 of the canonical content, set when published
  created_by        text not null,
  created_at        timestamptz not null default now(),
  published_at      timestamptz,
  unique (code, version),
  check ((state = 'published') = (hash is not null))
);
create index data_agreement_purpose on data_agreement (purpose_code) where state = 'published';

-- Consent tokens carry {"status": {"status_list": {"idx": n, "uri": ".../status-lists/<list>"}}}. One sequence
-- numbers every consent; list = n / size + 1, idx = n % size, so any number of hub instances allocate without a lock.
create sequence consent_status_seq minvalue 0 start with 0;

create table consent_status_list (
  id         integer primary key,
  -- one bit per token, bit n in byte n/8 at position n%8 from the least significant (IETF Token Status List order)
  bits       bytea not null,
  updated_at timestamptz not null default now()
);

-- A person's consent (or refusal) to one agreement version; its current state. Every change adds a revision.
create table consent (
  id               uuid primary key,
  person_id        uuid not null references person (id),
  agreement_id     uuid not null references data_agreement (id),
  agreement_hash   text not null,
  -- the household a head consented for (agreements with household_consent only)
  for_household_id uuid references household (id),
  state            text not null check (state in ('given', 'refused', 'withdrawn', 'expired')),
  valid_from       timestamptz not null,
  valid_until      timestamptz not null,
  channel          text not null check (channel in ('online', 'mobile', 'in_person', 'paper')),
  collected_by     text not null,
  proxy            jsonb,                    -- {"name", "person_id"?, "relationship"}: a guardian, a caregiver
  attestation      jsonb,                    -- paper: {"form_sha256", "witness"}
  revision         integer not null default 1,
  status_list_id   integer references consent_status_list (id),
  status_idx       integer,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  check (valid_until > valid_from),
  check (channel <> 'paper' or attestation is not null),
  check ((status_list_id is null) = (status_idx is null))
);
create index consent_person on consent (person_id);
create index consent_household on consent (for_household_id) where for_household_id is not null;
create index consent_agreement on consent (agreement_id);
create index consent_given_until on consent (valid_until) where state = 'given';

-- Every revision of a consent, hash-chained: hash = sha-256(prev_hash, canonical JSON of the revision).
create table consent_revision (
  consent_id  uuid not null references consent (id),
  revision    integer not null,
  state       text not null,
  valid_from  timestamptz not null,
  valid_until timestamptz not null,
  changed_by  text not null,
  changed_at  timestamptz not null,
  note        text,
  prev_hash   text not null,
  hash        text not null,
  primary key (consent_id, revision)
);

-- A beneficiary's account is linked to their person record; its principal may see and change only that person's
-- consents (scope consent.self).
alter table app_user add column person_id uuid references person (id);

insert into role (name, description, scopes, builtin) values
  ('beneficiary', 'A person managing their own consents.', array['consent.self'], true);

-- publishing data agreements decides what programs may receive: administrators only
update role set scopes = scopes || array['consent.agreements'] where name = 'administrator';
