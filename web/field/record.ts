// A household as the form sees it (answers by path), and what an edit changed, in the sync protocol's terms:
// household fields and attributes key by key, each existing member's person fields at their own base version,
// new members whole. Paths: 'attributes.rooms' on the household, 'members[0].person.birth_date' in a member.
import type { FormDefinition, FormField } from '../../core/forms/definition.js';
import { isBlank } from '../../core/forms/expression.js';
import { text } from '../../core/forms/validate.js';
import type { PushItem, UpdateChanges } from '../../core/sync/types.js';
import type { StoredHousehold } from './store.js';

export type Answers = Record<string, any>;

/** A member's person fields the form can ask (the view's other fields are the hub's). */
const PERSON_KEYS = ['given_name', 'family_name', 'other_names', 'sex', 'birth_date', 'birth_date_estimated', 'phone', 'preferred_language', 'disabilities', 'identifiers', 'attributes'];

export function readPath(item: unknown, path: string): unknown {
  let v = item;
  for (const s of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, s)) return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

/** A copy of `item` with the answer at `path` set, or removed when blank (empty answers are no answers). */
export function writePath<T extends Record<string, any>>(item: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const copy: Record<string, any> = { ...item };
  if (rest.length === 0) {
    if (isBlank(value)) delete copy[head];
    else copy[head] = value;
  } else {
    copy[head] = writePath(typeof copy[head] === 'object' && copy[head] !== null ? copy[head] : {}, rest.join('.'), value);
  }
  return copy as T;
}

/** The household's answers, for editing: nulls dropped, members' persons cut to what the form can hold. */
export function answersOf(h: StoredHousehold): Answers {
  const answers: Answers = { area_code: h.area_code, attributes: { ...h.attributes } };
  if (h.household_type) answers.household_type = h.household_type;
  if (h.address) answers.address = h.address;
  if (h.location) answers.location = { latitude: h.location.latitude, longitude: h.location.longitude };
  answers.members = h.members.map((m) => {
    const person: Answers = {};
    for (const key of PERSON_KEYS) {
      const v = m.person[key];
      if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
      person[key] = key === 'identifiers' ? (v as { type: string; value: string }[]).map(({ type, value }) => ({ type, value })) : structuredClone(v);
    }
    return { relationship: m.relationship, person };
  });
  return answers;
}

export interface FieldAt {
  field: FormField;
  /** The full path in the answers: 'attributes.rooms', 'members[2].person.sex'. */
  path: string;
}

/** Every question of the form over these answers (a repeat section once per member). */
export function fieldsOver(definition: FormDefinition, answers: Answers): FieldAt[] {
  const out: FieldAt[] = [];
  for (const section of definition.ui.sections) {
    const members: unknown[] = Array.isArray(answers.members) ? answers.members : [];
    const prefixes = section.repeat === 'members' ? members.map((_, i) => `members[${i}].`) : [''];
    for (const prefix of prefixes) for (const field of section.fields) if (field.type !== 'note') out.push({ field, path: prefix + field.path });
  }
  return out;
}

/** Reads an answer by full path (members[i].x.y). */
export function answerAt(answers: Answers, path: string): unknown {
  const m = /^members\[(\d+)\]\.(.+)$/.exec(path);
  if (!m) return readPath(answers, path);
  return readPath((answers.members ?? [])[Number(m[1])], m[2]);
}

