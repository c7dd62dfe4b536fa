// `srhub areas import FILE.geojson`: a GeoJSON FeatureCollection of admin areas (properties: code, name,
// parent_code) creates the areas that are new, renames those whose name changed and stores each boundary. The whole
// file is checked first and applied in one transaction: a file with any error changes nothing.
import type { Db } from '../../db/index.js';
import { HubError } from '../../server/errors.js';
import { saveBoundary } from './boundaries.js';
import { checkGeometry, type AreaGeometry } from './geometry.js';

export interface AreaImportProblem {
  /** Index of the feature in the file (absent for problems with the file as a whole). */
  feature?: number;
  /** The feature's code when it has a usable one, to find it in the file. */
  code?: string;
  field: string;
  message: string;
}

export class AreaImportError extends HubError {
  constructor(readonly problems: AreaImportProblem[]) {
    super(422, 'areas.import_invalid', `The boundaries file has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was imported.`, {
      errors: problems.map((p) => ({ field: p.feature === undefined ? p.field : `features[${p.feature}].${p.field}`, message: p.message })),
    });
  }
}

export interface AreaImportSummary {
  features: number;
  created: number;
  renamed: number;
  boundaries: number;
}

interface AreaFeatureInput {
  index: number;
  code: string;
  name: string;
  parentCode: string | null;
  geometry: AreaGeometry | null;
}

const AREA_CODE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;

/** Parses and checks a boundaries file's text; throws AreaImportError naming every problem. */
export function parseAreaFile(text: string): AreaFeatureInput[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new AreaImportError([{ field: 'file', message: `is not valid JSON (${(err as Error).message})` }]);
  }
  const { type, features } = (document ?? {}) as { type?: unknown; features?: unknown };
  if (type !== 'FeatureCollection' || !Array.isArray(features)) {
    throw new AreaImportError([{ field: 'type', message: 'the file must be a GeoJSON FeatureCollection with a features array' }]);
  }
  if (features.length === 0) throw new AreaImportError([{ field: 'features', message: 'is empty: the file holds no areas' }]);
  const problems: AreaImportProblem[] = [];
  const parsed: AreaFeatureInput[] = [];
  features.forEach((feature, index) => {
    const found = parseFeature(feature, index, problems);
    if (found) parsed.push(found);
  });
  const seen = new Map<string, number>();
  for (const f of parsed) {
    const first = seen.get(f.code);
    if (first !== undefined) problems.push({ feature: f.index, code: f.code, field: 'properties.code', message: `${f.code} is given twice (also in feature ${first})` });
    else seen.set(f.code, f.index);
  }
  if (problems.length) throw new AreaImportError(problems);
  return parsed;
}

function parseFeature(feature: unknown, index: number, problems: AreaImportProblem[]): AreaFeatureInput | undefined {
  const fail = (field: string, message: string, code?: string) => problems.push({ feature: index, code, field, message });
  if (typeof feature !== 'object' || feature === null || (feature as { type?: unknown }).type !== 'Feature') {
    fail('type', 'must be a GeoJSON Feature');
    return undefined;
  }
  const { properties, geometry } = feature as { properties?: Record<string, unknown> | null; geometry?: unknown };
  const props = properties ?? {};
  const before = problems.length;
  const code = props.code;
  if (typeof code !== 'string' || !AREA_CODE.test(code)) {
    fail('properties.code', `must be an area code (upper-case letters, digits, '-' and '_', at most 32), found ${JSON.stringify(code ?? null)}`);
  }
  const usableCode = typeof code === 'string' && AREA_CODE.test(code) ? code : undefined;
  const name = typeof props.name === 'string' ? props.name.trim() : '';
  if (!name || name.length > 200) fail('properties.name', 'must be a name of 1 to 200 characters', usableCode);
  const parent = props.parent_code ?? null;
  if (parent !== null && (typeof parent !== 'string' || !AREA_CODE.test(parent))) {
    fail('properties.parent_code', `must be an area code or absent (a root area), found ${JSON.stringify(parent)}`, usableCode);
  }
  if (parent !== null && parent === code) fail('properties.parent_code', 'an area cannot be its own parent', usableCode);
  if (geometry !== null && geometry !== undefined) {
    for (const p of checkGeometry(geometry)) fail(p.path ? `geometry.${p.path}` : 'geometry', p.message, usableCode);
  }
  if (problems.length > before) return undefined;
  return { index, code: code as string, name, parentCode: parent as string | null, geometry: (geometry ?? null) as AreaGeometry | null };
}

