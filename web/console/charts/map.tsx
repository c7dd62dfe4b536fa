// A choropleth of admin areas drawn from the boundaries GeoJSON (GET /api/v1/admin-areas:boundaries): an
// equirectangular projection fitted to the features' box (longitudes shrunk by the cosine of the middle latitude, so
// shapes keep their proportions away from the equator), one path per area filled by its value's class.
import { ChartFigure, Legend } from './figure.js';
import { classBreaks, classOf, NO_DATA, SEQUENTIAL } from './scale.js';

type Ring = number[][];
export interface AreaFeature {
  id: string;
  properties: { code: string; name: string; level: number; parent_code: string | null };
  geometry: { type: 'Polygon'; coordinates: Ring[] } | { type: 'MultiPolygon'; coordinates: Ring[][] };
  bbox: number[];
}

export interface MapRow {
  code: string;
  name: string;
  /** undefined: the area is not in the caller's figures; null: withheld */
  value: number | null | undefined;
}

const WIDTH = 820;

export function ChoroplethMap(props: {
  id: string; title: string; description: string; tableLabel: string; legendLabel: string; areaLabel: string; valueLabel: string;
  noData: string; withheld: string; empty?: string; features: AreaFeature[]; rows: MapRow[]; format: (n: number) => string;
}) {
  const [west, south, east, north] = props.features.reduce(
    (box, f) => [Math.min(box[0], f.bbox[0]), Math.min(box[1], f.bbox[1]), Math.max(box[2], f.bbox[2]), Math.max(box[3], f.bbox[3])],
    [Infinity, Infinity, -Infinity, -Infinity],
  );
  const k = Math.cos((((north + south) / 2) * Math.PI) / 180);
  const spanX = Math.max((east - west) * k, 1e-9);
  const spanY = Math.max(north - south, 1e-9);
  const scale = (WIDTH - 8) / spanX;
  const height = Math.min(Math.max(Math.round(spanY * scale) + 8, 120), 900);
  const fit = Math.min(scale, (height - 8) / spanY);
  const point = ([lon, lat]: number[]) => `${(4 + (lon - west) * k * fit).toFixed(1)},${(4 + (north - lat) * fit).toFixed(1)}`;
  const ringPath = (ring: Ring) => `M${ring.map(point).join('L')}Z`;
  const pathOf = (f: AreaFeature) =>
    f.geometry.type === 'Polygon' ? f.geometry.coordinates.map(ringPath).join('') : f.geometry.coordinates.flatMap((p) => p.map(ringPath)).join('');

  const byCode = new Map(props.rows.map((r) => [r.code, r]));
  const known = props.rows.filter((r): r is MapRow & { value: number } => typeof r.value === 'number').map((r) => r.value);
  const breaks = classBreaks(known);
  const show = (v: number | null | undefined) => (v === undefined ? props.noData : v === null ? props.withheld : props.format(v));
  const lower = (i: number) => (i === 0 ? 0 : breaks[i - 1]);
  return (
    <ChartFigure
      id={props.id} title={props.title} description={props.description} tableLabel={props.tableLabel} empty={props.empty}
      width={WIDTH} height={height} rows={props.rows} scroll={false}
      columns={[{ label: props.areaLabel, value: (r) => r.name }, { label: props.valueLabel, value: (r) => show(r.value), numeric: true }]}
      legend={
        <Legend
          label={props.legendLabel}
          items={[
            ...SEQUENTIAL.map((colour, i) => ({ colour, label: `${props.format(lower(i))} – ${props.format(breaks[i])}` })),
            { colour: NO_DATA, label: `${props.noData} / ${props.withheld}`, pattern: true },
          ]}
        />
      }
    >
      {props.features.map((f) => {
        const row = byCode.get(f.properties.code);
        const value = row?.value;
        const fill = typeof value === 'number' ? SEQUENTIAL[classOf(value, breaks)] : NO_DATA;
        return (
          <path d={pathOf(f)} fill={fill} fill-rule="evenodd" class="map-area" data-code={f.properties.code}>
            <title>{`${f.properties.name}: ${show(value)}`}</title>
          </path>
        );
      })}
    </ChartFigure>
  );
}
