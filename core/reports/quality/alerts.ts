// Data-quality alerts: the thresholds checked per admin area (on a schedule, or when an administrator asks); a crossing
// opens an alert (one per threshold and area) and emits data_quality.alert on the outbox, for notification; an area
// back within its threshold resolves its alert. Listing is area-scoped like every report.
import type { Db } from '../../db/index.js';
import { uuidv7 } from '../../ids.js';
import type { Logger } from '../../log.js';
import { emitEvents } from '../../outbox/events.js';
import { areaVisible, scopeParam } from '../../registry/scope.js';
import type { Ctx } from '../../server/context.js';
import { completenessColumn, qualityMetrics } from './metrics.js';
import { listThresholds, type StoredThreshold } from './thresholds.js';

export const ALERT_TOPIC = 'data_quality.alert';

export interface Alert {
  id: string;
  metric: string;
  field: string | null;
  area_code: string;
  value: number;
  limit: number;
  raised_at: string;
  last_seen_at: string;
  resolved_at: string | null;
}

interface Reading { threshold: StoredThreshold; area_code: string; value: number }

/** The value of a threshold's metric in one area row, or null when there is nothing to measure. */
function valueOf(t: StoredThreshold, row: Record<string, unknown>): number | null {
  const n = (c: string) => Number(row[c] ?? 0);
  switch (t.metric) {
    case 'completeness':
      return row[completenessColumn(t.field!)] as number | null;
    case 'stale_records': {
      const records = n('households') + n('persons');
      return records ? (n('stale_households') + n('stale_persons')) / records : null;
    }
    case 'unverified_identities':
      return n('persons') ? n('unverified_persons') / n('persons') : null;
    default:
      return n(t.metric);
  }
}

const crosses = (t: StoredThreshold, value: number) => (t.metric === 'completeness' ? value < t.limit : value > t.limit);

/** Checks every threshold in every area at its level; returns what changed. */
export async function evaluateAlerts(db: Db): Promise<{ raised: number; resolved: number; open: number }> {
  const thresholds = await listThresholds(db);
  const readings: Reading[] = [];
  const groups = new Map<string, StoredThreshold[]>();
  for (const t of thresholds) groups.set(`${t.level}|${t.months ?? 12}`, [...(groups.get(`${t.level}|${t.months ?? 12}`) ?? []), t]);
  for (const [key, members] of groups) {
    const [level, months] = key.split('|').map(Number);
    const { table } = await qualityMetrics(db, { selection: { scope: null, level, under: null }, by: 'area', months });
    for (const row of table.rows) {
      for (const t of members) {
        const value = valueOf(t, row);
        if (value !== null && crosses(t, value)) readings.push({ threshold: t, area_code: String(row.area_code), value: Math.round(value * 10_000) / 10_000 });
      }
    }
  }
  return db.transaction(async (tx) => {
    const open = await tx.query<{ id: string; metric: string; field: string; area_code: string }>(
      'select id, metric, field, area_code from data_quality_alert where resolved_at is null for update',
    );
    const key = (metric: string, field: string, area: string) => `${metric}|${field}|${area}`;
    const crossing = new Map(readings.map((r) => [key(r.threshold.metric, r.threshold.field ?? '', r.area_code), r]));
    const stillOpen = open.filter((a) => crossing.has(key(a.metric, a.field, a.area_code)));
    const toResolve = open.filter((a) => !crossing.has(key(a.metric, a.field, a.area_code))).map((a) => a.id);
    if (toResolve.length) await tx.query('update data_quality_alert set resolved_at = now() where id = any($1::uuid[])', [toResolve]);
    for (const a of stillOpen) {
      const r = crossing.get(key(a.metric, a.field, a.area_code))!;
      await tx.query('update data_quality_alert set value = $2, limit_value = $3, last_seen_at = now() where id = $1', [a.id, r.value, r.threshold.limit]);
    }
    const openKeys = new Set(open.map((a) => key(a.metric, a.field, a.area_code)));
    const fresh = readings.filter((r) => !openKeys.has(key(r.threshold.metric, r.threshold.field ?? '', r.area_code)));
    const raised: { id: string; r: Reading }[] = [];
    for (const r of fresh) {
      // another instance may have raised it a moment ago: the partial unique index keeps one
      const [row] = await tx.query<{ id: string }>(
        `insert into data_quality_alert (id, metric, field, area_code, value, limit_value) values ($1, $2, $3, $4, $5, $6)
         on conflict (metric, field, area_code) where resolved_at is null do nothing returning id`,
        [uuidv7(), r.threshold.metric, r.threshold.field ?? '', r.area_code, r.value, r.threshold.limit],
      );
      if (row) raised.push({ id: row.id, r });
    }
    await emitEvents(tx, raised.map(({ id, r }) => ({
      topic: ALERT_TOPIC,
      aggregateType: 'data_quality_alert',
      aggregateId: id,
      payload: { alert_id: id, metric: r.threshold.metric, field: r.threshold.field, area_code: r.area_code, value: r.value, limit: r.threshold.limit },
    })));
    return { raised: raised.length, resolved: toResolve.length, open: stillOpen.length + raised.length };
  });
}

/** Alerts in the caller's areas, newest first. */
export async function listAlerts(ctx: Ctx, status: 'open' | 'resolved' | 'all', limit: number): Promise<Alert[]> {
  const rows = await ctx.db.query<{ id: string; metric: string; field: string; area_code: string; value: string | number; limit_value: string | number; raised_at: Date; last_seen_at: Date; resolved_at: Date | null }>(
    `select * from data_quality_alert a
     where ${areaVisible('a.area_code', 1)}
       and ($2 = 'all' or ($2 = 'open') = (a.resolved_at is null))
     order by a.raised_at desc, a.id desc limit $3`,
    [scopeParam(ctx.principal), status, limit],
  );
  const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
  return rows.map((r) => ({ id: r.id, metric: r.metric, field: r.field || null, area_code: r.area_code, value: Number(r.value), limit: Number(r.limit_value),
    raised_at: iso(r.raised_at)!, last_seen_at: iso(r.last_seen_at)!, resolved_at: iso(r.resolved_at) }));
}

/** The periodic evaluation (every SRHUB_REPORTS_QUALITY_CHECK_MINUTES; 0 turns it off). */
export function startQualityChecks(db: Db, minutes: number, log: Logger): { stop(): Promise<void> } {
  if (minutes <= 0) return { stop: async () => undefined };
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= evaluateAlerts(db)
      .then((r) => { if (r.raised || r.resolved) log.info(r, 'data-quality alerts evaluated'); })
      .catch((err) => log.warn({ err: (err as Error).message }, 'data-quality evaluation failed'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(run, minutes * 60_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
