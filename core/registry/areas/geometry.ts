// Admin-area boundaries as GeoJSON (RFC 7946) Polygons and MultiPolygons in WGS 84 longitude/latitude: checking a
// geometry, its bounding box, and whether a point lies inside it (ray casting, holes excluded). Pure: no database,
// so the same code serves the import, the API and the GIS connector.

export type Position = [number, number]; // [longitude, latitude], as GeoJSON orders them
export type Ring = Position[];

export interface PolygonGeometry {
  type: 'Polygon';
  coordinates: Ring[];
}

export interface MultiPolygonGeometry {
  type: 'MultiPolygon';
  coordinates: Ring[][];
}

export type AreaGeometry = PolygonGeometry | MultiPolygonGeometry;

export interface BoundingBox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

export interface GeometryProblem {
  /** Where in the geometry, e.g. 'coordinates[0][3]'. */
  path: string;
  message: string;
}

/** Every problem with a candidate boundary geometry; an empty list means it is a usable (Multi)Polygon. */
export function checkGeometry(geometry: unknown): GeometryProblem[] {
  if (typeof geometry !== 'object' || geometry === null) return [{ path: '', message: 'must be a GeoJSON geometry object' }];
  const { type, coordinates } = geometry as { type?: unknown; coordinates?: unknown };
  if (type !== 'Polygon' && type !== 'MultiPolygon') {
    return [{ path: 'type', message: `must be Polygon or MultiPolygon (an admin area is a surface), not ${JSON.stringify(type ?? null)}` }];
  }
  if (!Array.isArray(coordinates) || coordinates.length === 0) return [{ path: 'coordinates', message: 'must be a non-empty array' }];
  if (type === 'Polygon') return checkPolygon(coordinates, 'coordinates');
  return coordinates.flatMap((polygon, i) => checkPolygon(polygon, `coordinates[${i}]`));
}

function checkPolygon(polygon: unknown, path: string): GeometryProblem[] {
  if (!Array.isArray(polygon) || polygon.length === 0) return [{ path, message: 'must be a non-empty array of linear rings' }];
  return polygon.flatMap((ring, i) => checkRing(ring, `${path}[${i}]`));
}

function checkRing(ring: unknown, path: string): GeometryProblem[] {
  if (!Array.isArray(ring)) return [{ path, message: 'must be an array of positions' }];
  const problems: GeometryProblem[] = [];
  ring.forEach((position, i) => {
    const p = checkPosition(position);
    if (p) problems.push({ path: `${path}[${i}]`, message: p });
  });
  if (problems.length) return problems;
  // a closed ring of at least 3 distinct positions: 4 positions, first = last (RFC 7946 3.1.6)
  if (ring.length < 4) return [{ path, message: `a linear ring needs at least 4 positions (the first repeated last), found ${ring.length}` }];
  const [first, last] = [ring[0] as Position, ring[ring.length - 1] as Position];
  if (first[0] !== last[0] || first[1] !== last[1]) return [{ path, message: 'the ring is not closed: its last position must equal its first' }];
  if (Math.abs(signedArea(ring as Ring)) === 0) return [{ path, message: 'the ring encloses no area (its positions are on one line)' }];
  return [];
}

function checkPosition(position: unknown): string | undefined {
  if (!Array.isArray(position) || position.length < 2) return 'must be a position [longitude, latitude]';
  const [lon, lat] = position;
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) return `longitude ${JSON.stringify(lon)} is not a number between -180 and 180`;
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) return `latitude ${JSON.stringify(lat)} is not a number between -90 and 90`;
  return undefined;
}

/** Twice the signed area (shoelace); its sign is the ring's orientation. */
function signedArea(ring: Ring): number {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) sum += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  return sum;
}

const polygonsOf = (geometry: AreaGeometry): Ring[][] => (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates);

export function boundingBox(geometry: AreaGeometry): BoundingBox {
  const box = { minLon: Infinity, minLat: Infinity, maxLon: -Infinity, maxLat: -Infinity };
  for (const polygon of polygonsOf(geometry)) {
    // holes lie inside the outer ring: the outer rings decide the box
    for (const [lon, lat] of polygon[0]) {
      box.minLon = Math.min(box.minLon, lon);
      box.maxLon = Math.max(box.maxLon, lon);
      box.minLat = Math.min(box.minLat, lat);
      box.maxLat = Math.max(box.maxLat, lat);
    }
  }
  return box;
}

/**
 * Whether the point is in the area: inside the outer ring of one of its polygons and in none of that polygon's holes.
 * Ray casting with half-open edges, so a point on an edge shared by two neighbouring areas falls in exactly one of
 * them (the one to its east or north), never in both or neither.
 */
export function containsPoint(geometry: AreaGeometry, longitude: number, latitude: number): boolean {
  return polygonsOf(geometry).some(
    ([outer, ...holes]) => inRing(outer, longitude, latitude) && !holes.some((hole) => inRing(hole, longitude, latitude)),
  );
}

function inRing(ring: Ring, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    // the edge spans the ray's height (one end strictly above, the other at or below: half-open)
    if (yi > y !== yj > y) {
      const crossing = xj + ((y - yj) * (xi - xj)) / (yi - yj);
      if (x < crossing) inside = !inside;
    }
  }
  return inside;
}
