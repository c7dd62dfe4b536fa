// The `yaml` package as the tests see it (jest.config.js maps 'yaml' here): the same API, except that parse()
// of a large source remembers its result for the worker's later test files (test-environment.cjs). Parsing is
// a pure function of the text, and each call still gets a fresh object, so code under test cannot tell the
// difference; only the seconds of CPU per hub start (its API documents) are saved.
import * as yaml from '../../node_modules/yaml/dist/index.js';

export * from '../../node_modules/yaml/dist/index.js';

// tiny sources parse quickly; the API documents and their parts (3 kB and up) are worth remembering
const MIN_CACHED_LENGTH = 2_000;
const local = new Map<string, string>();
const memo: Map<string, string> = (globalThis as { __srhubParsedYaml?: Map<string, string> }).__srhubParsedYaml ?? local;

export const parse: typeof yaml.parse = (src: string, ...rest: unknown[]) => {
  if (rest.length || typeof src !== 'string' || src.length < MIN_CACHED_LENGTH) return (yaml.parse as (...a: unknown[]) => unknown)(src, ...rest);
  const known = memo.get(src);
  if (known !== undefined) return JSON.parse(known);
  const value = yaml.parse(src);
  const json = plainJson(value);
  if (json !== undefined) memo.set(src, json);
  return value;
};

/** JSON that parses back to an equal value, or undefined where JSON cannot carry it (Infinity, NaN, Map, Set...). */
function plainJson(value: unknown): string | undefined {
  let faithful = true;
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) faithful = false;
    else if (v === undefined || typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') faithful = false;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) faithful = false;
    return v;
  });
  return faithful ? json : undefined;
}
