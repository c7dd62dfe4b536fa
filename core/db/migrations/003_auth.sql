-- Who may call the hub: roles (sets of scopes), people who sign in (users) and systems (API clients).

create table role (
  name        text primary key check (name ~ '^[a-z][a-z0-9_]{1,63}$'),
  description text not null,
  scopes      text[] not null,
  builtin     boolean not null default false,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

insert into role (name, description, scopes, builtin) values
  ('administrator', 'Runs the hub: users, clients, forms, models, connectors, audit.',
    array['registry.read','registry.write','registry.search','consent.manage','forms.manage','assessment.manage',
          'reports.read','sync.push','connectors.manage','users.manage','audit.read'], true),
  ('registry_officer', 'Registers and updates people and households, records consent.',
    array['registry.read','registry.write','consent.manage'], true),
  ('field_worker', 'Collects registrations in the field and syncs them.',
    array['registry.read','registry.write','sync.push'], true),
  ('program_officer', 'Queries potential beneficiaries, configures assessment, reads reports.',
    array['registry.read','registry.search','assessment.manage','reports.read'], true),
  ('policymaker', 'Sees dashboards, reports and simulations.', array['reports.read'], true),
  ('auditor', 'Reads the audit trail.', array['audit.read'], true),
  ('dci_client', 'A system querying the registry through the SPDCI API.', array['registry.search'], true);

create table app_user (
  id                   uuid primary key,
  username             text not null unique check (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  display_name         text,
  password_hash        text not null,
  roles                text[] not null,
  -- admin area codes the user is limited to (each with everything under it); null = every area
  areas                text[],
  must_change_password boolean not null default false,
  disabled_at          timestamptz,
  created_by           text not null,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now()
);

create table api_client (
  client_id         text primary key check (client_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$'),
  name              text not null,
  secret_hash       text,
  -- for private_key_jwt (RFC 7523): the client's public key
  public_jwk        jsonb,
  roles             text[] not null,
  areas             text[],
  disabled_at       timestamptz,
  secret_rotated_at timestamptz,
  created_by        text not null,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  check (secret_hash is not null or public_jwk is not null)
);

-- private_key_jwt assertions already used: a replayed assertion is refused
create table client_assertion (
  client_id  text not null,
  jti        text not null,
  expires_at timestamptz not null,
  primary key (client_id, jti)
);
