// Population denominators per admin area and year, loaded by an administrator (JSON rows or a CSV document), and the
// SQL that rolls them up to the rows of a report: an area's own figure, else the sum of its nearest figures below.
import { auditEntries } from '../audit/entry.js';
import type { Ctx } from '../server/context.js';
import { invalid, unprocessable, type FieldError } from '../server/errors.js';
import { insertRows } from '../db/insert-rows.js';
import { areaVisible, scopeParam } from '../registry/scope.js';
import type { Db } from '../db/index.js';
import { selectionParams, targetCtes, type AreaSelection } from './areas.js';

export interface PopulationFigure {
  area_code: string;
  population: number;
  households?: number | null;
}

export interface PopulationLoad {
  year: number;
  source: string;
  /** Replace every figure of that year (true) or only the areas given (false, the default). */
  replace?: boolean;
  figures?: PopulationFigure[];
  /** The same figures as CSV: a header with area_code and population (households optional), one area a line. */
  csv?: string;
}

/**
 * CTEs `pop_year(year)` and `pop(row_key, population, population_households)` for the `target` CTE of areas.ts;
 * $n is the year asked for (null: the latest year loaded).
 */
export function populationCtes(n: number): string {
  return `
  pop_year as (select coalesce($${n}::int, (select max(year) from area_population)) as year),
  pop as (
    select t.row_key, sum(ap.population)::int8 as population,
           case when bool_and(ap.households is not null) then sum(ap.households)::int8 end as population_households
    from target t
    join admin_area a on starts_with(a.path, t.path)
    join area_population ap on ap.area_code = a.code and ap.year = (select year from pop_year)
    where t.kind = 'subtree'
      -- only the topmost figures under the row's area: a district's figure is inside its region's
      and not exists (
        select 1 from area_population q join admin_area qa on qa.code = q.area_code
        where q.year = ap.year and qa.path <> a.path and starts_with(a.path, qa.path) and starts_with(qa.path, t.path))
    group by t.row_key)`;
}

/** The denominators of a report's rows (areas.ts) for a year (null: the latest loaded): by row key, and the year used. */
export async function populationFor(db: Db, selection: AreaSelection, year: number | null): Promise<{ year: number | null; byRow: Map<string, { population: number; population_households: number | null }> }> {
  const rows = await db.query<{ row_key: string | null; population: number | null; population_households: number | null; year: number | null }>(
    `with ${targetCtes()}, ${populationCtes(4)}
     select pop.row_key, pop.population, pop.population_households, (select year from pop_year) as year
     from pop_year left join pop on true`,
    [...selectionParams(selection), year],
  );
  const byRow = new Map(rows.filter((r) => r.row_key !== null).map((r) => [r.row_key!, { population: r.population!, population_households: r.population_households }]));
  return { year: rows[0]?.year ?? null, byRow };
}

/** Loads figures for one year in one transaction; bad input changes nothing and names every bad row. */
export async function loadPopulation(ctx: Ctx, input: PopulationLoad): Promise<{ year: number; loaded: number; replaced: number }> {
  const figures = input.csv !== undefined ? parsePopulationCsv(input.csv) : (input.figures ?? []);
  if ((input.csv === undefined) === (input.figures === undefined)) {
    throw invalid([{ field: 'body', message: 'give either figures or csv' }]);
  }
  const where = input.csv !== undefined ? 'body.csv' : 'body.figures';
  if (figures.length === 0) throw invalid([{ field: where, message: 'has no figures' }]);
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  figures.forEach((f, i) => {
    if (seen.has(f.area_code)) errors.push({ field: `${where}[${i}].area_code`, message: `${f.area_code} is given twice` });
    seen.add(f.area_code);
  });
  if (errors.length) throw invalid(errors);
  return ctx.db.transaction(async (tx) => {
    const known = new Set(
      (await tx.query<{ code: string }>(
        `select code from admin_area a where code = any($2::text[]) and ${areaVisible('a.code', 1)}`,
        [scopeParam(ctx.principal), [...seen]],
      )).map((r) => r.code),
    );
    figures.forEach((f, i) => {
      if (!known.has(f.area_code)) errors.push({ field: `${where}[${i}].area_code`, message: `${f.area_code} is not a known admin area` });
    });
    if (errors.length) throw unprocessable('population.invalid', errors, 'Some figures name unknown areas; nothing was loaded.');
    let replaced = 0;
    if (input.replace) {
      const gone = await tx.query('delete from area_population where year = $1 and not (area_code = any($2::text[])) returning area_code', [input.year, [...seen]]);
      replaced = gone.length;
    }
    await tx.query('delete from area_population where year = $1 and area_code = any($2::text[])', [input.year, [...seen]]);
    await insertRows(
      tx,
      'area_population',
      [
        { name: 'area_code', type: 'text' },
        { name: 'year', type: 'int4' },
        { name: 'population', type: 'int8' },
        { name: 'households', type: 'int8' },
        { name: 'source', type: 'text' },
        { name: 'loaded_by', type: 'text' },
      ],
      figures.map((f) => ({ area_code: f.area_code, year: input.year, population: f.population, households: f.households ?? null,
        source: input.source, loaded_by: ctx.principal.id })),
    );
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity: 'area_population', entityId: String(input.year),
      details: { areas: figures.length, replaced, source: input.source } }]));
    return { year: input.year, loaded: figures.length, replaced };
  });
}

