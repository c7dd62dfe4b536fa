// The frame every console chart shares: a figure with a visible caption, an SVG with a title and description for
// screen readers (role img), and the figures themselves as a table under a <details>, the accessible alternative.
import type { ComponentChildren } from 'preact';
import { Table, type Column } from '../../shared/ui.js';

export interface FigureProps<T> {
  id: string;
  title: string;
  /** One sentence saying what the chart shows (the SVG's <desc>). */
  description: string;
  tableLabel: string;
  columns: Column<T>[];
  rows: T[];
  width: number;
  height: number;
  children: ComponentChildren;
  legend?: ComponentChildren;
  empty?: string;
  /** Text-bearing charts keep a readable size on phones and scroll sideways instead of shrinking (maps need not). */
  scroll?: boolean;
}

export function ChartFigure<T>(props: FigureProps<T>) {
  const { id } = props;
  return (
    <figure class="chart" data-testid={id}>
      <figcaption>{props.title}</figcaption>
      {props.rows.length === 0 ? <p class="empty">{props.empty ?? '—'}</p> : (
        <>
          <div class={props.scroll === false ? '' : 'chart-scroll'}>
            <svg viewBox={`0 0 ${props.width} ${props.height}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} preserveAspectRatio="xMidYMid meet" style={{ maxWidth: `${props.width}px` }}>
              <title id={`${id}-title`}>{props.title}</title>
              <desc id={`${id}-desc`}>{props.description}</desc>
              {props.children}
            </svg>
          </div>
          {props.legend}
        </>
      )}
      <details>
        <summary>{props.tableLabel}</summary>
        <Table caption={props.title} columns={props.columns} rows={props.rows} testId={`${id}-table`} empty={props.empty} />
      </details>
    </figure>
  );
}

/** A legend as an HTML list (text stays selectable and zooms with the page): a colour swatch and a label each. */
export function Legend(props: { items: { colour: string; label: string; pattern?: boolean }[]; label: string }) {
  return (
    <ul class="legend" aria-label={props.label}>
      {props.items.map((item) => (
        <li><span class={`swatch${item.pattern ? ' swatch-nodata' : ''}`} style={{ background: item.colour }} aria-hidden="true" />{item.label}</li>
      ))}
    </ul>
  );
}
