// Precision and recall of deduplication on a generated registry with known duplicates (corrupt.ts): the batch job
// and the registration-time search, on both engines. Thresholds and why: docs/dedup.md ("How well it finds them").
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../../core/config.js';
import type { Db } from '../../../core/db/index.js';
import { findCandidates, runBatchDedup } from '../../../core/dedup/index.js';
import { createSecrets } from '../../../core/keys/secrets.js';
import { createLogger } from '../../../core/log.js';
import { openPhone } from '../../../core/registry/persons/sealing.js';
import { districtsOf } from '../../../core/seed/country.js';
import { seedPersons } from '../../../core/seed/seed.js';
import { systemContext, type Ctx } from '../../../core/server/context.js';
import { SYSTEM_PRINCIPAL } from '../../../core/server/principal.js';
import { openTestDb } from '../../helpers/databases.js';
import { dbEngines } from '../../helpers/services.js';
import { injectDuplicates, type KnownDuplicate } from './corrupt.js';

// the bars the measured figures must clear (docs/dedup.md explains each)
const MIN_BATCH_RECALL = 0.9; // known duplicates found as match or possible_match
const MIN_BATCH_PRECISION = 0.9; // pairs proposed that are known duplicates
const MIN_MATCH_PRECISION = 0.98; // pairs decided `match` that are known duplicates
const MIN_SEARCH_RECALL = 0.9; // registration-time search: the original among the candidates

const key = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

describe.each(dbEngines())('dedup quality on %s', (engine) => {
  let db: Db;
  let ctx: Ctx;
  let known: KnownDuplicate[];

  beforeAll(async () => {
    db = await openTestDb(engine);
    ctx = systemContext(loadConfig({ LOG_LEVEL: 'silent' }), db, createSecrets(randomBytes(32)), createLogger('silent'), SYSTEM_PRINCIPAL);
    await seedPersons(ctx, 2000, 11);
    known = await injectDuplicates(ctx, 200, 5, districtsOf().map((d) => d.code));
  }, 300_000);
  afterAll(() => db?.close());

  test('the batch job finds the injected duplicates, and little else', async () => {
    const report = await runBatchDedup(ctx);
    expect(report.trigram).toBe(true);
    const pairs = await db.query<{ person_a: string; person_b: string; decision: string }>(
      `select person_a, person_b, decision from duplicate_pair where status = 'open'`,
    );
    const truth = new Set(known.map((k) => key(k.originalId, k.duplicateId)));
    const proposed = new Set(pairs.map((p) => key(p.person_a, p.person_b)));
    const found = [...truth].filter((k) => proposed.has(k)).length;
    const matches = pairs.filter((p) => p.decision === 'match');
    const recall = found / truth.size;
    const precision = pairs.filter((p) => truth.has(key(p.person_a, p.person_b))).length / pairs.length;
    const matchPrecision = matches.filter((p) => truth.has(key(p.person_a, p.person_b))).length / matches.length;
    const missed = known.filter((k) => !proposed.has(key(k.originalId, k.duplicateId))).map((k) => k.corruptions.join('+'));
    const withBirthDate = known.filter((k) => !k.corruptions.includes('no_birth_date'));
    const recallWithBirthDate = withBirthDate.filter((k) => proposed.has(key(k.originalId, k.duplicateId))).length / withBirthDate.length;
    console.log(JSON.stringify({ engine, recall, recallWithBirthDate, precision, matchPrecision, pairs: pairs.length, matches: matches.length, missed, report }));
    expect(recall).toBeGreaterThanOrEqual(MIN_BATCH_RECALL);
    expect(precision).toBeGreaterThanOrEqual(MIN_BATCH_PRECISION);
    expect(matchPrecision).toBeGreaterThanOrEqual(MIN_MATCH_PRECISION);
  }, 300_000);

  test('the registration-time search finds the original of each duplicate', async () => {
    const rows = await db.query<{ id: string; given_name: string; family_name: string; birth_date: string | null; sex: string; phone_sealed: string | null; area_code: string }>(
      `select p.id, p.given_name, p.family_name, p.birth_date, p.sex, p.phone_sealed, h.area_code from person p
       join membership m on m.person_id = p.id and m.end_date is null join household h on h.id = m.household_id
       where p.id = any($1::uuid[])`,
      [known.map((k) => k.duplicateId)],
    );
    const people = rows.map((r) => ({
      ref: r.id,
      given_name: r.given_name,
      family_name: r.family_name,
      birth_date: r.birth_date,
      sex: r.sex,
      area_code: r.area_code,
      phone: openPhone(ctx.secrets, r.id, r.phone_sealed),
    }));
    const candidates = await findCandidates(db, ctx.secrets, people, { excludePersonIds: known.map((k) => k.duplicateId) });
    const hits = known.filter((k) => candidates.some((c) => c.ref === k.duplicateId && c.personId === k.originalId)).length;
    console.log(JSON.stringify({ engine, searchRecall: hits / known.length, candidates: candidates.length }));
    expect(hits / known.length).toBeGreaterThanOrEqual(MIN_SEARCH_RECALL);
  }, 120_000);
});
