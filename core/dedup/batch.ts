// The batch job over the whole registry: candidate pairs generated in SQL, block by block (set-based, staged in
// dedup_candidate so the process never holds them), then scored page by page and recorded in the review queue.
// Memory in the process is one page of pairs; the database does the joins (spilling to disk if it must).
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import type { Ctx } from '../server/context.js';
import { conflict } from '../server/errors.js';
import type { PairToRecord } from './index.js';
import { refreshMatchKeys } from './keys.js';
import { recordDuplicatePairs } from './pairs.js';
import { hasTrigram, loadRecords } from './records.js';
import { scorePair } from './score.js';
import { loadSettings, type DedupSettings } from './settings.js';

export interface BatchOptions {
  /** Pairs scored per transaction (default 5,000). */
  pageSize?: number;
  /** Slices each block pass is cut into (default one per 250,000 people): shorter statements. */
  partitions?: number;
  /** Called after each step, for progress lines (counts only). */
  onProgress?: (step: string, counts: Record<string, number>) => void;
}

export interface BatchReport {
  runId: string;
  persons: number;
  keysRefreshed: number;
  /** Candidate pairs found by each pass (a pair can be found by several). */
  passes: Record<string, number>;
  candidates: number;
  scored: number;
  matches: number;
  possibleMatches: number;
  newPairs: number;
  trigram: boolean;
  durationMs: number;
}

/** A run not heard from for this long has died: it no longer blocks a new one. */
const STALE_RUN_MS = 10 * 60 * 1000;

/** Starts a run (refusing while another is alive); the caller then calls executeRun with the id. */
export async function startRun(db: Db, startedBy: string): Promise<string> {
  return db.transaction(async (tx) => {
    // one run at a time across hub instances: the lock serialises this check-and-insert
    await tx.query(`select pg_advisory_xact_lock(7316417)`);
    const [alive] = await tx.query<{ id: string }>(
      `select id from dedup_run where status = 'running' and heartbeat_at > now() - make_interval(secs => $1) limit 1`,
      [STALE_RUN_MS / 1000],
    );
    if (alive) throw conflict('dedup.run_in_progress', 'A deduplication run is in progress; wait for it to finish.', { run_id: alive.id });
    await tx.query(`update dedup_run set status = 'failed', error = 'stopped answering', finished_at = now() where status = 'running'`);
    const id = uuidv7();
    await tx.query(`insert into dedup_run (id, status, started_by) values ($1, 'running', $2)`, [id, startedBy]);
    return id;
  });
}

/** The whole batch in one call (command line, tests, bench): start, execute, report. */
export async function runBatchDedup(ctx: Pick<Ctx, 'db' | 'principal'>, options: BatchOptions = {}): Promise<BatchReport> {
  const runId = await startRun(ctx.db, ctx.principal.id);
  return executeRun(ctx.db, runId, options);
}

