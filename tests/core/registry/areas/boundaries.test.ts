// Admin-area boundaries through the hub: the import (areas created, renamed, boundaries stored; any error changes
// nothing), the locate operation (deepest area, holes, multipolygons, borders) and the GeoJSON answers.
import { readFile } from 'node:fs/promises';
import { countBoundaries } from '../../../../core/registry/areas/boundaries.js';
import { DEMO_BOUNDARIES_FILE, loadDemoBoundaries } from '../../../../core/registry/areas/demo-boundaries.js';
import { AreaImportError, importAreaFile } from '../../../../core/registry/areas/import.js';
import { districtsOf } from '../../../../core/seed/country.js';
import { generateHouseholds } from '../../../../core/seed/households.js';
import { dbEngines } from '../../../helpers/services.js';
import { startTestHub, type TestHub } from '../../../helpers/test-hub.js';

const box = (west: number, south: number, east: number, north: number) => [[west, south], [east, south], [east, north], [west, north], [west, south]];
const feature = (code: string, name: string, parent: string | null, geometry: unknown) => ({ type: 'Feature', properties: { code, name, parent_code: parent }, geometry });
const collection = (...features: unknown[]) => JSON.stringify({ type: 'FeatureCollection', features });

// a small country: two provinces side by side; the west one has a lake (a hole) and an island district
const COUNTRY = collection(
  feature('LT', 'Lakeland', null, { type: 'MultiPolygon', coordinates: [[box(0, 0, 20, 10)], [box(30, 0, 32, 2)]] }),
  feature('LT-W', 'West', 'LT', { type: 'MultiPolygon', coordinates: [[box(0, 0, 10, 10), box(4, 4, 6, 6)], [box(30, 0, 32, 2)]] }),
  feature('LT-E', 'East', 'LT', { type: 'Polygon', coordinates: [box(10, 0, 20, 10)] }),
  feature('LT-W-1', 'West One', 'LT-W', { type: 'Polygon', coordinates: [box(0, 0, 10, 4)] }),
  feature('LT-W-ISL', 'Isla', 'LT-W', { type: 'Polygon', coordinates: [box(30, 0, 32, 2)] }),
);

