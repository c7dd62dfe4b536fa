-- What follows a person through a merge (docs/dedup.md "What a merge moves"): consents and identity verifications
-- made on the merged record are re-pointed to the survivor; merged_from names the record they were made on, so a
-- reader can tell them from the survivor's own (a moved consent also carries a revision saying so).
alter table consent add column merged_from uuid references person (id);
alter table person_verification add column merged_from uuid references person (id);
