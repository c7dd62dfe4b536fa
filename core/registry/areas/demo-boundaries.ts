// Demo mode: the demo country's boundaries (connectors/gis/data/amaru-boundaries.geojson, matching core/seed's
// areas) are imported on first start, so households can be placed in areas by their coordinates.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../db/index.js';
import { countBoundaries } from './boundaries.js';
import { importAreaFile, type AreaImportSummary } from './import.js';

export const DEMO_BOUNDARIES_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../connectors/gis/data/amaru-boundaries.geojson');

/** Imports the demo boundaries when none are stored yet; null when there were some already. */
export async function loadDemoBoundaries(db: Db): Promise<AreaImportSummary | null> {
  if ((await countBoundaries(db)) > 0) return null;
  return importAreaFile(db, await readFile(DEMO_BOUNDARIES_FILE, 'utf8'), path.basename(DEMO_BOUNDARIES_FILE));
}
