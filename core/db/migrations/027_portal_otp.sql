-- The beneficiary portal (docs/portal.md): one-time codes sent to a phone, for signing in (a registered person) and
-- for registering online (a person not yet registered, whose phone is verified first). The code is kept only as a
-- keyed hash bound to its challenge; the phone only as the blind index the person table uses.
create table portal_otp_challenge (
  id           uuid primary key,
  purpose      text not null check (purpose in ('sign_in', 'register')),
  -- HMAC of the normalised phone number (the same index as person.phone_index)
  phone_index  text not null,
  -- sign_in: the person the code was sent to; null when the phone is unknown (nothing was sent)
  person_id    uuid references person (id),
  code_hash    text not null,
  attempts     integer not null default 0,
  expires_at   timestamptz not null,
  used_at      timestamptz,
  created_at   timestamptz not null default now()
);
-- the per-phone limit counts the recent challenges of a phone
create index portal_otp_challenge_phone on portal_otp_challenge (phone_index, created_at);

-- What a person may do for themself (the portal, or any portal holding a person-scoped token): read their record,
-- their household's members and their access log, and ask for corrections. Applicants (a verified phone, not yet
-- registered) may only submit a registration and follow it.
update role set scopes = scopes || array['registry.self'] where name = 'beneficiary' and not ('registry.self' = any (scopes));
update role set description = 'A person acting for themself: their record, consents, corrections and access log.' where name = 'beneficiary';
insert into role (name, description, scopes, builtin) values
  ('applicant', 'Someone with a verified phone, not yet registered: submits a registration online and follows it.', array['registration.apply'], true)
on conflict (name) do nothing;
