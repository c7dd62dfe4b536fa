// The parameter list of one statement: every value a caller sends becomes a $n, never SQL text.

export class SqlParams {
  readonly values: unknown[] = [];

  /** The placeholder of a new parameter, with a cast when given (`$3::date`). */
  add(value: unknown, type?: string): string {
    const n = this.index(value);
    return type ? `$${n}::${type}` : `$${n}`;
  }

  /** The number of a new parameter (for helpers such as scope.ts that take $n by number). */
  index(value: unknown): number {
    return this.values.push(value);
  }
}
