// The review queue (table duplicate_pair): candidate pairs recorded by the registration check and the batch job,
// listed for reviewers within their areas. A pair is one row whatever order its people were found in.
import type { Db } from '../db/index.js';
import { uuidv7 } from '../ids.js';
import { personEntries } from '../registry/audit.js';
import { personVisible, scopeParam } from '../registry/scope.js';
import type { Ctx } from '../server/context.js';
import { HubError, notFound } from '../server/errors.js';
import type { DuplicatePair, MatchDecision, PairStatus, PairToRecord } from './index.js';

/** Orders a pair's people (person_a < person_b), the form it is stored in. */
export function orderedPair(x: string, y: string): [string, string] {
  return x < y ? [x, y] : [y, x];
}

/**
 * Records candidate pairs in the caller's transaction: new pairs open, open pairs get the new score, pairs already
 * decided (merged, distinct) are left as they are, so a pair marked distinct is never proposed again. Pairs with
 * a merged person are skipped. Returns how many pairs were new.
 */
export async function recordDuplicatePairs(tx: Db, pairs: PairToRecord[], source: DuplicatePair['source']): Promise<number> {
  const unique = new Map<string, Record<string, unknown>>();
  for (const p of pairs) {
    if (p.personA === p.personB) continue;
    const [a, b] = orderedPair(p.personA, p.personB);
    const key = `${a}|${b}`;
    const earlier = unique.get(key);
    if (earlier && (earlier.score as number) >= p.score) continue;
    unique.set(key, { id: uuidv7(), person_a: a, person_b: b, score: p.score, decision: p.decision, reasons: p.reasons, source });
  }
  if (unique.size === 0) return 0;
  const rows = await tx.query<{ inserted: boolean }>(
    `insert into duplicate_pair (id, person_a, person_b, score, decision, reasons, source)
     select t.id, t.person_a, t.person_b, t.score, t.decision, t.reasons, t.source
     from jsonb_to_recordset($1::jsonb) as t(id uuid, person_a uuid, person_b uuid, score float8, decision text, reasons jsonb, source text)
     where not exists (select 1 from person p where p.id in (t.person_a, t.person_b) and p.merged_into is not null)
     on conflict (person_a, person_b) do update
       set score = excluded.score, decision = excluded.decision, reasons = excluded.reasons, updated_at = now()
       where duplicate_pair.status = 'open'
     returning (xmax = 0) as inserted`,
    [JSON.stringify([...unique.values()])],
  );
  return rows.filter((r) => r.inserted).length;
}

