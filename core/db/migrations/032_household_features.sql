-- Household features kept pre-computed (core/assessment/features-store.ts): one narrow row per active household with
-- the inputs of scoring and rules, so a simulation, the scoring job and the coverage report read a row per household
-- instead of aggregating every member. The rows are exact whenever they are read: a reader first recomputes the
-- households marked stale and those whose age-derived features change by today (valid_until).

-- column types are those featuresSql() yields, so rules and models compile the same over either relation
create table household_features (
  household_id           uuid primary key,
  area_code              text not null,
  head_person_id         uuid,
  household_size         integer not null,
  children               integer not null,
  elderly                integer not null,
  working_age            integer not null,
  disabled               integer not null,
  females                integer not null,
  children_not_in_school integer not null,
  adults_no_education    integer not null,
  dependency_ratio       double precision not null,
  head_female            boolean not null,
  head_sex               text,
  head_age               integer,
  head_elderly           boolean not null,
  head_disabled          boolean not null,
  rooms                  double precision,
  monthly_income         double precision,
  persons_per_room       double precision,
  asset_count            integer not null,
  income_source_count    integer not null,
  dwelling_wall          text,
  dwelling_roof          text,
  dwelling_floor         text,
  water_source           text,
  toilet                 text,
  lighting               text,
  cooking_fuel           text,
  meals_skipped          text,
  assets                 jsonb not null,
  income_sources         jsonb not null,
  -- current members who have died (the coverage report counts them apart)
  deceased_members       integer not null,
  -- the first day an age-derived feature (children, elderly, head_age ...) may differ; null: never
  valid_until            date
);
create index household_features_valid_until on household_features (valid_until);
create index household_features_area on household_features (area_code);

-- Households whose features must be recomputed. Only ever inserted by the triggers below (no key: marking never
-- waits on another writer or on a refresh); a refresh deletes the marks it has seen.
create table household_features_stale (household_id uuid not null);

-- a person's features are read through their current membership, and as the head of a household
create index household_head_person on household (head_person_id) where head_person_id is not null;
-- the coverage report counts the deregistered households apart (the active ones are in household_features)
create index household_deregistered_area on household (area_code) where deregistered_at is not null;

create function household_features_mark_household() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' then
    insert into household_features_stale
    select n.id from new_rows n join old_rows o on o.id = n.id
    where (n.area_code, n.head_person_id, n.attributes, n.deregistered_at)
      is distinct from (o.area_code, o.head_person_id, o.attributes, o.deregistered_at);
  elsif tg_op = 'INSERT' then
    insert into household_features_stale select n.id from new_rows n;
  else
    insert into household_features_stale select o.id from old_rows o;
  end if;
  return null;
end $$;

create function household_features_mark_membership() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' then
    insert into household_features_stale
    select x.household_id from (select household_id from new_rows union select household_id from old_rows) x;
  elsif tg_op = 'INSERT' then
    insert into household_features_stale select distinct n.household_id from new_rows n;
  else
    insert into household_features_stale select distinct o.household_id from old_rows o;
  end if;
  return null;
end $$;

-- only the person columns a feature reads: the households the person is a current member or the head of
create function household_features_mark_person() returns trigger language plpgsql as $$
begin
  insert into household_features_stale
  with changed as (
    select n.id from new_rows n join old_rows o on o.id = n.id
    where (n.birth_date, n.sex, n.disabilities, n.attributes, n.death_date)
      is distinct from (o.birth_date, o.sex, o.disabilities, o.attributes, o.death_date))
  select m.household_id from changed c join membership m on m.person_id = c.id and m.end_date is null
  union
  select h.id from changed c join household h on h.head_person_id = c.id;
  return null;
end $$;

create trigger household_features_household_insert after insert on household
  referencing new table as new_rows for each statement execute function household_features_mark_household();
create trigger household_features_household_update after update on household
  referencing old table as old_rows new table as new_rows for each statement execute function household_features_mark_household();
create trigger household_features_household_delete after delete on household
  referencing old table as old_rows for each statement execute function household_features_mark_household();

create trigger household_features_membership_insert after insert on membership
  referencing new table as new_rows for each statement execute function household_features_mark_membership();
create trigger household_features_membership_update after update on membership
  referencing old table as old_rows new table as new_rows for each statement execute function household_features_mark_membership();
create trigger household_features_membership_delete after delete on membership
  referencing old table as old_rows for each statement execute function household_features_mark_membership();

create trigger household_features_person_update after update on person
  referencing old table as old_rows new table as new_rows for each statement execute function household_features_mark_person();

-- the households already registered are computed by the first refresh
insert into household_features_stale select id from household;
