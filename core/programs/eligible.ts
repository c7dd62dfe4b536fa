// The eligible households of a program, in rank order (lowest score first), area-scoped by the caller and paged by
// a keyset cursor. Who is eligible is personal data: every household shown is recorded as read, and an external
// client sees only households whose members' consent allows it (core/registry/disclosure.ts).
import { householdEntries } from '../registry/audit.js';
import { discloseHouseholdSummaries, isExternalClient } from '../registry/disclosure.js';
import { householdStore } from '../registry/households/store.js';
import { areaVisible, scopeParam } from '../registry/scope.js';
import type { HouseholdSummary } from '../registry/types.js';
import type { Ctx } from '../server/context.js';
import { invalid, notFound } from '../server/errors.js';

export interface EligibleHousehold {
  id: string;
  area_code: string;
  score: number | null;
  /** Position in this list (1 = lowest score), counting only the households the caller may see. */
  rank: number;
  /** The household's benefit under the program's amounts. */
  benefit: number;
}

export interface ListEligibleOptions {
  cursor?: string;
  limit: number;
  /** Only these areas (each with everything under it), within the caller's own. */
  areas?: readonly string[];
}

export interface EligiblePage {
  households: EligibleHousehold[];
  next?: string;
}

interface Cursor {
  key: number;
  id: string;
  rank: number;
}

const encode = (c: Cursor) => Buffer.from(JSON.stringify({ k: String(c.key), i: c.id, r: c.rank })).toString('base64url');

function decode(value: string | undefined): Cursor | undefined {
  if (!value) return undefined;
  try {
    const raw = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { k: string; i: string; r: number };
    const key = Number(raw.k);
    if (Number.isNaN(key) || typeof raw.i !== 'string' || !/^[0-9a-f-]{36}$/.test(raw.i) || !Number.isInteger(raw.r)) throw new Error('bad');
    return { key, id: raw.i, rank: raw.r };
  } catch {
    throw invalid([{ field: 'query.cursor', message: 'is not a cursor this list gave out' }]);
  }
}

export async function listEligible(ctx: Ctx, programId: string, options: ListEligibleOptions): Promise<EligiblePage> {
  const [program] = await ctx.db.query<{ id: string }>('select id from program where id = $1', [programId]);
  if (!program) throw notFound('program');
  const cursor = decode(options.cursor);
  const rows = await ctx.db.query<{ id: string; area_code: string; score: number | null; rank_key: number; benefit: number }>(
    `select e.household_id as id, h.area_code, e.score, e.rank_key, e.cost as benefit
     from household_eligibility e join household h on h.id = e.household_id
     where e.program_id = $1 and e.eligible
       and ($2::float8 is null or (e.rank_key, e.household_id) > ($2::float8, $3::uuid))
       and ${areaVisible('h.area_code', 4)}
       and ${areaVisible('h.area_code', 5)}
     order by e.rank_key, e.household_id
     limit $6`,
    [programId, cursor?.key ?? null, cursor?.id ?? null, scopeParam(ctx.principal), options.areas?.length ? [...options.areas] : null, options.limit + 1],
  );
  const page = rows.slice(0, options.limit);
  let shown = page;
  const members = await householdStore.currentMemberIds(ctx.db, page.map((r) => r.id));
  if (isExternalClient(ctx)) {
    const allowed = await discloseHouseholdSummaries(ctx, page.map((r) => ({ id: r.id, area_code: r.area_code }) as unknown as HouseholdSummary), members);
    const ids = new Set(allowed.map((h) => h.id));
    shown = page.filter((r) => ids.has(r.id));
  }
  const base = cursor?.rank ?? 0;
  const households = shown.map((r, i) => ({ id: r.id, area_code: r.area_code, score: r.score, rank: base + i + 1, benefit: r.benefit }));
  await ctx.audit.recordReads(
    householdEntries(ctx, 'read', households.map((h) => ({ id: h.id, memberIds: members.get(h.id) ?? [], fields: ['program_eligibility', 'score', 'area_code'] }))),
  );
  const last = page[page.length - 1];
  return {
    households,
    ...(rows.length > options.limit ? { next: encode({ key: last.rank_key, id: last.id, rank: base + households.length }) } : {}),
  };
}
