-- Assessment (proxy means tests), programs with eligibility rules, and policy simulations (docs/assessment.md).

-- A model has versions: one draft at a time is edited; a published version never changes. Households are scored
-- with the model's last published version.
create table assessment_model (
  id                uuid primary key,
  code              text not null unique check (code ~ '^[a-z][a-z0-9_-]{1,63}$'),
  name              text not null,
  description       text,
  -- the version in effect (null until the first publish)
  published_version integer,
  created_by        text not null,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now()
);

create table assessment_model_version (
  model_id     uuid not null references assessment_model (id) on delete cascade,
  version      integer not null check (version >= 1),
  status       text not null check (status in ('draft', 'published', 'superseded')),
  -- {intercept, threshold?, indicators: [{name, feature, weight | values + default}]}: see docs/assessment.md
  definition   jsonb not null,
  created_by   text not null,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  published_by text,
  published_at timestamptz,
  primary key (model_id, version),
  check ((status = 'draft') = (published_at is null))
);
create unique index assessment_model_one_draft on assessment_model_version (model_id) where status = 'draft';

-- one score per household and model, with the version that computed it and each indicator's contribution
create table household_score (
  model_id      uuid not null references assessment_model (id) on delete cascade,
  household_id  uuid not null references household (id),
  model_version integer not null,
  score         double precision not null,
  breakdown     jsonb not null,
  computed_at   timestamptz not null default now(),
  primary key (model_id, household_id)
);
create index household_score_household on household_score (household_id);

-- scoring everyone after a publish, in chunks of households by id: each chunk commits with the job's cursor, so a
-- crash or restart resumes after the last chunk done and no transaction holds locks for long
create table scoring_job (
  id            uuid primary key,
  model_id      uuid not null references assessment_model (id) on delete cascade,
  model_version integer not null,
  status        text not null default 'running' check (status in ('running', 'done', 'superseded')),
  last_household_id uuid,
  scored        integer not null default 0,
  started_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  finished_at   timestamptz
);
create unique index scoring_job_one_running on scoring_job (model_id) where status = 'running';

create table program (
  id                    uuid primary key,
  code                  text not null unique check (code ~ '^[a-z][a-z0-9_-]{1,63}$'),
  name                  text not null,
  description           text,
  -- eligibility is kept (household_eligibility) while a program is active
  status                text not null default 'draft' check (status in ('draft', 'active', 'closed')),
  -- the model whose score rules read and households are ranked by (lowest first)
  model_id              uuid references assessment_model (id),
  -- [{name, expression}]: every rule must hold (the rule language of docs/assessment.md)
  rules                 jsonb not null default '[]',
  max_households        integer check (max_households > 0),
  budget                double precision check (budget >= 0),
  benefit_per_household double precision not null default 0 check (benefit_per_household >= 0),
  benefit_per_member    double precision not null default 0 check (benefit_per_member >= 0),
  version               integer not null default 1,
  created_by            text not null,
  updated_by            text not null,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now()
);

-- one row per household passing an active program's rules; eligible = also within the quota and budget, taken in
-- rank order (lowest score first, households without a score last, then by id)
create table household_eligibility (
  program_id   uuid not null references program (id) on delete cascade,
  household_id uuid not null references household (id),
  eligible     boolean not null,
  score        double precision,
  -- the score, or +infinity without one: the rank order, usable in a keyset cursor
  rank_key     double precision not null,
  cost         double precision not null,
  computed_at  timestamptz not null default now(),
  primary key (program_id, household_id)
);
create index household_eligibility_rank on household_eligibility (program_id, rank_key, household_id) where eligible;
create index household_eligibility_household on household_eligibility (household_id);

-- a policy simulation: the scenario as given and its result; computed without touching live data, never changed
create table simulation (
  id         uuid primary key,
  name       text not null,
  program_id uuid references program (id) on delete set null,
  scenario   jsonb not null,
  -- the areas it covered (the scenario's, within the caller's); null = every area
  areas      text[],
  result     jsonb not null,
  created_by text not null,
  created_at timestamptz not null default now()
);
create index simulation_created on simulation (created_at desc, id desc);

-- who a simulation newly includes or excludes against the current policy
create table simulation_change (
  simulation_id uuid not null references simulation (id) on delete cascade,
  household_id  uuid not null,
  change        text not null check (change in ('included', 'excluded')),
  area_code     text not null,
  primary key (simulation_id, household_id)
);
