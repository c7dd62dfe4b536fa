// Small-cell suppression: counts that could single a person out are withheld (docs/reports.md, "Suppression").
// Primary: a count from 1 to minCell-1 is withheld (0 is shown: it names nobody). Complementary: in a line of
// cells whose total is published (an area's cells, whose total the coverage report shows), withholding one cell is
// not enough (total minus the shown cells gives it back), so more cells are withheld, smallest first, until at least
// two are and together they hold at least minCell people, or until every non-zero cell is (then the total goes too).

/** A cell's value after suppression: the count, or null when withheld. */
export type Shown = number | null;

/** Withholds a single count that is not part of a line (a dashboard figure, a cell whose total nobody publishes). */
export function suppressCount(value: number, minCell: number): Shown {
  return value > 0 && value < minCell ? null : value;
}

/**
 * Suppresses a line of counts whose total is public: returns which cells are withheld (primary and complementary)
 * and whether the total itself must be withheld (when it is small). `forced` marks cells withheld for another reason.
 */
export function suppressLine(values: readonly number[], minCell: number, forced?: readonly boolean[]): { withheld: boolean[]; totalWithheld: boolean } {
  const withheld = values.map((v, i) => (v > 0 && v < minCell) || (forced?.[i] === true && v > 0));
  const total = values.reduce((a, b) => a + b, 0);
  let count = withheld.filter(Boolean).length;
  if (count > 0) {
    let sum = values.reduce((acc, v, i) => acc + (withheld[i] ? v : 0), 0);
    // smallest remaining non-zero cells first: the least information lost
    const candidates = values.map((v, i) => ({ v, i })).filter(({ v, i }) => v > 0 && !withheld[i]).sort((a, b) => a.v - b.v || a.i - b.i);
    for (const { v, i } of candidates) {
      if (count >= 2 && sum >= minCell) break;
      withheld[i] = true;
      count += 1;
      sum += v;
    }
  }
  // when the candidates run out every non-zero cell is withheld: the total is then their sum, which is safe unless
  // it is itself small
  return { withheld, totalWithheld: total > 0 && total < minCell };
}

/** A row of a report while it is built: counts by column, and the columns withheld so far. */
export interface Suppressible {
  suppressed: string[];
  [column: string]: unknown;
}

// what withheld cells held: later lines still need the true counts (a withheld cell's value is null in the row)
const withheldValues = new WeakMap<Suppressible, Map<string, number>>();

function withhold(row: Suppressible, column: string): void {
  if (typeof row[column] === 'number') {
    if (!withheldValues.has(row)) withheldValues.set(row, new Map());
    withheldValues.get(row)!.set(column, row[column] as number);
  }
  row[column] = null;
  if (!row.suppressed.includes(column)) row.suppressed.push(column);
}

/** A cell's true count, withheld or not. */
function countOf(row: Suppressible, column: string): number {
  return typeof row[column] === 'number' ? (row[column] as number) : (withheldValues.get(row)?.get(column) ?? 0);
}

/**
 * Withholds cells across rows, one column at a time: each column's cells within a group (rows whose sum is published,
 * e.g. the districts of one region) form a line. Cells already withheld (a small row's) count as withheld.
 */
export function suppressColumns(rows: Suppressible[], columns: readonly string[], groupOf: (row: Suppressible) => string, minCell: number): void {
  const groups = new Map<string, Suppressible[]>();
  for (const row of rows) groups.set(groupOf(row), [...(groups.get(groupOf(row)) ?? []), row]);
  for (const column of columns) {
    for (const members of groups.values()) {
      const values = members.map((r) => countOf(r, column));
      const forced = members.map((r) => r.suppressed.includes(column));
      suppressLine(values, minCell, forced).withheld.forEach((w, i) => w && withhold(members[i], column));
    }
  }
}

/** Withholds the cells of one row as a line whose total is published (an area's age-sex cells, say). */
export function suppressCellsOfRow(row: Suppressible, columns: readonly string[], minCell: number, totalColumn?: string): void {
  const values = columns.map((c) => countOf(row, c));
  const forced = columns.map((c) => row.suppressed.includes(c));
  const { withheld, totalWithheld } = suppressLine(values, minCell, forced);
  withheld.forEach((w, i) => w && withhold(row, columns[i]));
  if (totalColumn && totalWithheld) withhold(row, totalColumn);
}

/** Withholds single counts that are in no published line (a total, a dashboard figure). */
export function suppressSingles(row: Suppressible, columns: readonly string[], minCell: number): void {
  for (const c of columns) if (typeof row[c] === 'number' && suppressCount(row[c] as number, minCell) === null) withhold(row, c);
}

/** Withholds every listed cell of a row (a row describing fewer households than the threshold). */
export function withholdAll(row: Suppressible, columns: readonly string[]): void {
  for (const c of columns) if (row[c] !== 0) withhold(row, c);
}

/** Withholds the cells of several rows as one line (all the age-sex cells of one area, over its band rows). */
export function suppressGroupCells(rows: Suppressible[], columns: readonly string[], groupOf: (row: Suppressible) => string, minCell: number): void {
  const groups = new Map<string, Suppressible[]>();
  for (const row of rows) groups.set(groupOf(row), [...(groups.get(groupOf(row)) ?? []), row]);
  for (const members of groups.values()) {
    const cells = members.flatMap((row) => columns.map((column) => ({ row, column })));
    const values = cells.map(({ row, column }) => countOf(row, column));
    const forced = cells.map(({ row, column }) => row.suppressed.includes(column));
    suppressLine(values, minCell, forced).withheld.forEach((w, i) => w && withhold(cells[i].row, cells[i].column));
  }
}
