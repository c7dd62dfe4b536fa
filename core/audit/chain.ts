// The hash chain. Each entry's hash is sha256 over a fixed serialisation of its fields, its id and the previous
// entry's hash, so changing, removing or reordering an entry breaks every link after it (X-Road's message log
// does the same). The hash is computed from values the hub controls and reads back exactly: the time as UTC text
// with microseconds, ids as numbers, details as JSON with sorted keys.
import { createHash } from 'node:crypto';
import type { Db } from '../db/index.js';
import type { AuditEntry } from './entry.js';
import { auditStore } from './store.js';

/** The prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);
// names the serialisation below: a change to it is a new format, never an edit of this one
const FORMAT = 'srhub-audit-1';

/** An entry as stored (and shown by GET /api/v1/audit). */
export interface AuditRecord {
  id: number;
  /** UTC with microseconds: 2024-05-01T09:30:00.123000Z (what the database gives back, to the digit). */
  at: string;
  actor: string;
  actor_kind: string;
  ip: string | null;
  request_id: string;
  action: string;
  entity: string;
  entity_id: string | null;
  subject_person_id: string | null;
  fields: string[] | null;
  purpose: string | null;
  outcome: string;
  details: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

export function entryHash(r: Omit<AuditRecord, 'hash'>): string {
  const content = JSON.stringify([
    FORMAT, r.id, r.at, r.actor, r.actor_kind, r.ip, r.request_id, r.action, r.entity, r.entity_id,
    r.subject_person_id, r.fields, r.purpose, r.outcome, r.details === null ? null : sortKeys(r.details), r.prev_hash,
  ]);
  return createHash('sha256').update(content).digest('hex');
}

/** Links entries after the head of the chain: ids follow on, each hash covers the previous one. */
export function chainEntries(head: { id: number; hash: string } | undefined, entries: readonly AuditEntry[]): AuditRecord[] {
  let id = head?.id ?? 0;
  let prev = head?.hash ?? GENESIS_HASH;
  return entries.map((e) => {
    const record: Omit<AuditRecord, 'hash'> = {
      id: ++id,
      at: auditTime(e.at),
      actor: clean(e.actor, 200),
      actor_kind: clean(e.actorKind, 32),
      ip: e.ip === null ? null : clean(e.ip, 64),
      request_id: clean(e.requestId, 64),
      action: e.action,
      entity: e.entity,
      entity_id: e.entityId === null ? null : clean(e.entityId, 200),
      // the database stores uuids in lower case; the hash must cover what it gives back
      subject_person_id: e.subjectPersonId?.toLowerCase() ?? null,
      fields: e.fields === null ? null : e.fields.map((f) => clean(f, 100)),
      purpose: e.purpose === null ? null : clean(e.purpose, 200),
      outcome: e.outcome,
      details: e.details === null ? null : (cleanJson(e.details) as Record<string, unknown>),
      prev_hash: prev,
    };
    prev = entryHash(record);
    return { ...record, hash: prev };
  });
}

/** 2024-05-01T09:30:00.123Z -> 2024-05-01T09:30:00.123000Z, the form the store reads back. */
export function auditTime(at: Date): string {
  return at.toISOString().replace(/Z$/, '000Z');
}

export type BreakReason = 'missing' | 'link_mismatch' | 'hash_mismatch';

export type Verification =
  | { valid: true; entries: number; head: { id: number; hash: string } | null }
  | { valid: false; entries_checked: number; first_broken: { id: number; reason: BreakReason; detail: string } };

/**
 * Walks the chain in id order, a page at a time, up to the entry that was last when it started, and names the first
 * entry that does not hold. Cutting entries off the end cannot be seen from inside; compare `head` with one noted
 * earlier for that.
 */
export async function verifyChain(db: Db, pageSize = 2000): Promise<Verification> {
  const last = await auditStore.lastId(db);
  let expected = 1;
  let prev = GENESIS_HASH;
  let checked = 0;
  const broken = (id: number, reason: BreakReason, detail: string): Verification => ({
    valid: false,
    entries_checked: checked,
    first_broken: { id, reason, detail },
  });
  while (expected <= last) {
    const page = await auditStore.page(db, expected - 1, last, pageSize);
    if (page.length === 0) return broken(expected, 'missing', `entries ${expected} to ${last} are missing`);
    for (const record of page) {
      if (record.id !== expected) {
        const gap = record.id - 1 === expected ? `entry ${expected} is missing` : `entries ${expected} to ${record.id - 1} are missing`;
        return broken(expected, 'missing', gap);
      }
      if (record.prev_hash !== prev) {
        return broken(record.id, 'link_mismatch', `entry ${record.id} does not follow entry ${record.id - 1}: one of them was changed or replaced`);
      }
      const { hash, ...content } = record;
      if (entryHash(content) !== hash) return broken(record.id, 'hash_mismatch', `entry ${record.id} was changed after it was written`);
      prev = hash;
      expected++;
      checked++;
    }
  }
  return { valid: true, entries: checked, head: checked ? { id: last, hash: prev } : null };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

// Text the database would refuse (NUL) or change (lone surrogates) would fail a whole group commit or break the
// hash; replace it. Lengths are capped so one odd caller cannot bloat the log.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// any NUL or surrogate at all: only then is the replacement above worth running (it costs a lookbehind per
// character, and every entry of a bulk registration passes a dozen strings through here)
const SUSPECT = /[\u0000\ud800-\udfff]/;

function clean(value: string, max: number): string {
  const text = value.length > max ? value.slice(0, max) : value;
  return SUSPECT.test(text) ? text.replace(UNSTORABLE, '\ufffd') : text;
}

function cleanJson(value: unknown): unknown {
  if (typeof value === 'string') return clean(value, 1000);
  if (Array.isArray(value)) return value.map(cleanJson);
  if (value === null || typeof value !== 'object') return typeof value === 'number' && !Number.isFinite(value) ? null : value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [clean(k, 100), cleanJson(v)]),
  );
}
