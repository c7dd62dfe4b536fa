// What an import tells: the counts and reasons it keeps, a progress line while it runs, a summary at the end.
// Only counts, line numbers and column names are shown: never a name or an identifier.
import type { RowError } from './households-csv.js';

export interface ImportError {
  line: number;
  /** The CSV column at fault; '' when it is the row (or the header) as a whole. */
  field: string;
  message: string;
}

export interface ImportSummary {
  households: number;
  acceptedRows: number;
  rejectedRows: number;
  /** In line order; at most MAX_KEPT_ERRORS of them (the counts above stay exact). */
  errors: ImportError[];
  seconds: number;
}

export const MAX_KEPT_ERRORS = 10_000;
const REASONS_SHOWN = 20;
const NON_TTY_EVERY_BATCHES = 10;
const TTY_REDRAW_MS = 200;

/** The counts and the reasons, as the import goes. */
export class Tally {
  households = 0;
  acceptedRows = 0;
  rejectedRows = 0;
  private errors: ImportError[] = [];

  constructor(readonly startedAt: number) {}

  accept(rows: number): void {
    this.households++;
    this.acceptedRows += rows;
  }

  reject(rows: number, errors: RowError[]): void {
    this.rejectedRows += rows;
    for (const e of errors) {
      if (this.errors.length < MAX_KEPT_ERRORS) this.errors.push({ line: e.line, field: e.column, message: e.message });
    }
  }

  summary(now: number): ImportSummary {
    return {
      households: this.households,
      acceptedRows: this.acceptedRows,
      rejectedRows: this.rejectedRows,
      errors: [...this.errors].sort((a, b) => a.line - b.line),
      seconds: Math.round((now - this.startedAt) / 10) / 100,
    };
  }
}

/** On a terminal, one line redrawn in place; elsewhere (a log file, CI), a line every few batches. */
export class ImportProgress {
  private readonly tty: boolean;
  private batches = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WritableStream | undefined,
    private readonly tally: Tally,
  ) {
    this.tty = Boolean((out as { isTTY?: boolean } | undefined)?.isTTY);
  }

  batchDone(now = performance.now()): void {
    this.batches++;
    if (!this.out) return;
    if (this.tty) {
      if (now - this.lastDraw < TTY_REDRAW_MS) return;
      this.lastDraw = now;
      this.drawn = true;
      this.out.write(`\r${this.line(now)}\x1b[K`);
    } else if (this.batches % NON_TTY_EVERY_BATCHES === 0) {
      this.out.write(`${this.line(now)}\n`);
    }
  }

  end(summary: ImportSummary): void {
    if (!this.out) return;
    if (this.drawn) this.out.write('\r\x1b[K');
    this.out.write(formatSummary(summary));
  }

  private line(now: number): string {
    const seconds = (now - this.tally.startedAt) / 1000;
    const rate = seconds > 0 ? Math.round(this.tally.households / seconds) : 0;
    const rows = this.tally.acceptedRows + this.tally.rejectedRows;
    return `import: ${count(rows)} rows read, ${count(rate)} households/s, ${count(this.tally.rejectedRows)} rows rejected`;
  }
}

export function formatSummary(summary: ImportSummary): string {
  const lines = [
    `Imported ${several(summary.households, 'household')} (${several(summary.acceptedRows, 'row')}) in ${summary.seconds.toFixed(1)} s.`,
  ];
  if (summary.rejectedRows === 0) lines.push('No rows rejected.');
  else {
    lines.push(`Rejected ${several(summary.rejectedRows, 'row')} (a household with a bad row is rejected whole).`);
    const shown = summary.errors.slice(0, REASONS_SHOWN);
    const kept = summary.errors.length >= MAX_KEPT_ERRORS ? `${count(MAX_KEPT_ERRORS)} or more` : count(summary.errors.length);
    lines.push(summary.errors.length > shown.length ? `The first ${shown.length} reasons of ${kept}:` : 'Reasons:');
    for (const e of shown) lines.push(`  line ${e.line}${e.field ? `, ${e.field}` : ''}: ${e.message}`);
  }
  return `${lines.join('\n')}\n`;
}

const count = (n: number) => n.toLocaleString('en-US');
const several = (n: number, noun: string) => `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
