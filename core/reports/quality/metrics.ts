// Data-quality metrics, set-based: completeness per field, records not updated for N months, unverified identities,
// open duplicate pairs (core/dedup), open sync conflicts (core/sync), validation failures recorded by registration
// cases (core/workflow), grouped by admin area, by field worker (who created the record) or by form.
import type { Db } from '../../db/index.js';
import { areaColumns, inPlan, planAreas, selectionParams, targetCtes, type AreaSelection } from '../areas.js';
import { existingTables } from '../optional-tables.js';
import type { ReportRow, ReportTable } from '../table.js';
import { LATEST_VERIFICATION } from '../verification.js';
import { fieldColumn, OWN_IDENTIFIER_JOIN, QUALITY_FIELDS } from './fields.js';

export type QualityGrouping = 'area' | 'field_worker' | 'form';

const COUNT_COLUMNS = ['households', 'persons', 'stale_households', 'stale_persons', 'unverified_persons', 'open_duplicates',
  'sync_conflicts', 'validation_failures'];
export const completenessColumn = (field: string) => `complete.${field}`;

// registration cases whose data failed validation: the form check failed, or registering it hit the registry's rules
const VALIDATION_FAILED = `(rc.checks @> '[{"check": "form-validation", "outcome": "failed"}]'::jsonb
  or rc.checks @> '[{"check": "registration", "outcome": "needs_review"}]'::jsonb)`;
const HOUSEHOLD_FORM = `(select rf.form_id || '@' || rf.form_version from registration_case rf
  where rf.household_id = h.id and rf.kind = 'registration' and rf.form_id is not null order by rf.created_at limit 1)`;

interface Keys { household: string; person: string; caseRow: string; conflict: string }

function keysFor(by: QualityGrouping, hasCases: boolean): Keys {
  if (by === 'area') return { household: 'h.area_code', person: 'h.area_code', caseRow: 'rc.area_code', conflict: 'h.area_code' };
  if (by === 'field_worker') return { household: 'h.created_by', person: 'p.created_by', caseRow: 'rc.submitted_by', conflict: 'ss.principal_id' };
  const form = hasCases ? `coalesce(${HOUSEHOLD_FORM}, '(none)')` : `'(none)'`;
  return { household: form, person: form, caseRow: `coalesce(rc.form_id || '@' || rc.form_version, '(none)')`,
    conflict: `coalesce(ss.form_id || '@' || ss.form_version, '(none)')` };
}

export interface QualityOptions {
  selection: AreaSelection;
  by: QualityGrouping;
  months: number;
}

