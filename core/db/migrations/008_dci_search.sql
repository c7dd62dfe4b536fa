-- DCI search (core/dci/query, docs/dci-queries.md). The poverty score is read from the household's attributes until
-- the assessment's score table lands; comparisons on it ("poverty_score lt 20", the standard's own example) use this
-- index. The expression must stay identical to povertyScore() in core/dci/query/attributes.ts, or the planner
-- cannot use it (tests/core/dci/query/values.test.ts checks that).
create index household_dci_poverty_score on household (
  (case when jsonb_typeof(attributes -> 'poverty_score') = 'number' then (attributes ->> 'poverty_score')::numeric end)
);