/** The figures of a year (or of every year), for the areas the caller may see. */
export async function listPopulation(ctx: Ctx, year?: number): Promise<{ area_code: string; area_name: string; year: number; population: number; households: number | null; source: string; loaded_by: string; loaded_at: string }[]> {
  const rows = await ctx.db.query<{ area_code: string; area_name: string; year: number; population: number; households: number | null; source: string; loaded_by: string; loaded_at: Date }>(
    `select ap.area_code, a.name as area_name, ap.year, ap.population, ap.households, ap.source, ap.loaded_by, ap.loaded_at
     from area_population ap join admin_area a on a.code = ap.area_code
     where ($2::int is null or ap.year = $2) and ${areaVisible('ap.area_code', 1)}
     order by ap.year desc, a.path`,
    [scopeParam(ctx.principal), year ?? null],
  );
  return rows.map((r) => ({ ...r, loaded_at: new Date(r.loaded_at).toISOString() }));
}

const MAX_FIGURE = 10_000_000_000;

/** area_code,population[,households]: a header line naming the columns (any order), then one area per line. */
export function parsePopulationCsv(csv: string): PopulationFigure[] {
  const lines = csv.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) throw invalid([{ field: 'body.csv', message: 'is empty' }]);
  const header = splitLine(lines[0]).map((h) => h.toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const missing = ['area_code', 'population'].filter((c) => col(c) < 0);
  if (missing.length) throw invalid([{ field: 'body.csv', message: `the header must name ${missing.join(' and ')} (found ${header.join(', ')})` }]);
  const errors: FieldError[] = [];
  const figures = lines.slice(1).map((line, i) => {
    const cells = splitLine(line);
    const where = `body.csv line ${i + 2}`;
    const count = (name: string, required: boolean): number | null => {
      const raw = col(name) >= 0 ? (cells[col(name)] ?? '').trim() : '';
      if (raw === '' && !required) return null;
      if (!/^\d+$/.test(raw) || Number(raw) > MAX_FIGURE) {
        errors.push({ field: `${where}: ${name}`, message: `must be a whole number from 0 (found '${raw.slice(0, 20)}')` });
        return null;
      }
      return Number(raw);
    };
    const area = (cells[col('area_code')] ?? '').trim();
    if (!/^[A-Z0-9][A-Z0-9_-]{0,31}$/.test(area)) errors.push({ field: `${where}: area_code`, message: 'must be an admin area code' });
    return { area_code: area, population: count('population', true) ?? 0, households: count('households', false) };
  });
  if (errors.length) throw invalid(errors.slice(0, 100), 'The CSV has bad lines; nothing was loaded.');
  return figures;
}

function splitLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') cells.push(cell), (cell = '');
    else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** `srhub population import FILE.csv --year Y --source S [--replace]`: the CSV load from the command line. */
export async function importPopulationFile(ctx: Ctx, csv: string, options: { year: number; source: string; replace: boolean }): Promise<string[]> {
  try {
    const r = await loadPopulation(ctx, { ...options, csv });
    return [`Loaded ${r.loaded} population figures for ${r.year}${r.replaced ? ` (${r.replaced} others of that year removed)` : ''}.`];
  } catch (err) {
    const errors = (err as { details?: { errors?: FieldError[] } }).details?.errors;
    if (!errors) throw err;
    throw new Error(`${(err as Error).message}\n${errors.map((e) => `  ${e.field.replace(/^body\.csv /, '')}: ${e.message}`).join('\n')}`);
  }
}