export async function executeRun(db: Db, runId: string, options: BatchOptions = {}): Promise<BatchReport> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  try {
    const { settings } = await loadSettings(db);
    const [{ n: persons }] = await db.query<{ n: number }>('select count(*)::int as n from person where merged_into is null');
    const keysRefreshed = await refreshMatchKeys(db);
    progress('keys', { persons, keysRefreshed });
    await heartbeat(db, runId, { persons, keysRefreshed });

    const trigram = await hasTrigram(db);
    const partitions = options.partitions ?? Math.max(1, Math.ceil(persons / 250_000));
    const passes: Record<string, number> = {};
    for (const pass of blockPasses(trigram)) {
      passes[pass.name] = 0;
      for (let part = 0; part < partitions; part++) {
        const rows = await db.query<{ n: number }>(
          `with found as (${pass.sql}),
                added as (insert into dedup_candidate (run_id, person_a, person_b) select $1, a, b from found
                          on conflict do nothing returning 1)
           select (select count(*) from found)::int as n`,
          [runId, partitions, part, settings.blocking.max_block_size, ...(pass.trigram ? [settings.blocking.trigram_threshold] : [])],
        );
        passes[pass.name] += rows[0].n;
        await heartbeat(db, runId, { persons, keysRefreshed, ...passes });
      }
      progress(`block ${pass.name}`, { pairs: passes[pass.name] });
    }

    const scoring = await scoreCandidates(db, runId, settings, options.pageSize ?? 5000, async (counts) => {
      progress('score', counts);
      await heartbeat(db, runId, { persons, ...counts });
    });
    const report: BatchReport = { runId, persons, keysRefreshed, passes, ...scoring, trigram, durationMs: Date.now() - started };
    await db.query('delete from dedup_candidate where run_id = $1', [runId]);
    await db.query(`update dedup_run set status = 'finished', finished_at = now(), heartbeat_at = now(), stats = $2::jsonb where id = $1`, [
      runId,
      JSON.stringify(report),
    ]);
    return report;
  } catch (err) {
    await db.query('delete from dedup_candidate where run_id = $1', [runId]).catch(() => undefined);
    await db
      .query(`update dedup_run set status = 'failed', finished_at = now(), error = $2 where id = $1`, [runId, (err as Error).message.slice(0, 500)])
      .catch(() => undefined);
    throw err;
  }
}

async function heartbeat(db: Db, runId: string, stats: Record<string, number>): Promise<void> {
  await db.query(`update dedup_run set heartbeat_at = now(), stats = $2::jsonb where id = $1`, [runId, JSON.stringify(stats)]);
}

/**
 * pg_trgm similarity of whole names required in blocks that grow with the registry (one name token in a birth year and
 * district, one phonetic code in a district). Two people sharing one of their two names score ~0.3-0.4 (namesakes);
 * a person registered again with one typo scores above 0.5 (measured on the bench's injected duplicates: 985 of
 * 1,000 at 0.5 or more). Without it these blocks' pairs grow with the square of the registry.
 */
const CROWDED_BLOCK_SIMILARITY = 0.45;

interface Pass {
  name: string;
  trigram: boolean;
  /** Selects pairs (a < b); parameters: $2 partitions, $3 this partition, $4 max block size, $5 trigram threshold. */
  sql: string;
}

// Current areas, for blocks that use them (a person without a household has no area: left out of those blocks)
const KEYED = `select k.person_id, k.name_key, k.name_tokens, k.phonetic_key, k.birth_year, h.area_code
  from dedup_match_key k
  join membership m on m.person_id = k.person_id and m.end_date is null
  join household h on h.id = m.household_id`;

/**
 * The block passes. Each keeps blocks of at most max_block_size people (a phone shared by a whole office, a very
 * common name in one year, tell nothing and would cost n² comparisons), and takes its partition by a hash of the block.
 */
