// Writes amaru-boundaries.geojson, the demo country's admin-area boundaries, from core/seed/country.ts: each district
// is its slice of the region's box (where the seed places its households), each region its box, the country the
// union of its regions. Run after changing the country: npx tsx connectors/gis/data/boundaries.ts
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AMARU, districtsOf, type Box, type Country } from '../../../core/seed/country.js';

type Ring = [number, number][];

/** A box as a closed, counter-clockwise ring (RFC 7946 3.1.6). */
function ringOf(box: Box): Ring {
  return [[box.west, box.south], [box.east, box.south], [box.east, box.north], [box.west, box.north], [box.west, box.south]];
}

function feature(code: string, name: string, parentCode: string | null, geometry: object): object {
  return { type: 'Feature', properties: { code, name, parent_code: parentCode }, geometry };
}

/** The FeatureCollection as the committed file holds it (one feature per line). */
export function boundariesText(country: Country = AMARU): string {
  const features = [
    feature(country.code, country.name, null, { type: 'MultiPolygon', coordinates: country.regions.map((r) => [ringOf(r.box)]) }),
    ...country.regions.map((r) => feature(r.code, r.name, country.code, { type: 'Polygon', coordinates: [ringOf(r.box)] })),
    ...districtsOf(country).map((d) =>
      feature(d.code, d.name, d.code.replace(/-D\d+$/, ''), { type: 'Polygon', coordinates: [ringOf(d.box)] }),
    ),
  ];
  return `{"type":"FeatureCollection","features":[\n${features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = path.join(path.dirname(fileURLToPath(import.meta.url)), 'amaru-boundaries.geojson');
  await writeFile(target, boundariesText());
  console.log(`wrote ${target}`);
}
