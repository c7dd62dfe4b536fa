// An update's changes checked against its form version: only the answers given (validate.ts `partial`), a new member
// in full. Pure module, no node imports: the hub's merge (merge.ts) and the field app run exactly these checks.
import type { ValidateOptions } from '../forms/validate.js';
import type { FieldError } from '../server/field-error.js'; // type only
import type { UpdateChanges } from './types.js';

/** Validates data against the item's form version (the hub's lookups, or the definition the device holds). */
export type FormCheck = (data: unknown, options: ValidateOptions) => FieldError[];

/** Every problem of an update's changes, with paths under `at` (body.items[0]); errors naming `formAt` pass as they are. */
export function changeErrors(check: FormCheck, changes: UpdateChanges, at: string, formAt: string): FieldError[] {
  const errors: FieldError[] = [];
  if (changes.household) {
    const { household_type, address, area_code, location, attributes } = changes.household;
    const data = dropNulls({ household_type, address, area_code, location, attributes });
    errors.push(...check(data, { partial: true, at: `${at}.changes.household` }));
  }
  for (const [j, p] of (changes.persons ?? []).entries()) {
    const prefix = 'x.members[0].person';
    const found = check({ members: [{ person: dropNulls(p.changes as Record<string, unknown>) }] }, { partial: true, at: 'x' });
    errors.push(...found.map((e) => ({ ...e, field: e.field.startsWith(prefix) ? `${at}.changes.persons[${j}].changes${e.field.slice(prefix.length)}` : e.field === formAt ? e.field : `${at}.changes.persons[${j}]` })));
  }
  for (const [j, member] of (changes.add_members ?? []).entries()) {
    // a new member is a whole answer: checked in full, but only what concerns the member (the rest is not in the change)
    const found = check({ members: [member] }, { at: 'x' });
    for (const e of found) {
      if (e.field === formAt) errors.push(e);
      else if (e.field.startsWith('x.members[0]')) errors.push({ ...e, field: `${at}.changes.add_members[${j}]${e.field.slice('x.members[0]'.length)}` });
    }
  }
  return dedupe(errors);
}

/** A cleared value (null) is a removal, which the form's types do not describe: only given values are checked. */
function dropNulls(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (v === null || v === undefined) continue;
    if (k === 'attributes' && typeof v === 'object' && !Array.isArray(v)) out[k] = dropNulls(v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(e.field + e.message) && seen.add(e.field + e.message));
}
