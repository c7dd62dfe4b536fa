-- Reports, the dashboard and data quality (core/reports, docs/reports.md): population denominators per admin area,
-- the data-quality thresholds administrators set and the alerts they raise. The reports themselves are queries.

-- A population figure for an area and year (a census, a projection): the denominator of coverage. A figure for an
-- area counts for its whole subtree; where an area has none, the figures of its nearest descendants are summed.
create table area_population (
  area_code  text not null references admin_area (code),
  year       integer not null check (year between 1900 and 2200),
  population bigint not null check (population >= 0),
  households bigint check (households >= 0),
  source     text not null check (length(source) between 1 and 200),
  loaded_by  text not null,
  loaded_at  timestamptz not null default now(),
  primary key (area_code, year)
);
create index area_population_year on area_population (year);

-- A data-quality threshold: evaluated per admin area at `level` (and for the whole registry); crossing it raises an
-- alert. completeness: alert when the share of records with `field` filled is below limit_value (0..1);
-- stale_records and unverified_identities: when the share is above limit_value; the counts (validation_failures,
-- open_duplicates, sync_conflicts): when the count is above limit_value.
create table data_quality_threshold (
  metric      text not null check (metric in ('completeness', 'stale_records', 'unverified_identities',
                                               'validation_failures', 'open_duplicates', 'sync_conflicts')),
  -- completeness only: the field ('person.birth_date', 'household.location', ...); '' for the other metrics
  field       text not null default '',
  limit_value numeric not null check (limit_value >= 0),
  -- stale_records only: records not updated for this many months
  months      integer check (months between 1 and 240),
  level       integer not null default 0 check (level between 0 and 20),
  updated_by  text not null,
  updated_at  timestamptz not null default now(),
  primary key (metric, field),
  check ((metric = 'completeness') = (field <> '')),
  check ((metric = 'stale_records') = (months is not null)),
  check (metric not in ('completeness', 'stale_records', 'unverified_identities') or limit_value <= 1)
);

-- An alert: a threshold crossed in an area. One open alert per threshold and area; it resolves itself when an
-- evaluation finds the area back within the threshold, and a later crossing opens a new one.
create table data_quality_alert (
  id           uuid primary key,
  metric       text not null,
  field        text not null default '',
  area_code    text not null references admin_area (code),
  value        numeric not null,
  limit_value  numeric not null,
  raised_at    timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  resolved_at  timestamptz
);
create unique index data_quality_alert_open on data_quality_alert (metric, field, area_code) where resolved_at is null;
create index data_quality_alert_raised on data_quality_alert (raised_at desc);

-- Administrators load denominators and set thresholds; only they get the new scope.
update role set scopes = array_append(scopes, 'reports.manage')
  where name = 'administrator' and builtin and not ('reports.manage' = any (scopes));
