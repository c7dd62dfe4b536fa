-- Revocation of access tokens (docs/security.md): every token carries its account's epoch (claim `ep`) at issue; the
-- epoch goes up on a password change or reset, a deactivation, a change of roles or areas, and a client's secret
-- rotation, so every token issued before stops at once (checked on each request against a briefly cached copy).
alter table app_user add column token_epoch integer not null default 0;
alter table api_client add column token_epoch integer not null default 0;
