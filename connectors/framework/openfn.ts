// @openfn/language-common's operations with types. Its own typings do not resolve under this project's NodeNext
// module resolution (its .d.ts files import './Adaptor' without an extension), so a named import such as
// `import { fn } from '@openfn/language-common'` fails to type-check. Connectors import from here instead:
//   import { fn, each, combine, dataValue, field, fields } from '../framework/openfn.js';
import * as languageCommon from '@openfn/language-common';
import type { Operation, State } from './types.js';

type Path = string;
type DataSource = Path | ((state: State) => unknown[]) | unknown[];
type Value = unknown | ((state: State) => unknown);

interface LanguageCommon {
  fn(func: (state: State) => State | Promise<State>): Operation;
  each(dataSource: DataSource, operation: Operation): Operation;
  combine(...operations: Operation[]): Operation;
  field(key: string, value: Value): [string, Value];
  fields(...fields: [string, Value][]): Record<string, Value>;
  dataValue(path: Path): (state: State) => any;
  dataPath(path: Path): string;
  sourceValue(path: Path): (state: State) => any;
  lastReferenceValue(path: Path): (state: State) => any;
  merge(dataSource: DataSource, fields: Record<string, Value>): (state: State) => unknown[];
  alterState(func: (state: State) => State | Promise<State>): Operation;
  fnIf(condition: boolean | ((state: State) => boolean), operation: Operation): Operation;
  chunk<T>(array: T[], chunkSize: number): T[][];
  cursor(value: unknown, options?: { key?: string; defaultValue?: unknown; format?: (v: unknown) => unknown }): Operation;
  group(arrayOfObjects: unknown[], keyPath: string, callback?: (groups: Record<string, unknown[]>, state: State) => State): Operation;
  log(...args: unknown[]): Operation;
  as(key: string, operation: Operation): Operation;
  map(path: string | unknown[], callback: (item: any, state: State) => unknown): Operation;
}

const common = languageCommon as unknown as LanguageCommon;

export const { fn, each, combine, field, fields, dataValue, dataPath, sourceValue, lastReferenceValue, merge, alterState, fnIf, chunk, cursor, group, log, as, map } = common;