describe.each(dbEngines())('admin-area boundaries on %s', (db) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ db });
  }, 180_000);
  afterAll(() => t.stop());

  const locate = async (lat: number, lon: number) => {
    const res = await t.get(`/api/v1/admin-areas:locate?lat=${lat}&lon=${lon}`);
    return res.status === 200 ? res.body.area.code : res.status;
  };

  it('imports areas parents first (whatever the file order) with their boundaries', async () => {
    const reversed = JSON.parse(COUNTRY);
    reversed.features.reverse();
    const summary = await importAreaFile(t.hub.db, JSON.stringify(reversed), 'lakeland.geojson');
    expect(summary).toEqual({ features: 5, created: 5, renamed: 0, boundaries: 5 });
    const areas = (await t.get('/api/v1/admin-areas')).body.items;
    expect(areas.filter((a: { code: string }) => a.code.startsWith('LT'))).toEqual([
      { code: 'LT', name: 'Lakeland', level: 0, parent_code: null },
      { code: 'LT-E', name: 'East', level: 1, parent_code: 'LT' },
      { code: 'LT-W', name: 'West', level: 1, parent_code: 'LT' },
      { code: 'LT-W-1', name: 'West One', level: 2, parent_code: 'LT-W' },
      { code: 'LT-W-ISL', name: 'Isla', level: 2, parent_code: 'LT-W' },
    ]);
  });

  it('locates the deepest area containing a point', async () => {
    expect(await locate(2, 5)).toBe('LT-W-1');
    expect(await locate(8, 2)).toBe('LT-W'); // in West, in none of its districts
    expect(await locate(5, 5)).toBe('LT'); // West's lake: a hole in West, inside the country's outline
    expect(await locate(1, 31)).toBe('LT-W-ISL'); // the island, a part of two multipolygons
    expect(await locate(5, 15)).toBe('LT-E');
    expect(await locate(5, 25)).toBe(404); // between the mainland and the island
    expect(await locate(-50, 100)).toBe(404);
    const res = await t.get('/api/v1/admin-areas:locate?lat=2&lon=5');
    expect(res.body).toEqual({ latitude: 2, longitude: 5, area: { code: 'LT-W-1', name: 'West One', level: 2, parent_code: 'LT-W', path: ['LT', 'LT-W', 'LT-W-1'] } });
  });

  it('puts a point on the border between two areas in one of them', async () => {
    expect(await locate(5, 10)).toBe('LT-E'); // the edge West and East share: the eastern one
    expect(await locate(4, 2)).toBe('LT-W'); // West One's northern edge: not in West One
  });

  it('refuses bad coordinates naming the parameter', async () => {
    const res = await t.get('/api/v1/admin-areas:locate?lat=91&lon=5');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.errors)).toContain('query.lat');
    expect((await t.get('/api/v1/admin-areas:locate?lat=1')).status).toBe(400);
  });

  it('answers boundaries as GeoJSON features and collections', async () => {
    const one = await t.get('/api/v1/admin-areas/LT-E/boundary');
    expect(one.status).toBe(200);
    expect(one.body).toEqual({
      type: 'Feature',
      id: 'LT-E',
      properties: { code: 'LT-E', name: 'East', level: 1, parent_code: 'LT' },
      geometry: { type: 'Polygon', coordinates: [box(10, 0, 20, 10)] },
      bbox: [10, 0, 20, 10],
    });
    const geo = await t.get('/api/v1/admin-areas/LT-E/boundary', { headers: { accept: 'application/geo+json' } });
    expect(geo.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect((await t.get('/api/v1/admin-areas/NOPE/boundary')).status).toBe(404);

    const children = (await t.get('/api/v1/admin-areas:boundaries?parent_code=LT-W')).body;
    expect(children.type).toBe('FeatureCollection');
    expect(children.features.map((f: { id: string }) => f.id)).toEqual(['LT-W-1', 'LT-W-ISL']);
    const roots = (await t.get('/api/v1/admin-areas:boundaries?level=0')).body;
    expect(roots.features.map((f: { id: string }) => f.id)).toContain('LT');
    expect(roots.features.every((f: { properties: { level: number } }) => f.properties.level === 0)).toBe(true);
  });

  it('re-imports: renames, replaces boundaries, adds areas under registered parents', async () => {
    const summary = await importAreaFile(
      t.hub.db,
      collection(
        feature('LT-E', 'East Province', 'LT', { type: 'Polygon', coordinates: [box(10, 0, 21, 10)] }),
        feature('LT-E-1', 'East One', 'LT-E', { type: 'Polygon', coordinates: [box(10, 0, 15, 10)] }),
        feature('LT-W', 'West', 'LT', null),
      ),
      'update.geojson',
    );
    expect(summary).toEqual({ features: 3, created: 1, renamed: 1, boundaries: 2 });
    expect(await locate(5, 20.5)).toBe('LT-E');
    expect(await locate(5, 12)).toBe('LT-E-1');
    expect(await locate(2, 5)).toBe('LT-W-1'); // West kept its boundary (no geometry given)
    expect((await t.get('/api/v1/admin-areas/LT-E/boundary')).body.properties.name).toBe('East Province');
  });

  const importProblems = async (text: string) => {
    const before = await countBoundaries(t.hub.db);
    const areas = (await t.get('/api/v1/admin-areas')).body.items.length;
    const err = await importAreaFile(t.hub.db, text, 'bad.geojson').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AreaImportError);
    // nothing changed
    expect(await countBoundaries(t.hub.db)).toBe(before);
    expect((await t.get('/api/v1/admin-areas')).body.items).toHaveLength(areas);
    return (err as AreaImportError).problems;
  };

  it('refuses a bad file as a whole, naming each problem with its feature', async () => {
    expect(await importProblems('{not json')).toEqual([{ field: 'file', message: expect.stringMatching(/^is not valid JSON/) }]);
    expect((await importProblems('{"type":"Feature"}'))[0].message).toMatch(/FeatureCollection/);
    expect(await importProblems(collection())).toEqual([{ field: 'features', message: 'is empty: the file holds no areas' }]);
    const problems = await importProblems(
      collection(
        feature('LT-N', 'North', 'LT', { type: 'Polygon', coordinates: [box(0, 10, 20, 12)] }), // fine, but the file fails
        feature('lt-x', 'Lower', 'LT', null),
        feature('LT-Y', '', 'LT', { type: 'Point', coordinates: [1, 1] }),
        feature('LT-N', 'Again', 'LT', null),
      ),
    );
    expect(problems).toEqual([
      { feature: 1, field: 'properties.code', message: expect.stringMatching(/must be an area code.*"lt-x"/) },
      { feature: 2, code: 'LT-Y', field: 'properties.name', message: 'must be a name of 1 to 200 characters' },
      { feature: 2, code: 'LT-Y', field: 'geometry.type', message: expect.stringMatching(/Polygon or MultiPolygon/) },
      { feature: 3, code: 'LT-N', field: 'properties.code', message: 'LT-N is given twice (also in feature 0)' },
    ]);
    expect(new AreaImportError(problems).details.errors).toContainEqual({ field: 'features[2].geometry.type', message: expect.any(String) });
  });

  it('refuses unknown parents, cycles and moving a registered area', async () => {
    expect(await importProblems(collection(feature('ZZ-1', 'Z', 'ZZ', null)))).toEqual([
      { feature: 0, code: 'ZZ-1', field: 'properties.parent_code', message: 'ZZ is neither registered nor in the file' },
    ]);
    expect((await importProblems(collection(feature('C1', 'C', 'C2', null), feature('C2', 'C', 'C1', null))))[0].message).toMatch(/cycle/);
    expect(await importProblems(collection(feature('LT-W-1', 'West One', 'LT-E', null)))).toEqual([
      { feature: 0, code: 'LT-W-1', field: 'properties.parent_code', message: 'LT-W-1 is registered under LT-W; a boundaries file cannot move it under LT-E' },
    ]);
  });
});

describe('the demo boundaries', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  }, 180_000);
  afterAll(() => t.stop());

  it('load once and place every seeded household location in its own district', async () => {
    expect(await loadDemoBoundaries(t.hub.db)).toMatchObject({ features: 24, created: 24, boundaries: 24 });
    expect(await loadDemoBoundaries(t.hub.db)).toBeNull();
    const households = [...generateHouseholds({ seed: 7, count: 150, areas: districtsOf() })].filter((h) => h.location);
    expect(households.length).toBeGreaterThan(100);
    for (const h of households) {
      const res = await t.get(`/api/v1/admin-areas:locate?lat=${h.location!.latitude}&lon=${h.location!.longitude}`);
      expect(res.body.area.code).toBe(h.area_code);
    }
  });

  it('is the committed file the generator writes', async () => {
    const { boundariesText } = await import('../../../../connectors/gis/data/boundaries.js');
    expect(await readFile(DEMO_BOUNDARIES_FILE, 'utf8')).toBe(boundariesText());
  });
});
