// The unit of a three-way merge is a field: a household's household_type, address, area_code, location, and each
// key of its attributes (attributes.rooms); a person's own fields and each key of theirs. What the server changed
// since a base version comes from record_history; the current values from the registry's own views.
import type { Db } from '../db/index.js';
import type { Changes } from '../registry/history.js';
import { readHousehold } from '../registry/households/service.js';
import { readPerson } from '../registry/persons/service.js';
import type { Ctx } from '../server/context.js';

const HOUSEHOLD_FIELDS = new Set(['household_type', 'address', 'area_code', 'location']);

/** The fields a change sets, flattened: {address: 'x', attributes: {rooms: 3}} -> {address: 'x', 'attributes.rooms': 3}. */
export function flatten(changes: Record<string, unknown>, ignore: readonly string[] = ['channel']): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (const [key, value] of Object.entries(changes)) {
    if (ignore.includes(key) || value === undefined) continue;
    if (key === 'attributes' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) fields.set(`attributes.${k}`, v);
    } else {
      fields.set(key, value);
    }
  }
  return fields;
}

/** A field back into a patch: 'attributes.rooms' -> {attributes: {rooms: v}}. */
export function patchFor(field: string, value: unknown): Record<string, unknown> {
  if (field.startsWith('attributes.')) return { attributes: { [field.slice('attributes.'.length)]: value ?? null } };
  return { [field]: value ?? null };
}

/** Several fields into one patch. */
export function patchOf(fields: Map<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [field, value] of fields) {
    if (field.startsWith('attributes.')) {
      patch.attributes = { ...((patch.attributes as object) ?? {}), [field.slice('attributes.'.length)]: value ?? null };
    } else {
      patch[field] = value;
    }
  }
  return patch;
}

/** The fields the server changed after `baseVersion` (from the history's per-version changes). */
export async function changedSince(db: Db, entity: 'household' | 'person', id: string, baseVersion: number): Promise<Set<string>> {
  const rows = await db.query<{ changes: Changes }>(
    'select changes from record_history where entity = $1 and entity_id = $2 and version > $3 order by version',
    [entity, id, baseVersion],
  );
  const fields = new Set<string>();
  for (const { changes } of rows) {
    for (const [key, change] of Object.entries(changes)) {
      if (key === 'attributes') {
        const from = (change.from ?? {}) as Record<string, unknown>;
        const to = (change.to ?? {}) as Record<string, unknown>;
        for (const k of new Set([...Object.keys(from), ...Object.keys(to)])) {
          if (JSON.stringify(from[k] ?? null) !== JSON.stringify(to[k] ?? null)) fields.add(`attributes.${k}`);
        }
      } else if (key === 'latitude' || key === 'longitude') {
        fields.add('location');
      } else {
        fields.add(key);
      }
    }
  }
  return fields;
}

function valueIn(record: Record<string, unknown>, field: string): unknown {
  if (field.startsWith('attributes.')) return ((record.attributes ?? {}) as Record<string, unknown>)[field.slice('attributes.'.length)] ?? null;
  if (field === 'identifiers') {
    // the hub's own registry ID is not the device's to change
    return ((record.identifiers ?? []) as { type: string; value: string; issued_by_hub?: boolean }[]).filter((i) => !i.issued_by_hub).map(({ type, value }) => ({ type, value }));
  }
  return record[field] ?? null;
}

/** A record's current value of a field, with the record's version (opened: phones and identifiers in clear). */
export async function currentValue(db: Db, ctx: Ctx, entity: 'household' | 'person', id: string, field: string): Promise<{ value: unknown; version: number }> {
  const record = entity === 'household' ? await readHousehold(db, ctx, id) : await readPerson(db, ctx, id);
  return { value: valueIn(record as unknown as Record<string, unknown>, field), version: record.version };
}

export function currentValues(record: Record<string, unknown>, fields: Iterable<string>): Map<string, unknown> {
  return new Map([...fields].map((f) => [f, valueIn(record, f)]));
}

export const isHouseholdField = (field: string) => HOUSEHOLD_FIELDS.has(field) || field.startsWith('attributes.');

/** Equal as data (key order of objects aside from arrays is as sent; values from JSON compare by their JSON). */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
