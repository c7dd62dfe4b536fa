-- The hub's signing keys. Private parts are sealed with a key derived from the master key.
create table signing_key (
  kid          text primary key,
  alg          text not null,
  public_jwk   jsonb not null,
  private_jwk  text not null, -- AES-256-GCM sealed JSON
  created_at   timestamptz not null default now(),
  -- a retired key signs nothing new and is still published until then, for tokens it signed earlier
  retired_at   timestamptz,
  expires_at   timestamptz
);