/** One row per group with counts and completeness ratios; `sources` says which optional tables were there. */
export async function qualityMetrics(db: Db, options: QualityOptions): Promise<{ table: Omit<ReportTable, 'report' | 'min_cell'>; sources: Record<string, boolean> }> {
  const { selection, by, months } = options;
  const tables = await existingTables(db, ['person_verification', 'duplicate_pair', 'sync_conflict', 'registration_case']);
  const has = (t: string) => tables.has(t);
  const keys = keysFor(by, has('registration_case'));
  const plan = await planAreas(db, selection);
  const params = [plan.codes, months];
  const stale = `< now() - make_interval(months => $2::int)`;
  const fieldCounts = (on: 'person' | 'household') =>
    QUALITY_FIELDS.filter((f) => f.on === on).map((f) => `count(*) filter (where ${f.filled})::int8 as ${fieldColumn(f.name)}`).join(', ');
  const latest = has('person_verification') ? LATEST_VERIFICATION : 'select null::uuid as person_id, null::text as result where false';

  const queries: Promise<Record<string, unknown>[]>[] = [
    db.query(
      `select ${keys.household} as key, count(*)::int8 as households,
              count(*) filter (where h.updated_at ${stale})::int8 as stale_households, ${fieldCounts('household')}
       from household h
       where h.deregistered_at is null and ${inPlan('h.area_code', 1)} group by 1`,
      params,
    ),
    db.query(
      `with latest as (${latest})
       select ${keys.person} as key, count(*)::int8 as persons,
              count(*) filter (where p.updated_at ${stale})::int8 as stale_persons,
              count(*) filter (where l.result is distinct from 'match')::int8 as unverified_persons, ${fieldCounts('person')}
       from household h
       join membership ms on ms.household_id = h.id and ms.end_date is null
       join person p on p.id = ms.person_id
       left join latest l on l.person_id = p.id
       ${OWN_IDENTIFIER_JOIN}
       where h.deregistered_at is null and p.death_date is null and ${inPlan('h.area_code', 1)} group by 1`,
      params,
    ),
  ];
  if (has('duplicate_pair')) {
    // a pair counts where its first person lives (and with who registered that person)
    queries.push(db.query(
      `select ${keys.person} as key, count(*)::int8 as open_duplicates
       from duplicate_pair d join person p on p.id = d.person_a
       join membership ms on ms.person_id = p.id and ms.end_date is null
       join household h on h.id = ms.household_id
       where d.status = 'open' and ${inPlan('h.area_code', 1)} and $2::int is not null group by 1`,
      params,
    ));
  }
  if (has('sync_conflict')) {
    queries.push(db.query(
      `select ${keys.conflict} as key, count(*)::int8 as sync_conflicts
       from sync_conflict sc join sync_submission ss on ss.client_id = sc.client_id
       join household h on h.id = sc.household_id
       where sc.status = 'open' and ${inPlan('h.area_code', 1)} and $2::int is not null group by 1`,
      params,
    ));
  }
  if (has('registration_case')) {
    queries.push(db.query(
      `select ${keys.caseRow} as key, count(*)::int8 as validation_failures
       from registration_case rc
       where ${VALIDATION_FAILED} and ${inPlan('rc.area_code', 1)} and $2::int is not null group by 1`,
      params,
    ));
  }
  const results = await Promise.all(queries);

  // by area: rows grouped by area code roll up to the report's rows; otherwise the keys are the groups
  const byKey = new Map<string, Record<string, unknown>>();
  for (const rows of results) {
    for (const r of rows) {
      const key = by === 'area' ? plan.rowOf.get(String(r.key)) : String(r.key);
      if (key === undefined) continue;
      const sums = byKey.get(key) ?? {};
      for (const [c, v] of Object.entries(r)) if (c !== 'key') sums[c] = Number(sums[c] ?? 0) + Number(v ?? 0);
      byKey.set(key, sums);
    }
  }
  const base: { key: string; [column: string]: unknown }[] = by === 'area'
    ? plan.targets.map((t) => ({ key: t.row_key, ...areaColumns(t) }))
    : [...byKey.keys()].sort().map((key) => ({ key, [by]: key }));
  const rows = base.map(({ key, ...head }) => buildRow(head, byKey.get(key) ?? {}));
  const sums: Record<string, unknown> = {};
  for (const c of [...COUNT_COLUMNS, ...QUALITY_FIELDS.map((f) => fieldColumn(f.name))]) {
    sums[c] = base.reduce((acc, { key }) => acc + Number(byKey.get(key)?.[c] ?? 0), 0);
  }
  const headColumns = by === 'area' ? ['area_code', 'area_name', 'area_level', 'rows_cover'] : [by];
  return {
    table: {
      generated_at: new Date().toISOString(),
      parameters: { by, months, level: selection.level, area_code: selection.under },
      columns: [...headColumns, ...COUNT_COLUMNS, ...QUALITY_FIELDS.map((f) => completenessColumn(f.name))],
      rows,
      totals: buildRow({}, sums),
      notes: [
        'households and persons: as in coverage (active households, their living current members); completeness is the share of them with the field filled.',
        `stale_*: not updated for ${months} months. unverified_persons: no verification, or the latest did not match.`,
        'open_duplicates: open pairs of the deduplication queue, counted where the first person lives; sync_conflicts: open conflicts of offline sync; validation_failures: registration cases whose data failed validation.',
        by === 'field_worker' ? 'field_worker: who created the record (households, persons), submitted the case or pushed the sync item.' : '',
      ].filter(Boolean),
    },
    sources: { verification: has('person_verification'), duplicates: has('duplicate_pair'), sync_conflicts: has('sync_conflict'), validation_failures: has('registration_case') },
  };
}

function buildRow(head: Record<string, unknown>, counts: Record<string, unknown>): ReportRow {
  const row: Record<string, unknown> = { ...head, suppressed: [] };
  for (const c of COUNT_COLUMNS) row[c] = Number(counts[c] ?? 0);
  for (const f of QUALITY_FIELDS) {
    const total = Number(f.on === 'person' ? row.persons : row.households);
    row[completenessColumn(f.name)] = total > 0 ? Math.round((Number(counts[fieldColumn(f.name)] ?? 0) / total) * 10_000) / 10_000 : null;
  }
  return row as ReportRow;
}

/** Validation failures by the field that failed (the form check's errors), for the caller's areas: most frequent first. */
export async function failuresByField(db: Db, selection: AreaSelection, limit = 50): Promise<{ field: string; failures: number }[]> {
  if (!(await existingTables(db, ['registration_case'])).has('registration_case')) return [];
  return db.query<{ field: string; failures: number }>(
    `with ${targetCtes()}
     select e->>'field' as field, count(*)::int8 as failures
     from registration_case rc join area_map am on am.area_code = rc.area_code,
          jsonb_array_elements(rc.checks) c, jsonb_array_elements(coalesce(c->'details'->'errors', '[]'::jsonb)) e
     where ${VALIDATION_FAILED} and c->>'outcome' in ('failed', 'needs_review') and e->>'field' is not null
     group by 1 order by 2 desc, 1 limit $4`,
    [...selectionParams(selection), limit],
  );
}