/** Checks the features against the areas already registered and applies them, all or nothing. */
export async function importAreas(db: Db, features: AreaFeatureInput[], source: string | null): Promise<AreaImportSummary> {
  return db.transaction(async (tx) => {
    const existing = new Map(
      (await tx.query<{ code: string; name: string; parent_code: string | null; path: string; level: number }>(
        'select code, name, parent_code, path, level from admin_area for update',
      )).map((a) => [a.code, a]),
    );
    const ordered = parentsFirst(features, existing);
    const summary: AreaImportSummary = { features: features.length, created: 0, renamed: 0, boundaries: 0 };
    const paths = new Map([...existing.values()].map((a) => [a.code, { path: a.path, level: a.level }]));
    for (const f of ordered) {
      const current = existing.get(f.code);
      if (!current) {
        const parent = f.parentCode ? paths.get(f.parentCode)! : undefined;
        const placed = { path: `${parent?.path ?? '/'}${f.code}/`, level: parent ? parent.level + 1 : 0 };
        await tx.query('insert into admin_area (code, name, level, parent_code, path) values ($1, $2, $3, $4, $5)', [
          f.code,
          f.name,
          placed.level,
          f.parentCode,
          placed.path,
        ]);
        paths.set(f.code, placed);
        summary.created++;
      } else if (current.name !== f.name) {
        await tx.query('update admin_area set name = $2 where code = $1', [f.code, f.name]);
        summary.renamed++;
      }
      if (f.geometry) {
        await saveBoundary(tx, f.code, f.geometry, source);
        summary.boundaries++;
      }
    }
    return summary;
  });
}

/**
 * The features ordered so each parent comes before its children. Refuses a parent that is neither registered nor in
 * the file, a cycle, and moving a registered area under another parent (that would change which users' areas cover
 * its households: do it deliberately, not through a boundaries file).
 */
function parentsFirst(features: AreaFeatureInput[], existing: Map<string, { parent_code: string | null }>): AreaFeatureInput[] {
  const byCode = new Map(features.map((f) => [f.code, f]));
  const problems: AreaImportProblem[] = [];
  for (const f of features) {
    const current = existing.get(f.code);
    if (current && current.parent_code !== f.parentCode) {
      problems.push({
        feature: f.index,
        code: f.code,
        field: 'properties.parent_code',
        message: `${f.code} is registered under ${current.parent_code ?? 'no parent (a root area)'}; a boundaries file cannot move it under ${f.parentCode ?? 'no parent'}`,
      });
    } else if (f.parentCode && !byCode.has(f.parentCode) && !existing.has(f.parentCode)) {
      problems.push({ feature: f.index, code: f.code, field: 'properties.parent_code', message: `${f.parentCode} is neither registered nor in the file` });
    }
  }
  const depth = new Map<string, number>();
  const depthOf = (f: AreaFeatureInput, trail: Set<string>): number => {
    const known = depth.get(f.code);
    if (known !== undefined) return known;
    if (trail.has(f.code)) throw new AreaImportError([{ feature: f.index, code: f.code, field: 'properties.parent_code', message: `the parents form a cycle: ${[...trail, f.code].join(' -> ')}` }]);
    trail.add(f.code);
    const parent = f.parentCode ? byCode.get(f.parentCode) : undefined;
    const d = parent ? depthOf(parent, trail) + 1 : 0;
    depth.set(f.code, d);
    return d;
  };
  if (problems.length) throw new AreaImportError(problems);
  for (const f of features) depthOf(f, new Set());
  return [...features].sort((a, b) => depth.get(a.code)! - depth.get(b.code)! || a.index - b.index);
}

/** Reads, checks and imports a boundaries file. */
export async function importAreaFile(db: Db, text: string, source: string | null): Promise<AreaImportSummary> {
  return importAreas(db, parseAreaFile(text), source);
}
