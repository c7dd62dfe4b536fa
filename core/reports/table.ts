// The shape every report answers with, in JSON and in CSV: parameters, the column order, rows (withheld cells are
// null and named in the row's `suppressed`), an optional totals row and notes that say what the numbers mean.

export type Cell = string | number | boolean | null;
export type ReportRow = Record<string, Cell | string[]> & { suppressed: string[] };

export interface ReportTable {
  report: string;
  generated_at: string;
  min_cell: number;
  parameters: Record<string, unknown>;
  columns: string[];
  rows: ReportRow[];
  totals?: ReportRow;
  notes: string[];
}

/** The marker a withheld cell carries in CSV (an empty cell means "no value", e.g. no denominator). */
export const SUPPRESSED_CSV = 'suppressed';

/** RFC 4180 CSV: a header, one line per row, then the totals row (its first column says TOTAL). */
export function toCsv(table: ReportTable): string {
  const lines = [table.columns.map(quote).join(',')];
  const line = (row: ReportRow) =>
    table.columns
      .map((c) => (row.suppressed.includes(c) ? SUPPRESSED_CSV : formatCell(row[c] as Cell)))
      .map(quote)
      .join(',');
  for (const row of table.rows) lines.push(line(row));
  if (table.totals) lines.push(line({ ...table.totals, [table.columns[0]]: 'TOTAL' }));
  return lines.join('\r\n') + '\r\n';
}

function formatCell(value: Cell | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value);
}

function quote(value: string): string {
  // a leading = + - @ would run as a formula in a spreadsheet (CSV injection): prefix a quote
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** CSV when ?format=csv, or when Accept prefers text/csv over JSON. */
export function wantsCsv(query: Record<string, unknown>, accept: string | undefined): boolean {
  if (query.format === 'csv') return true;
  if (query.format === 'json') return false;
  if (!accept) return false;
  const csv = quality(accept, 'text/csv');
  const json = Math.max(quality(accept, 'application/json'), quality(accept, '*/*') - 0.001);
  return csv > 0 && csv > json;
}

function quality(accept: string, type: string): number {
  let best = 0;
  for (const part of accept.split(',')) {
    const [media, ...params] = part.trim().toLowerCase().split(';');
    if (media.trim() !== type) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    best = Math.max(best, q ? Number(q.slice(2)) || 0 : 1);
  }
  return best;
}
