-- DCI search (core/dci/query/search.ts): every search leaves out deregistered households and the people whose current
-- household is one. Deregistered households are few; without an index of their own, a search that does not join the
-- current household anyway read the whole household table to find them (a sequential scan per statement).
create index household_deregistered on household (id) where deregistered_at is not null;
