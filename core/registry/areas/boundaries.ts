// Admin-area boundaries: storing them, reading them as GeoJSON, and finding the deepest area that contains a point
// (a bounding-box prefilter in SQL, the exact test in geometry.ts).
import type { Db } from '../../db/index.js';
import { boundingBox, containsPoint, type AreaGeometry } from './geometry.js';

export interface LocatedArea {
  code: string;
  name: string;
  level: number;
  parent_code: string | null;
  /** The area and its ancestors that contain the point, root first (codes). */
  path: string[];
}

export interface AreaFeature {
  type: 'Feature';
  id: string;
  properties: { code: string; name: string; level: number; parent_code: string | null };
  geometry: AreaGeometry;
  bbox: [number, number, number, number];
}

interface BoundaryRow {
  code: string;
  name: string;
  level: number;
  parent_code: string | null;
  path: string;
  geometry: AreaGeometry;
  min_lon: number;
  min_lat: number;
  max_lon: number;
  max_lat: number;
}

/** Stores (or replaces) an area's boundary. The geometry must have passed checkGeometry. */
export async function saveBoundary(tx: Db, code: string, geometry: AreaGeometry, source: string | null): Promise<void> {
  const box = boundingBox(geometry);
  await tx.query(
    `insert into admin_area_boundary (area_code, geometry, min_lon, min_lat, max_lon, max_lat, source)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (area_code) do update set geometry = excluded.geometry, min_lon = excluded.min_lon, min_lat = excluded.min_lat,
       max_lon = excluded.max_lon, max_lat = excluded.max_lat, source = excluded.source, updated_at = now()`,
    [code, JSON.stringify(geometry), box.minLon, box.minLat, box.maxLon, box.maxLat, source],
  );
}

/**
 * The deepest area whose boundary contains the point, or undefined when none does. Where two areas of the same level
 * both claim the point (overlapping boundaries), the one whose code sorts first wins, so the answer is stable.
 */
export async function locatePoint(db: Db, latitude: number, longitude: number): Promise<LocatedArea | undefined> {
  const rows = await db.query<BoundaryRow>(
    `select a.code, a.name, a.level, a.parent_code, a.path, b.geometry, b.min_lon, b.min_lat, b.max_lon, b.max_lat
     from admin_area_boundary b join admin_area a on a.code = b.area_code
     where $1 between b.min_lat and b.max_lat and $2 between b.min_lon and b.max_lon
     order by a.level desc, a.code`,
    [latitude, longitude],
  );
  const hit = rows.find((row) => containsPoint(row.geometry, longitude, latitude));
  if (!hit) return undefined;
  return { code: hit.code, name: hit.name, level: hit.level, parent_code: hit.parent_code, path: hit.path.split('/').filter(Boolean) };
}

/** The boundary of one area as a GeoJSON Feature; undefined when the area has none (or does not exist). */
export async function boundaryFeature(db: Db, code: string): Promise<AreaFeature | undefined> {
  const [row] = await db.query<BoundaryRow>(
    `select a.code, a.name, a.level, a.parent_code, a.path, b.geometry, b.min_lon, b.min_lat, b.max_lon, b.max_lat
     from admin_area_boundary b join admin_area a on a.code = b.area_code where a.code = $1`,
    [code],
  );
  return row && toFeature(row);
}

/** The boundaries of the children of an area (or of the areas at a level), for maps such as a choropleth. */
export async function boundaryFeatures(db: Db, filter: { parentCode?: string; level?: number }): Promise<AreaFeature[]> {
  const rows = await db.query<BoundaryRow>(
    `select a.code, a.name, a.level, a.parent_code, a.path, b.geometry, b.min_lon, b.min_lat, b.max_lon, b.max_lat
     from admin_area_boundary b join admin_area a on a.code = b.area_code
     where ($1::text is null or a.parent_code = $1) and ($2::integer is null or a.level = $2)
     order by a.path`,
    [filter.parentCode ?? null, filter.level ?? null],
  );
  return rows.map(toFeature);
}

/** The boundaries of these areas (those that have one), in path order. */
export async function boundaryFeaturesOf(db: Db, codes: string[]): Promise<AreaFeature[]> {
  const rows = await db.query<BoundaryRow>(
    `select a.code, a.name, a.level, a.parent_code, a.path, b.geometry, b.min_lon, b.min_lat, b.max_lon, b.max_lat
     from admin_area_boundary b join admin_area a on a.code = b.area_code where a.code = any($1::text[]) order by a.path`,
    [codes],
  );
  return rows.map(toFeature);
}

function toFeature(row: BoundaryRow): AreaFeature {
  return {
    type: 'Feature',
    id: row.code,
    properties: { code: row.code, name: row.name, level: row.level, parent_code: row.parent_code },
    geometry: row.geometry,
    bbox: [row.min_lon, row.min_lat, row.max_lon, row.max_lat],
  };
}

export async function countBoundaries(db: Db): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>('select count(*)::integer as n from admin_area_boundary');
  return n;
}
