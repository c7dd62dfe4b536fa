// The age-sex pyramid: one row per age band (oldest at the top), males to the left of the centre, females to the right.
import { ChartFigure, Legend } from './figure.js';
import { CATEGORICAL, niceMax } from './scale.js';

export interface PyramidRow {
  band: string;
  male: number | null;
  female: number | null;
}

export function Pyramid(props: {
  id: string; title: string; description: string; tableLabel: string; legendLabel: string;
  bandLabel: string; maleLabel: string; femaleLabel: string; withheld: string; empty?: string;
  format: (n: number) => string; rows: PyramidRow[];
}) {
  const WIDTH = 480;
  const ROW_H = 18;
  const CENTRE_W = 64;
  const half = (WIDTH - CENTRE_W) / 2 - 50;
  const max = niceMax(Math.max(1, ...props.rows.flatMap((r) => [r.male ?? 0, r.female ?? 0])));
  const top = [...props.rows].reverse();
  const cx = WIDTH / 2;
  const show = (n: number | null) => (n === null ? props.withheld : props.format(n));
  return (
    <ChartFigure
      id={props.id} title={props.title} description={props.description} tableLabel={props.tableLabel} empty={props.empty}
      width={WIDTH} height={top.length * ROW_H + 6} rows={props.rows}
      columns={[
        { label: props.bandLabel, value: (r) => r.band },
        { label: props.maleLabel, value: (r) => show(r.male), numeric: true },
        { label: props.femaleLabel, value: (r) => show(r.female), numeric: true },
      ]}
      legend={<Legend label={props.legendLabel} items={[{ colour: CATEGORICAL[0], label: props.maleLabel }, { colour: CATEGORICAL[1], label: props.femaleLabel }]} />}
    >
      {top.map((row, i) => {
        const y = i * ROW_H + 3;
        const m = ((row.male ?? 0) / max) * half;
        const f = ((row.female ?? 0) / max) * half;
        return (
          <g>
            <rect x={cx - CENTRE_W / 2 - m} y={y} width={m} height={ROW_H - 3} fill={CATEGORICAL[0]}><title>{`${row.band} ${props.maleLabel}: ${show(row.male)}`}</title></rect>
            <text x={cx} y={y + 12} text-anchor="middle" class="chart-tick">{row.band}</text>
            <rect x={cx + CENTRE_W / 2} y={y} width={f} height={ROW_H - 3} fill={CATEGORICAL[1]}><title>{`${row.band} ${props.femaleLabel}: ${show(row.female)}`}</title></rect>
          </g>
        );
      })}
    </ChartFigure>
  );
}
