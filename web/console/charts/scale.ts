// Small numeric helpers of the console's hand-written SVG charts: rounded axis maxima, ticks, colour classes.

/** A round number at or above `value` (1, 2, 2.5, 5 × 10^n), so axes end on a readable figure. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= value) ?? 10;
  return step * power;
}

/** Evenly spaced ticks from 0 to max: 4 intervals, or 5 or 2 when that keeps them whole numbers (250 -> 0, 50, ..., 250). */
export function ticks(max: number): number[] {
  const count = [4, 5, 2].find((n) => Number.isInteger(max / n)) ?? 4;
  return Array.from({ length: count + 1 }, (_, i) => (max * i) / count);
}

/** Sequential blues (ColorBrewer), light to dark: the choropleth's classes, readable by people with colour-vision deficiencies. */
export const SEQUENTIAL = ['#eff3ff', '#bdd7e7', '#6baed6', '#3182bd', '#08519c'];
/** Okabe-Ito, safe for colour-vision deficiencies: one colour per series (channels, sexes). */
export const CATEGORICAL = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];
export const NO_DATA = '#d9d9d9';
export const GAIN = '#1e6b34';
export const LOSS = '#a4161a';

/** Class breaks of a choropleth: equal intervals from 0 to the largest value, SEQUENTIAL.length classes. */
export function classBreaks(values: number[]): number[] {
  const max = Math.max(0, ...values);
  return SEQUENTIAL.map((_, i) => (max * (i + 1)) / SEQUENTIAL.length);
}

export function classOf(value: number, breaks: number[]): number {
  const i = breaks.findIndex((b) => value <= b);
  return i === -1 ? breaks.length - 1 : i;
}