export interface PairRow {
  id: string;
  person_a: string;
  person_b: string;
  score: number;
  decision: MatchDecision;
  reasons: string[];
  status: PairStatus;
  source: DuplicatePair['source'];
  survivor_id: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A person as a reviewer sees them next to the other: enough to compare, nothing more. */
export interface PairPerson {
  id: string;
  given_name: string | null;
  family_name: string | null;
  other_names: string | null;
  sex: string | null;
  birth_date: string | null;
  area_code: string | null;
  household_id: string | null;
}

export interface PairView extends DuplicatePair {
  decision_reason: string | null;
  persons: PairPerson[];
}

export const PAIR_PERSON_SHOWN = ['given_name', 'family_name', 'other_names', 'sex', 'birth_date', 'household'] as const;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toPair(r: PairRow): DuplicatePair & { decision_reason: string | null } {
  return { ...r, decided_at: iso(r.decided_at), created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString() };
}

/**
 * SQL true when the caller (scope parameter $1) may see the pair: both people in their areas; a merged pair by its
 * survivor (the merged record has left its household).
 */
const pairVisible = `(case when d.status = 'merged' then ${personVisible('d.survivor_id', 1)}
  else ${personVisible('d.person_a', 1)} and ${personVisible('d.person_b', 1)} end)`;

export interface PairQuery {
  status?: PairStatus;
  decision?: MatchDecision;
  person_id?: string;
  limit: number;
  cursor?: string;
}

/**
 * Pairs both of whose people the caller may see (a scoped reviewer sees the pairs inside their areas), highest score
 * first. The people's comparison fields go out with them, so each shown person is recorded as read.
 */
export async function listPairs(ctx: Ctx, query: PairQuery): Promise<{ items: PairView[]; next_cursor: string | null }> {
  const params: unknown[] = [scopeParam(ctx.principal)];
  const param = (v: unknown) => `$${params.push(v)}`;
  const where = [pairVisible, `d.status = ${param(query.status ?? 'open')}`];
  if (query.decision) where.push(`d.decision = ${param(query.decision)}`);
  if (query.person_id) where.push(`${param(query.person_id)}::uuid in (d.person_a, d.person_b)`);
  const after = decodePairCursor(query.cursor);
  if (after) where.push(`(d.score < ${param(after.score)}::float8 or (d.score = $${params.length}::float8 and d.id > ${param(after.id)}::uuid))`);
  const rows = await ctx.db.query<PairRow>(
    `select d.* from duplicate_pair d where ${where.join(' and ')} order by d.score desc, d.id limit ${param(query.limit + 1)}`,
    params,
  );
  const page = rows.slice(0, query.limit);
  const items = await withPersons(ctx, page);
  const last = page[page.length - 1];
  return { items, next_cursor: rows.length > query.limit ? encodePairCursor(last.score, last.id) : null };
}

/** One pair, if the caller may see both of its people (404 otherwise, like an absent one). */
export async function getPair(ctx: Ctx, id: string): Promise<PairView> {
  const [row] = await ctx.db.query<PairRow>(
    `select d.* from duplicate_pair d where d.id = $2 and ${pairVisible}`,
    [scopeParam(ctx.principal), id],
  );
  if (!row) throw notFound('duplicate_pair');
  return (await withPersons(ctx, [row]))[0];
}

/** The pair row locked for a decision, scoped like getPair. */
export async function lockPair(tx: Db, ctx: Ctx, id: string): Promise<PairRow> {
  const [row] = await tx.query<PairRow>(
    `select d.* from duplicate_pair d where d.id = $2 and ${pairVisible} for update of d`,
    [scopeParam(ctx.principal), id],
  );
  if (!row) throw notFound('duplicate_pair');
  return row;
}

export async function pairById(db: Db, id: string): Promise<DuplicatePair & { decision_reason: string | null }> {
  const [row] = await db.query<PairRow>('select * from duplicate_pair where id = $1', [id]);
  return toPair(row);
}

async function withPersons(ctx: Ctx, rows: PairRow[]): Promise<PairView[]> {
  const ids = [...new Set(rows.flatMap((r) => [r.person_a, r.person_b]))];
  if (ids.length === 0) return [];
  const people = await ctx.db.query<PairPerson>(
    `select p.id, p.given_name, p.family_name, p.other_names, p.sex, p.birth_date, h.area_code, h.id as household_id
     from person p left join membership m on m.person_id = p.id and m.end_date is null
     left join household h on h.id = m.household_id where p.id = any($1::uuid[])`,
    [ids],
  );
  const byId = new Map(people.map((p) => [p.id, p]));
  await ctx.audit.recordReads(personEntries(ctx, 'read', ids.map((id) => ({ id, fields: PAIR_PERSON_SHOWN }))));
  return rows.map((r) => ({ ...toPair(r), persons: [byId.get(r.person_a)!, byId.get(r.person_b)!] }));
}

function encodePairCursor(score: number, id: string): string {
  return Buffer.from(JSON.stringify([score, id])).toString('base64url');
}

function decodePairCursor(cursor: string | undefined): { score: number; id: string } | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [score, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [unknown, unknown];
    if (typeof score === 'number' && typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) return { score, id };
  } catch {
    // falls through to the error below
  }
  throw new HubError(400, 'request.invalid', 'The cursor is not one this API gave out.', { errors: [{ field: 'query.cursor', message: 'is not a valid cursor' }] });
}
