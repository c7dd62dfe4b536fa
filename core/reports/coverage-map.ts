// The coverage report as a GeoJSON FeatureCollection, ready for a choropleth (the console's dashboard, a GIS tool):
// the boundary of each area the report has a row for, its figures in the feature's properties. The same rows, area
// scoping and small-cell suppression as GET /api/v1/reports/coverage; readable with reports.read alone, since people
// who read reports may not hold registry.read (which the boundaries API needs). Geography is not personal data.
import { boundaryFeaturesOf, type AreaFeature } from '../registry/areas/boundaries.js';
import type { Ctx } from '../server/context.js';
import { coverageReport } from './coverage.js';
import type { ReportRow } from './table.js';

const FIGURES = ['households', 'persons', 'deregistered_households', 'deceased_persons', 'population', 'population_households',
  'person_coverage', 'household_coverage'] as const;

export interface CoverageMap {
  type: 'FeatureCollection';
  report: 'coverage-map';
  generated_at: string;
  min_cell: number;
  parameters: Record<string, unknown>;
  features: (Omit<AreaFeature, 'properties'> & { properties: AreaFeature['properties'] & Record<string, unknown> })[];
  /** Areas of the report without a stored boundary (or holding households above the level): their figures are in coverage only. */
  unmapped: string[];
}

export async function coverageMap(ctx: Ctx, query: Record<string, unknown>): Promise<CoverageMap> {
  const report = await coverageReport(ctx, query);
  // rows_cover 'direct' rows are households registered at an area above the level: its shape would cover its children
  const mappable = new Map(report.rows.filter((r) => r.rows_cover !== 'direct').map((r) => [r.area_code as string, r]));
  const features = (await boundaryFeaturesOf(ctx.db, [...mappable.keys()])).map((f) => ({
    ...f,
    properties: { ...f.properties, ...figuresOf(mappable.get(f.properties.code)!) },
  }));
  const mapped = new Set(features.map((f) => f.properties.code));
  return {
    type: 'FeatureCollection',
    report: 'coverage-map',
    generated_at: report.generated_at,
    min_cell: report.min_cell,
    parameters: report.parameters,
    features,
    unmapped: report.rows.map((r) => r.area_code as string).filter((code) => !mapped.has(code)),
  };
}

function figuresOf(row: ReportRow): Record<string, unknown> {
  return { ...Object.fromEntries(FIGURES.map((f) => [f, row[f] ?? null])), suppressed: row.suppressed };
}