function blockPasses(trigram: boolean): Pass[] {
  // the name filter of the passes whose block is not a whole name (without pg_trgm: none, scoring decides); `crowded`
  // blocks (one name token or code in a district) fill with namesakes as the registry grows: a stricter bar there
  const similar = (a: string, b: string, crowded = false) =>
    trigram ? ` and similarity(${a}.name_key, ${b}.name_key) >= ${crowded ? `greatest($5::real, ${CROWDED_BLOCK_SIMILARITY})` : '$5'}` : '';
  const passes: Pass[] = [
    {
      name: 'phone',
      trigram: false,
      sql: `select a.id as a, b.id as b
        from (select phone_index from person where phone_index is not null and merged_into is null
              and abs(hashtext(phone_index)) % $2 = $3 group by phone_index having count(*) between 2 and $4) blocks
        join person a on a.phone_index = blocks.phone_index and a.merged_into is null
        join person b on b.phone_index = blocks.phone_index and b.merged_into is null and a.id < b.id`,
    },
    {
      // the same phonetic key (swapped names, transliteration, spelling variants) and birth year
      name: 'phonetic_year',
      trigram: false,
      sql: `select a.person_id as a, b.person_id as b
        from (select phonetic_key, birth_year from dedup_match_key where phonetic_key <> '' and birth_year is not null
              and abs(hashtext(phonetic_key)) % $2 = $3 group by phonetic_key, birth_year having count(*) between 2 and $4) blocks
        join dedup_match_key a on a.phonetic_key = blocks.phonetic_key and a.birth_year = blocks.birth_year
        join dedup_match_key b on b.phonetic_key = blocks.phonetic_key and b.birth_year = blocks.birth_year and a.person_id < b.person_id`,
    },
    {
      // a birth date missing on one side: the same phonetic key, whatever the other's year
      name: 'phonetic_no_year',
      trigram: false,
      sql: `select least(a.person_id, b.person_id) as a, greatest(a.person_id, b.person_id) as b
        from (select phonetic_key from dedup_match_key where phonetic_key <> '' and abs(hashtext(phonetic_key)) % $2 = $3
              group by phonetic_key having count(*) filter (where birth_year is null) > 0 and count(*) between 2 and $4) blocks
        join dedup_match_key a on a.phonetic_key = blocks.phonetic_key and a.birth_year is null
        join dedup_match_key b on b.phonetic_key = blocks.phonetic_key and b.person_id <> a.person_id
        where b.birth_year is not null or a.person_id < b.person_id`,
    },
  ];
  passes.push(
    {
      // a typo and a move: the phonetic code of one name in common and the same birth date, whatever the area.
      // Exact dates only: an estimate (1 January, 1 July) is shared by crowds and says little (the year passes
      // cover it); names similar by pg_trgm, so namesakes of one common name born the same day stay out
      name: 'phonetic_token_birth_date',
      trigram,
      sql: `with codes as (
          select k.person_id, k.name_key, k.birth_date, code from dedup_match_key k
          join person p on p.id = k.person_id and not p.birth_date_estimated
          cross join unnest(string_to_array(k.phonetic_key, ' ')) as code
          where k.birth_date is not null and k.phonetic_key <> '' and abs(hashtext(k.birth_date::text)) % $2 = $3),
        blocks as (select code, birth_date from codes group by code, birth_date having count(*) between 2 and $4)
        select distinct a.person_id as a, b.person_id as b
        from blocks
        join codes a on a.code = blocks.code and a.birth_date = blocks.birth_date
        join codes b on b.code = blocks.code and b.birth_date = blocks.birth_date and a.person_id < b.person_id
        where a.name_key <> b.name_key${similar('a', 'b')}`,
    },
    {
      // a birth date missing and a typo: the phonetic code of one name in common in the same area; driven by the
      // people without a birth date (few), so the work follows them, not the registry
      name: 'phonetic_token_area_no_year',
      trigram,
      sql: `with placed as (
          select k.person_id, k.name_key, k.birth_year, h.area_code, code from dedup_match_key k
          join membership m on m.person_id = k.person_id and m.end_date is null
          join household h on h.id = m.household_id
          cross join unnest(string_to_array(k.phonetic_key, ' ')) as code
          where k.phonetic_key <> ''),
        undated as (select * from placed where birth_year is null and abs(hashtext(area_code || code)) % $2 = $3),
        blocks as (select p.code, p.area_code from placed p where (p.code, p.area_code) in (select code, area_code from undated)
                   group by p.code, p.area_code having count(*) between 2 and $4)
        select distinct least(a.person_id, b.person_id) as a, greatest(a.person_id, b.person_id) as b
        from blocks
        join undated a on a.code = blocks.code and a.area_code = blocks.area_code
        join placed b on b.code = blocks.code and b.area_code = blocks.area_code and b.person_id <> a.person_id
        where true${similar('a', 'b', true)}`,
    },
    {
      // typos in both names: the same exact birth date in the same area, names similar by pg_trgm. A day and a
      // district hold more people as the registry grows, so without the name filter this pass grows with its square
      name: 'birth_date_area',
      trigram,
      sql: `with dated as (
          select k.person_id, k.name_key, k.birth_date, h.area_code from dedup_match_key k
          join person p on p.id = k.person_id and not p.birth_date_estimated
          join membership m on m.person_id = k.person_id and m.end_date is null
          join household h on h.id = m.household_id
          where k.birth_date is not null and abs(hashtext(k.birth_date::text)) % $2 = $3),
        blocks as (select birth_date, area_code from dated group by birth_date, area_code having count(*) between 2 and $4)
        select a.person_id as a, b.person_id as b
        from blocks
        join dated a on a.birth_date = blocks.birth_date and a.area_code = blocks.area_code
        join dated b on b.birth_date = blocks.birth_date and b.area_code = blocks.area_code and a.person_id < b.person_id
        where true${similar('a', 'b')}`,
    },
  );
  // typos the phonetic code does not absorb: one name token shared, in the same birth year and area, and the whole
  // names similar by pg_trgm (without pg_trgm, every pair of such a block is scored)
  passes.push({
    name: trigram ? 'trigram_year_area' : 'token_year_area',
    trigram,
    sql: `with tokens as (
        select t.person_id, t.name_key, t.birth_year, t.area_code, tok
        from (${KEYED}) t cross join unnest(t.name_tokens) as tok
        where t.birth_year is not null and abs(hashtext(t.area_code || t.birth_year::text)) % $2 = $3),
      blocks as (select tok, birth_year, area_code from tokens group by tok, birth_year, area_code having count(*) between 2 and $4)
      select distinct a.person_id as a, b.person_id as b
      from blocks
      join tokens a on a.tok = blocks.tok and a.birth_year = blocks.birth_year and a.area_code = blocks.area_code
      join tokens b on b.tok = blocks.tok and b.birth_year = blocks.birth_year and b.area_code = blocks.area_code
        and a.person_id < b.person_id
      where a.name_key <> b.name_key${similar('a', 'b', true)}`,
  });
  return passes;
}

