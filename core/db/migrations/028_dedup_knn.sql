-- The registration-time duplicate check's blocks stay the same cost however crowded a block grows (issue 11, the
-- soak: thousands of people of one family name, birth date and area): GiST trigram indexes give each block its
-- closest names in order (k-nearest-neighbour, `name_key <-> probe`), so a block reads its 100 closest people from
-- the index instead of comparing the name with everyone in it. btree_gist puts the equality and range columns in the
-- same index. core/dedup/find.ts uses them where both exist (to_regclass), and the older blocks elsewhere.

-- btree_gist: PostgreSQL ships it in contrib (a trusted extension); PGlite loads it in core/db/pglite.ts
do $$
begin
  create extension if not exists btree_gist;
exception when others then
  raise notice 'btree_gist is not available: the duplicate check keeps its unindexed closest-name order';
end
$$;

do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_trgm') and exists (select 1 from pg_extension where extname = 'btree_gist') then
    -- the same birth date, and birth years within one (a date range): closest names first
    create index dedup_match_key_date_name on dedup_match_key using gist (birth_date, name_key gist_trgm_ops);
    -- the same phonetic key, birth years within one or unknown (0: GiST cannot find nulls without visiting every
    -- page of the key, an equality it can): closest names first
    create index dedup_match_key_phonetic_name on dedup_match_key using gist (phonetic_key, coalesce(birth_year, 0), name_key gist_trgm_ops);
  end if;
end
$$;
