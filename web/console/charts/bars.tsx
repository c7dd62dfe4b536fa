// Horizontal bars (one value per label) and diverging bars (gains right, losses left of a zero line).
import { ChartFigure, Legend } from './figure.js';
import { CATEGORICAL, GAIN, LOSS, niceMax, ticks } from './scale.js';

export interface BarItem {
  key: string;
  label: string;
  /** null: withheld (a small count) */
  value: number | null;
}

interface Common {
  id: string;
  title: string;
  description: string;
  tableLabel: string;
  valueLabel: string;
  format: (n: number) => string;
  withheld: string;
  empty?: string;
}

const LABEL_W = 170;
const ROW_H = 30;
const WIDTH = 640;

export function BarChart(props: Common & { items: BarItem[] }) {
  const max = niceMax(Math.max(0, ...props.items.map((i) => i.value ?? 0)));
  const plot = WIDTH - LABEL_W - 70;
  const height = props.items.length * ROW_H + 24;
  return (
    <ChartFigure
      id={props.id} title={props.title} description={props.description} tableLabel={props.tableLabel} empty={props.empty}
      width={WIDTH} height={height} rows={props.items}
      columns={[{ label: props.title, value: (r) => r.label }, { label: props.valueLabel, value: (r) => (r.value === null ? props.withheld : props.format(r.value)), numeric: true }]}
    >
      <Axis x={LABEL_W} width={plot} max={max} y={height - 20} format={props.format} />
      {props.items.map((item, i) => {
        const y = i * ROW_H + 4;
        const w = item.value === null ? 0 : (item.value / max) * plot;
        return (
          <g>
            <text x={LABEL_W - 8} y={y + 16} text-anchor="end" class="chart-label">{clip(item.label)}</text>
            <rect x={LABEL_W} y={y + 3} width={w} height={ROW_H - 10} fill={CATEGORICAL[0]}><title>{`${item.label}: ${item.value === null ? props.withheld : props.format(item.value)}`}</title></rect>
            <text x={LABEL_W + w + 6} y={y + 16} class="chart-value">{item.value === null ? props.withheld : props.format(item.value)}</text>
          </g>
        );
      })}
    </ChartFigure>
  );
}

export interface DivergingItem {
  key: string;
  label: string;
  gain: number;
  loss: number;
}

/** Per row: `gain` drawn to the right of zero, `loss` to the left (both given as positive counts). */
export function DivergingBars(props: Common & { items: DivergingItem[]; gainLabel: string; lossLabel: string; legendLabel: string }) {
  const max = niceMax(Math.max(1, ...props.items.flatMap((i) => [i.gain, i.loss])));
  const half = (WIDTH - LABEL_W - 20) / 2;
  const zero = LABEL_W + half;
  const height = props.items.length * ROW_H + 10;
  return (
    <ChartFigure
      id={props.id} title={props.title} description={props.description} tableLabel={props.tableLabel} empty={props.empty}
      width={WIDTH} height={height} rows={props.items}
      columns={[
        { label: props.valueLabel, value: (r) => r.label },
        { label: props.gainLabel, value: (r) => props.format(r.gain), numeric: true },
        { label: props.lossLabel, value: (r) => props.format(r.loss), numeric: true },
      ]}
      legend={<Legend label={props.legendLabel} items={[{ colour: GAIN, label: props.gainLabel }, { colour: LOSS, label: props.lossLabel }]} />}
    >
      <line x1={zero} x2={zero} y1={0} y2={height} class="chart-axis" />
      {props.items.map((item, i) => {
        const y = i * ROW_H + 4;
        const g = (item.gain / max) * half;
        const l = (item.loss / max) * half;
        return (
          <g>
            <text x={LABEL_W - 8} y={y + 16} text-anchor="end" class="chart-label">{clip(item.label)}</text>
            <rect x={zero - l} y={y + 3} width={l} height={ROW_H - 10} fill={LOSS}><title>{`${item.label}: −${props.format(item.loss)}`}</title></rect>
            <rect x={zero} y={y + 3} width={g} height={ROW_H - 10} fill={GAIN}><title>{`${item.label}: +${props.format(item.gain)}`}</title></rect>
            {item.loss > 0 && <text x={zero - l - 4} y={y + 16} text-anchor="end" class="chart-value">{`−${props.format(item.loss)}`}</text>}
            {item.gain > 0 && <text x={zero + g + 4} y={y + 16} class="chart-value">{`+${props.format(item.gain)}`}</text>}
          </g>
        );
      })}
    </ChartFigure>
  );
}

export function Axis(props: { x: number; width: number; max: number; y: number; format: (n: number) => string }) {
  return (
    <g class="chart-axis" aria-hidden="true">
      <line x1={props.x} x2={props.x + props.width} y1={props.y} y2={props.y} />
      {ticks(props.max).map((v) => {
        const x = props.x + (v / props.max) * props.width;
        return <text x={x} y={props.y + 14} text-anchor="middle" class="chart-tick">{props.format(v)}</text>;
      })}
    </g>
  );
}

export const clip = (text: string, length = 22) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);