/** Scores the staged pairs page by page (keyset order), recording those at or above possible_match. */
async function scoreCandidates(
  db: Db,
  runId: string,
  settings: DedupSettings,
  pageSize: number,
  onPage: (counts: Record<string, number>) => Promise<void>,
): Promise<Pick<BatchReport, 'candidates' | 'scored' | 'matches' | 'possibleMatches' | 'newPairs'>> {
  const counts = { candidates: 0, scored: 0, matches: 0, possibleMatches: 0, newPairs: 0 };
  let after = ['00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000000'];
  for (;;) {
    const page = await db.query<{ person_a: string; person_b: string; decided: boolean }>(
      `select c.person_a, c.person_b, exists (select 1 from duplicate_pair d where d.person_a = c.person_a
                and d.person_b = c.person_b and d.status <> 'open') as decided
       from dedup_candidate c where c.run_id = $1 and (c.person_a, c.person_b) > ($2::uuid, $3::uuid)
       order by c.person_a, c.person_b limit $4`,
      [runId, after[0], after[1], pageSize],
    );
    if (page.length === 0) return counts;
    after = [page[page.length - 1].person_a, page[page.length - 1].person_b];
    counts.candidates += page.length;
    const open = page.filter((p) => !p.decided);
    const records = await loadRecords(db, [...new Set(open.flatMap((p) => [p.person_a, p.person_b]))]);
    const found: PairToRecord[] = [];
    for (const p of open) {
      const a = records.get(p.person_a);
      const b = records.get(p.person_b);
      if (!a || !b) continue;
      counts.scored++;
      const { score, decision, reasons } = scorePair(a, b, settings);
      if (decision === 'distinct') continue;
      if (decision === 'match') counts.matches++;
      else counts.possibleMatches++;
      found.push({ personA: p.person_a, personB: p.person_b, score, decision, reasons });
    }
    counts.newPairs += await db.transaction((tx) => recordDuplicatePairs(tx, found, 'batch'));
    await onPage(counts);
  }
}
