// Stacked columns over time: one column per period, one coloured segment per series (registration channels).
import { ChartFigure, Legend } from './figure.js';
import { CATEGORICAL, niceMax, ticks } from './scale.js';

export interface ColumnRow {
  key: string;
  label: string;
  values: Record<string, number | null>;
  total: number | null;
}

export function StackedColumns(props: {
  id: string; title: string; description: string; tableLabel: string; legendLabel: string; periodLabel: string; totalLabel: string;
  series: { key: string; label: string }[]; rows: ColumnRow[]; withheld: string; empty?: string; format: (n: number) => string;
}) {
  const WIDTH = 520;
  const HEIGHT = 260;
  const LEFT = 48;
  const BOTTOM = 40;
  const plotH = HEIGHT - BOTTOM - 10;
  const max = niceMax(Math.max(1, ...props.rows.map((r) => r.total ?? sumKnown(r.values))));
  const slot = (WIDTH - LEFT - 10) / Math.max(1, props.rows.length);
  const show = (n: number | null) => (n === null ? props.withheld : props.format(n));
  return (
    <ChartFigure
      id={props.id} title={props.title} description={props.description} tableLabel={props.tableLabel} empty={props.empty}
      width={WIDTH} height={HEIGHT} rows={props.rows} scroll={false}
      columns={[
        { label: props.periodLabel, value: (r) => r.label },
        ...props.series.map((s) => ({ label: s.label, value: (r: ColumnRow) => show(r.values[s.key] ?? 0), numeric: true })),
        { label: props.totalLabel, value: (r) => show(r.total), numeric: true },
      ]}
      legend={<Legend label={props.legendLabel} items={props.series.map((s, i) => ({ colour: CATEGORICAL[i % CATEGORICAL.length], label: s.label }))} />}
    >
      <g class="chart-axis" aria-hidden="true">
        {ticks(max).map((v) => {
          const y = 10 + plotH - (v / max) * plotH;
          return <><line x1={LEFT} x2={WIDTH - 10} y1={y} y2={y} class="chart-grid" /><text x={LEFT - 6} y={y + 4} text-anchor="end" class="chart-tick">{props.format(v)}</text></>;
        })}
      </g>
      {props.rows.map((row, i) => {
        let y = 10 + plotH;
        const x = LEFT + i * slot + slot * 0.15;
        return (
          <g>
            {props.series.map((s, j) => {
              const h = ((row.values[s.key] ?? 0) / max) * plotH;
              y -= h;
              return h > 0 ? <rect x={x} y={y} width={slot * 0.7} height={h} fill={CATEGORICAL[j % CATEGORICAL.length]}><title>{`${row.label} ${s.label}: ${show(row.values[s.key] ?? 0)}`}</title></rect> : null;
            })}
            {(props.rows.length <= 12 || i % 2 === 0) && <text x={x + slot * 0.35} y={HEIGHT - BOTTOM + 16} text-anchor="middle" class="chart-tick">{row.label}</text>}
          </g>
        );
      })}
    </ChartFigure>
  );
}

const sumKnown = (values: Record<string, number | null>) => Object.values(values).reduce<number>((a, b) => a + (b ?? 0), 0);
