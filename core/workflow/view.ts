// Cases at the API: the case without its data (lists, queues) and with it (one case, for staff).
import type { CaseRow } from './store.js';

const iso = (v: Date | string | null) => (v === null ? null : v instanceof Date ? v.toISOString() : new Date(v).toISOString());

export function toCaseView(row: CaseRow) {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    channel: row.channel,
    area_code: row.area_code,
    household_id: row.household_id,
    person_id: row.person_id,
    change_kind: row.change_kind,
    base_version: row.base_version,
    form: row.form_id === null ? null : { id: row.form_id, version: row.form_version },
    client_ref: row.client_ref,
    device_id: row.device_id,
    captured_at: iso(row.captured_at),
    source: row.source,
    by_proxy: row.by_proxy,
    assisted: row.assisted,
    reasons: row.reasons,
    checks: row.checks,
    assigned_to: row.assigned_to,
    submitted_by: row.submitted_by,
    decided_by: row.decided_by,
    decided_at: iso(row.decided_at),
    version: row.version,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

export type CaseView = ReturnType<typeof toCaseView>;
