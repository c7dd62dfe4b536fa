// The canonical JSON that DCI signatures cover (docs/dci.md, "Signatures and encryption").
//
// JSON with every object's keys sorted and no whitespace: for the values a parsed JSON body holds this is the JSON
// Canonicalization Scheme (RFC 8785). Keys sorted by UTF-16 code units (integer-like keys too: "10" before "9");
// strings escaped as JSON.stringify does (only ", \ and control characters; everything else as UTF-8); numbers
// as ECMAScript prints them (1, 1.5, 1e+21); arrays in their order; properties whose value is undefined left out,
// undefined in an array written as null (as JSON.stringify does).

export function canonicalJson(value: unknown): string {
  const text = write(value);
  if (text === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return text;
}

// Written by hand rather than JSON.stringify of a sorted copy: objects keep integer-like keys in numeric order. Every
// answer is signed over this form (a page of 100 records is ~100 kB), so it is kept cheap: keys are sorted only when
// they are not in order already (the hub's own records mostly are not, but small objects often are), and the quoted
// form of a key is remembered (the same few dozen keys repeat in every record).
function write(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value); // strings, numbers, booleans, null; undefined and functions -> undefined
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return write((value as { toJSON(): unknown }).toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += write(value[i]) ?? 'null';
    }
    return out + ']';
  }
  const keys = Object.keys(value);
  if (!inOrder(keys)) keys.sort();
  let out = '{';
  for (const key of keys) {
    const item = write((value as Record<string, unknown>)[key]);
    if (item === undefined) continue;
    if (out.length > 1) out += ',';
    out += quotedKey(key) + item;
  }
  return out + '}';
}

// the order of Array.prototype.sort without a comparator: UTF-16 code units
function inOrder(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}

const QUOTED = new Map<string, string>();
const QUOTED_MAX = 5000;

/** `"key":`, remembered for short keys (a bounded map: keys of incoming messages are the sender's choice). */
function quotedKey(key: string): string {
  let quoted = QUOTED.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (key.length <= 64 && QUOTED.size < QUOTED_MAX) QUOTED.set(key, quoted);
  }
  return quoted;
}
