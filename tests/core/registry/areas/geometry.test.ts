// Point in polygon over GeoJSON boundaries: holes, multipolygons, points on edges and vertices, and the checks that
// reject a geometry that is not a usable surface.
import fc from 'fast-check';
import { boundingBox, checkGeometry, containsPoint, type AreaGeometry } from '../../../../core/registry/areas/geometry.js';

const box = (west: number, south: number, east: number, north: number) => [
  [west, south],
  [east, south],
  [east, north],
  [west, north],
  [west, south],
] as [number, number][];

const square: AreaGeometry = { type: 'Polygon', coordinates: [box(0, 0, 10, 10)] };
const withHole: AreaGeometry = { type: 'Polygon', coordinates: [box(0, 0, 10, 10), box(4, 4, 6, 6)] };
const islands: AreaGeometry = { type: 'MultiPolygon', coordinates: [[box(0, 0, 2, 2)], [box(5, 5, 7, 7), box(5.5, 5.5, 6.5, 6.5)]] };

describe('containsPoint', () => {
  it('tells inside from outside of a polygon', () => {
    expect(containsPoint(square, 5, 5)).toBe(true);
    expect(containsPoint(square, 0.0001, 9.9999)).toBe(true);
    expect(containsPoint(square, -0.0001, 5)).toBe(false);
    expect(containsPoint(square, 5, 10.0001)).toBe(false);
    expect(containsPoint(square, 50, 50)).toBe(false);
  });

  it('leaves holes out', () => {
    expect(containsPoint(withHole, 5, 5)).toBe(false);
    expect(containsPoint(withHole, 3.9, 5)).toBe(true);
    expect(containsPoint(withHole, 6.1, 5)).toBe(true);
    expect(containsPoint(withHole, 5, 6.1)).toBe(true);
  });

  it('finds points in any part of a multipolygon, and not in its parts\' holes or between them', () => {
    expect(containsPoint(islands, 1, 1)).toBe(true);
    expect(containsPoint(islands, 5.2, 6.8)).toBe(true);
    expect(containsPoint(islands, 6, 6)).toBe(false); // the hole of the second island
    expect(containsPoint(islands, 3.5, 3.5)).toBe(false); // the sea between
  });

  it('handles concave rings (a U shape)', () => {
    const u: AreaGeometry = { type: 'Polygon', coordinates: [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]] };
    expect(containsPoint(u, 0.5, 2.5)).toBe(true);
    expect(containsPoint(u, 2.5, 2.5)).toBe(true);
    expect(containsPoint(u, 1.5, 2)).toBe(false); // inside the U's gap
    expect(containsPoint(u, 1.5, 0.5)).toBe(true);
  });

  it('gives a point on a shared edge or corner to exactly one of the neighbouring areas', () => {
    const cells = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2)].map((r): AreaGeometry => ({ type: 'Polygon', coordinates: [r] }));
    for (const [x, y] of [[1, 0.5], [0.5, 1], [1, 1], [1.5, 1], [1, 1.5]]) {
      expect(cells.filter((c) => containsPoint(c, x, y))).toHaveLength(1);
    }
  });

  it('puts every point of a grid of areas in exactly one area (property)', () => {
    const edges = [0, 0.3, 1.7, 2, 3.25];
    const cells: AreaGeometry[] = [];
    for (let i = 0; i + 1 < edges.length; i++) {
      for (let j = 0; j + 1 < edges.length; j++) cells.push({ type: 'Polygon', coordinates: [box(edges[i], edges[j], edges[i + 1], edges[j + 1])] });
    }
    const coordinate = fc.oneof(fc.double({ min: 0, max: 3.2499, noNaN: true }), fc.constantFrom(0, 0.3, 1.7, 2));
    fc.assert(fc.property(coordinate, coordinate, (x, y) => cells.filter((c) => containsPoint(c, x, y)).length === 1));
  });

  it('does not depend on the rings\' orientation', () => {
    const clockwise: AreaGeometry = { type: 'Polygon', coordinates: [[...box(0, 0, 10, 10)].reverse(), [...box(4, 4, 6, 6)]] };
    expect(containsPoint(clockwise, 5, 5)).toBe(false);
    expect(containsPoint(clockwise, 2, 2)).toBe(true);
  });
});

describe('boundingBox', () => {
  it('spans every part of a multipolygon', () => {
    expect(boundingBox(islands)).toEqual({ minLon: 0, minLat: 0, maxLon: 7, maxLat: 7 });
  });
});

describe('checkGeometry', () => {
  it('accepts Polygons and MultiPolygons', () => {
    expect(checkGeometry(square)).toEqual([]);
    expect(checkGeometry(withHole)).toEqual([]);
    expect(checkGeometry(islands)).toEqual([]);
  });

  it('names what is wrong and where', () => {
    expect(checkGeometry({ type: 'Point', coordinates: [1, 2] })[0].message).toMatch(/Polygon or MultiPolygon/);
    expect(checkGeometry(null)[0].message).toMatch(/geometry object/);
    expect(checkGeometry({ type: 'Polygon', coordinates: [] })).toEqual([{ path: 'coordinates', message: 'must be a non-empty array' }]);
    expect(checkGeometry({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] })).toEqual([
      { path: 'coordinates[0]', message: 'the ring is not closed: its last position must equal its first' },
    ]);
    expect(checkGeometry({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [0, 0]]] })[0].message).toMatch(/at least 4 positions/);
    expect(checkGeometry({ type: 'Polygon', coordinates: [[[0, 0], [1, 1], [2, 2], [0, 0]]] })[0].message).toMatch(/no area/);
    expect(checkGeometry({ type: 'MultiPolygon', coordinates: [[box(0, 0, 1, 1)], [[[0, 0], [200, 0], [1, 1], [0, 0]]]] })).toEqual([
      { path: 'coordinates[1][0][1]', message: 'longitude 200 is not a number between -180 and 180' },
    ]);
    expect(checkGeometry({ type: 'Polygon', coordinates: [[[0, 0], [1, 'x'], [1, 1], [0, 0]]] })[0]).toEqual({
      path: 'coordinates[0][1]',
      message: 'latitude "x" is not a number between -90 and 90',
    });
  });
});
