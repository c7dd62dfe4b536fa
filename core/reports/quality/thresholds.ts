// Data-quality thresholds, set by an administrator as one list (PUT replaces it): which metric, for completeness which
// field, the limit, for stale records how many months, and the area level it is checked at.
import { auditEntries } from '../../audit/entry.js';
import type { Db } from '../../db/index.js';
import { insertRows } from '../../db/insert-rows.js';
import type { Ctx } from '../../server/context.js';
import { unprocessable, type FieldError } from '../../server/errors.js';
import { QUALITY_FIELD_NAMES } from './fields.js';

export const METRICS = ['completeness', 'stale_records', 'unverified_identities', 'validation_failures', 'open_duplicates', 'sync_conflicts'] as const;
export type Metric = (typeof METRICS)[number];
/** Metrics whose limit is a share (0..1); the others are counts. */
export const SHARE_METRICS: readonly Metric[] = ['completeness', 'stale_records', 'unverified_identities'];

export interface Threshold {
  metric: Metric;
  field?: string | null;
  limit: number;
  months?: number | null;
  level?: number;
}

export interface StoredThreshold {
  metric: Metric;
  field: string | null;
  limit: number;
  months: number | null;
  level: number;
  updated_by: string;
  updated_at: string;
}

export async function listThresholds(db: Db): Promise<StoredThreshold[]> {
  const rows = await db.query<{ metric: Metric; field: string; limit_value: string | number; months: number | null; level: number; updated_by: string; updated_at: Date }>(
    'select metric, field, limit_value, months, level, updated_by, updated_at from data_quality_threshold order by metric, field',
  );
  return rows.map((r) => ({ metric: r.metric, field: r.field || null, limit: Number(r.limit_value), months: r.months, level: r.level,
    updated_by: r.updated_by, updated_at: new Date(r.updated_at).toISOString() }));
}

/** Replaces every threshold with the list given (an empty list removes them all); bad items change nothing. */
export async function replaceThresholds(ctx: Ctx, items: Threshold[]): Promise<StoredThreshold[]> {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  items.forEach((t, i) => {
    const at = `body.thresholds[${i}]`;
    const field = t.field ?? '';
    if (t.metric === 'completeness') {
      if (!QUALITY_FIELD_NAMES.includes(field)) errors.push({ field: `${at}.field`, message: `must be one of ${QUALITY_FIELD_NAMES.join(', ')}` });
    } else if (field) errors.push({ field: `${at}.field`, message: 'is only for completeness' });
    if (t.metric === 'stale_records' && !t.months) errors.push({ field: `${at}.months`, message: 'is required for stale_records' });
    if (t.metric !== 'stale_records' && t.months) errors.push({ field: `${at}.months`, message: 'is only for stale_records' });
    if (SHARE_METRICS.includes(t.metric) && t.limit > 1) errors.push({ field: `${at}.limit`, message: 'is a share: from 0 to 1' });
    const key = `${t.metric}|${field}`;
    if (seen.has(key)) errors.push({ field: at, message: `${t.metric}${field ? ` of ${field}` : ''} is given twice` });
    seen.add(key);
  });
  if (errors.length) throw unprocessable('threshold.invalid', errors, 'Some thresholds are not valid; nothing was changed.');
  await ctx.db.transaction(async (tx) => {
    await tx.query('delete from data_quality_threshold');
    await insertRows(
      tx,
      'data_quality_threshold',
      [
        { name: 'metric', type: 'text' },
        { name: 'field', type: 'text' },
        { name: 'limit_value', type: 'numeric' },
        { name: 'months', type: 'int4' },
        { name: 'level', type: 'int4' },
        { name: 'updated_by', type: 'text' },
      ],
      items.map((t) => ({ metric: t.metric, field: t.field ?? '', limit_value: t.limit, months: t.months ?? null, level: t.level ?? 0, updated_by: ctx.principal.id })),
    );
    // thresholds no longer set cannot keep alerts open
    await tx.query(
      `update data_quality_alert a set resolved_at = now() where resolved_at is null
       and not exists (select 1 from data_quality_threshold t where t.metric = a.metric and t.field = a.field)`,
    );
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity: 'data_quality_threshold', details: { thresholds: items.length } }]));
  });
  return listThresholds(ctx.db);
}
