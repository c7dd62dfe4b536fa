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

// Written by hand rather than JSON.stringify of a sorted copy: objects keep integer-like keys in numeric order.
function write(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return write((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const item = write((value as Record<string, unknown>)[key]);
      if (item !== undefined) members.push(`${JSON.stringify(key)}:${item}`);
    }
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value); // strings, numbers, booleans, null; undefined and functions -> undefined
}
