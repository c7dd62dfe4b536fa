// Parameters of a statement the compilers build: every value from a model, a rule or a scenario is bound, never
// written into the SQL text.
export type SqlType = 'float8' | 'float8[]' | 'text' | 'text[]' | 'uuid' | 'int' | 'boolean' | 'jsonb';

export class SqlParams {
  readonly values: unknown[];

  /** `initial` are the statement's own leading parameters ($1..$n), bound before the compiled ones. */
  constructor(initial: readonly unknown[] = []) {
    this.values = [...initial];
  }

  /** Binds a value and answers the placeholder with its type cast ($7::float8). */
  add(value: unknown, type: SqlType): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}