/** Writes an answer by full path. */
export function withAnswer(answers: Answers, path: string, value: unknown): Answers {
  const m = /^members\[(\d+)\]\.(.+)$/.exec(path);
  if (!m) return writePath(answers, path, value);
  const members = [...(answers.members ?? [])];
  members[Number(m[1])] = writePath(members[Number(m[1])] ?? {}, m[2], value);
  return { ...answers, members };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * What an edit of `base` changed, field by field of the form: a cleared answer is null (removed on the hub);
 * members beyond the household's own are new (add_members). Undefined when nothing changed.
 */
export function changesOf(definition: FormDefinition, base: StoredHousehold, edited: Answers): UpdateChanges | undefined {
  const before = answersOf(base);
  const changes: UpdateChanges = {};
  const household: Record<string, any> = {};
  const persons = new Map<number, Record<string, any>>();
  for (const { field, path } of fieldsOver(definition, edited)) {
    const m = /^members\[(\d+)\]\.person\.(.+)$/.exec(path);
    if (/^members\[/.test(path) && !m) continue; // relationship, start_date: not changeable through sync
    const was = answerAt(before, path);
    const now = answerAt(edited, path);
    if (m && Number(m[1]) >= base.members.length) continue; // a new member goes whole, below
    if (same(was, now)) continue;
    const key = m ? m[2] : path;
    const target = m ? persons.get(Number(m[1])) ?? persons.set(Number(m[1]), {}).get(Number(m[1]))! : household;
    if (key.startsWith('attributes.')) target.attributes = { ...(target.attributes ?? {}), [key.slice(11)]: now ?? null };
    else target[key] = now ?? null;
    void field;
  }
  if (Object.keys(household).length) changes.household = household;
  if (persons.size) {
    changes.persons = [...persons].map(([i, patch]) => ({ person_id: base.members[i].person_id, base_version: base.members[i].person.version, changes: patch }));
  }
  const added = (edited.members ?? []).slice(base.members.length);
  if (added.length) changes.add_members = added;
  return Object.keys(changes).length ? changes : undefined;
}

/** Who and where, for lists: the head's name (or the first member's), the area. */
export function summaryOf(answers: Answers, household?: StoredHousehold): string {
  const members: Answers[] = answers.members ?? [];
  const head = members.find((m) => m.relationship === 'SELF') ?? members[0];
  const name = [head?.person?.given_name, head?.person?.family_name].filter(Boolean).join(' ');
  return [name || household?.id.slice(0, 8) || '?', answers.area_code].filter(Boolean).join(' · ');
}

/** The answers an item carries (a new household; an update's edited record is not kept, its base is). */
export function answersOfItem(item: PushItem): Answers | undefined {
  return item.kind === 'new' ? (item.household as Answers) : undefined;
}

/** An error's path on the hub (body.items[3].household.members[0].sex) as a path in the answers (members[0].sex). */
export function answerPathOf(field: string, item: PushItem, base?: StoredHousehold): string {
  const rest = field.replace(/^body\.items\[\d+\]\.?/, '');
  let m: RegExpExecArray | null;
  if (rest.startsWith('household.')) return rest.slice('household.'.length);
  if (rest === 'household') return '';
  if (rest.startsWith('changes.household.')) return rest.slice('changes.household.'.length);
  if ((m = /^changes\.persons\[(\d+)\](?:\.changes\.?(.*))?$/.exec(rest))) {
    const personId = item.changes?.persons?.[Number(m[1])]?.person_id;
    const index = base?.members.findIndex((x) => x.person_id === personId) ?? -1;
    return index >= 0 ? `members[${index}].person${m[2] ? `.${m[2]}` : ''}` : rest;
  }
  if ((m = /^changes\.add_members\[(\d+)\]\.?(.*)$/.exec(rest))) {
    const index = (base?.members.length ?? 0) + Number(m[1]);
    return `members[${index}]${m[2] ? `.${m[2]}` : ''}`;
  }
  return rest;
}

/** A readable name for an answer path: the question's label, with the member's number. */
export function labelOf(definition: FormDefinition | undefined, path: string, language: string, memberLabel: (n: number) => string): string {
  if (!definition || !path) return path;
  const clean = path.replace(/\[\d+\]$/, '');
  const m = /^members\[(\d+)\]\.?(.*)$/.exec(clean);
  const inner = m ? m[2] : clean;
  for (const section of definition.ui.sections) {
    if (!!m !== (section.repeat === 'members')) continue;
    const field = section.fields.find((f) => f.path === inner);
    if (field) return m ? `${memberLabel(Number(m[1]) + 1)}: ${text(field.label, language)}` : text(field.label, language) ?? path;
    if (m && inner === '') return memberLabel(Number(m[1]) + 1);
  }
  if (clean === 'members') return text(definition.ui.sections.find((s) => s.repeat === 'members')?.title, language) ?? path;
  return path;
}
