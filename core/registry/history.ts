// Record history: one row per version of a person or household, with each changed field's old and new value.
import type { Db } from '../db/index.js';
import { insertRows } from '../db/insert-rows.js';

export type Changes = Record<string, { from: unknown; to: unknown }>;

export interface HistoryEntry {
  entity: 'person' | 'household';
  entityId: string;
  version: number;
  changedBy: string;
  channel: string;
  changes: Changes;
}

export interface HistoryItem {
  version: number;
  changed_at: string;
  changed_by: string;
  channel: string;
  changes: Changes;
}

/** The fields whose values differ between before and after (deep comparison through JSON). */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Changes {
  const changes: Changes = {};
  for (const key of Object.keys(after)) {
    const from = before[key] ?? null;
    const to = after[key] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[key] = { from, to };
  }
  return changes;
}

const isBlank = (v: unknown) =>
  v === null || v === undefined || v === false || (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && Object.keys(v as object).length === 0);

/**
 * What a new record's first version sets (blank values left out): diff({}, values) without its comparisons, since
 * every value left differs from nothing (bulk registration writes one of these per person and household).
 */
export function creation(values: Record<string, unknown>): Changes {
  const changes: Changes = {};
  for (const [key, value] of Object.entries(values)) if (!isBlank(value)) changes[key] = { from: null, to: value };
  return changes;
}

const HISTORY_COLUMNS = [
  { name: 'entity', type: 'text' },
  { name: 'entity_id', type: 'uuid' },
  { name: 'version', type: 'int' },
  { name: 'changed_by', type: 'text' },
  { name: 'channel', type: 'text' },
  { name: 'changes', type: 'jsonb' },
];

export const historyStore = {
  async insert(db: Db, entries: HistoryEntry[]): Promise<void> {
    await insertRows(
      db,
      'record_history',
      HISTORY_COLUMNS,
      entries.map((e) => ({ entity: e.entity, entity_id: e.entityId, version: e.version, changed_by: e.changedBy, channel: e.channel, changes: e.changes })),
    );
  },

  async of(db: Db, entity: 'person' | 'household', entityId: string): Promise<HistoryItem[]> {
    const rows = await db.query<{ version: number; changed_at: Date; changed_by: string; channel: string; changes: Changes }>(
      `select version, changed_at, changed_by, channel, changes from record_history
       where entity = $1 and entity_id = $2 order by version desc`,
      [entity, entityId],
    );
    return rows.map((r) => ({ ...r, changed_at: r.changed_at.toISOString() }));
  },
};
