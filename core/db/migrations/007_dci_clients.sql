-- How the hub talks SPDCI with each API client: where its callbacks go, the keys its messages are signed with
-- (an inline JWKS or a jwks_uri, never both), the key to encrypt responses to, and what it insists on.
-- The hub's own Ed25519 and encryption keys live in signing_key (migration 002) with alg EdDSA / ECDH-ES+A256KW.
create table dci_client (
  client_id         text primary key references api_client (client_id) on delete cascade,
  callback_url      text,
  jwks_uri          text,
  jwks              jsonb,
  encryption_jwk    jsonb,
  require_signature boolean not null default false,
  encrypt_responses boolean not null default false,
  updated_by        text not null,
  updated_at        timestamptz not null default now(),
  check (jwks_uri is null or jwks is null),
  check (not require_signature or jwks_uri is not null or jwks is not null),
  check (not encrypt_responses or encryption_jwk is not null)
);
