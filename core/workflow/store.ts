// Registration cases in SQL: parameters always; the submitted data is sealed (it is personal data).
import type { Db } from '../db/index.js';
import type { Secrets } from '../keys/secrets.js';
import { areaVisible } from '../registry/scope.js';
import type { CheckResult } from './checks.js';
import type { CaseStatus, ChangeKind, ChangeStatus, Channel } from './types.js';

export type CaseKind = 'registration' | 'change';

export interface CaseRow {
  id: string;
  kind: CaseKind;
  status: CaseStatus | ChangeStatus;
  channel: Channel;
  area_code: string;
  household_id: string | null;
  person_id: string | null;
  change_kind: ChangeKind | null;
  base_version: number | null;
  form_id: string | null;
  form_version: number | null;
  client_ref: string | null;
  device_id: string | null;
  captured_at: Date | string | null;
  source: string | null;
  data_sealed: string;
  by_proxy: boolean;
  assisted: boolean;
  reasons: string[];
  checks: CheckResult[];
  assigned_to: string | null;
  submitted_by: string;
  submitted_by_kind: string;
  decided_by: string | null;
  decided_at: Date | string | null;
  lease_until: Date | string | null;
  attempts: number;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

export type NewCase = Pick<
  CaseRow,
  | 'id' | 'kind' | 'status' | 'channel' | 'area_code' | 'household_id' | 'person_id' | 'change_kind' | 'base_version'
  | 'form_id' | 'form_version' | 'client_ref' | 'device_id' | 'source' | 'by_proxy' | 'assisted' | 'reasons'
  | 'submitted_by' | 'submitted_by_kind'
> & { captured_at: string | null; data: unknown };

export interface CaseEventRow {
  id: number;
  case_id: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  actor: string;
  reasons: string[];
  comment_sealed: string | null;
  at: Date | string;
}

export interface CaseFilter {
  kind?: CaseKind;
  status?: string[];
  reason?: string;
  area_code?: string;
  assigned_to?: string;
  household_id?: string;
  submitted_by?: string;
  /** Cases after this id (the cursor), oldest first. */
  after?: string;
  limit: number;
}

const sealedAs = (id: string) => `registration_case:${id}`;

export function sealCaseData(secrets: Secrets, id: string, data: unknown): string {
  return secrets.seal(JSON.stringify(data), sealedAs(id));
}

export function openCaseData<T>(secrets: Secrets, row: Pick<CaseRow, 'id' | 'data_sealed'>): T {
  return JSON.parse(secrets.open(row.data_sealed, sealedAs(row.id))) as T;
}

export const caseStore = {
  /** Inserts the case unless its client_ref is known; answers whether it was inserted. */
  async insert(tx: Db, secrets: Secrets, c: NewCase): Promise<boolean> {
    const rows = await tx.query(
      `insert into registration_case (id, kind, status, channel, area_code, household_id, person_id, change_kind, base_version,
         form_id, form_version, client_ref, device_id, captured_at, source, data_sealed, by_proxy, assisted, reasons,
         submitted_by, submitted_by_kind)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
       on conflict (kind, client_ref) where client_ref is not null do nothing
       returning id`,
      [
        c.id, c.kind, c.status, c.channel, c.area_code, c.household_id, c.person_id, c.change_kind, c.base_version,
        c.form_id, c.form_version, c.client_ref, c.device_id, c.captured_at, c.source, sealCaseData(secrets, c.id, c.data),
        c.by_proxy, c.assisted, c.reasons, c.submitted_by, c.submitted_by_kind,
      ],
    );
    return rows.length === 1;
  },

  /**
   * Several new cases in one statement (a batch submission); answers the ids inserted. A case whose client_ref is
   * known is left out (the caller answers the earlier case).
   */
  async insertMany(tx: Db, secrets: Secrets, cases: readonly NewCase[]): Promise<Set<string>> {
    if (cases.length === 0) return new Set();
    const rows = cases.map(({ data, ...c }) => ({ ...c, data_sealed: sealCaseData(secrets, c.id, data) }));
    const inserted = await tx.query<{ id: string }>(
      `insert into registration_case (id, kind, status, channel, area_code, household_id, person_id, change_kind, base_version,
         form_id, form_version, client_ref, device_id, captured_at, source, data_sealed, by_proxy, assisted, reasons,
         submitted_by, submitted_by_kind)
       select id, kind, status, channel, area_code, household_id, person_id, change_kind, base_version, form_id, form_version,
         client_ref, device_id, captured_at, source, data_sealed, by_proxy, assisted, reasons, submitted_by, submitted_by_kind
       from jsonb_to_recordset($1::jsonb) as t(id uuid, kind text, status text, channel text, area_code text, household_id uuid,
         person_id uuid, change_kind text, base_version integer, form_id text, form_version integer, client_ref text, device_id text,
         captured_at timestamptz, source text, data_sealed text, by_proxy boolean, assisted boolean, reasons text[],
         submitted_by text, submitted_by_kind text)
       on conflict (kind, client_ref) where client_ref is not null do nothing
       returning id`,
      [JSON.stringify(rows)],
    );
    return new Set(inserted.map((r) => r.id));
  },

  async byClientRef(db: Db, kind: CaseKind, clientRef: string): Promise<CaseRow | undefined> {
    const [row] = await db.query<CaseRow>('select * from registration_case where kind = $1 and client_ref = $2', [kind, clientRef]);
    return row;
  },

  /** A case visible through the area scope (null: every area); `lock` holds it for a change. */
  async byId(db: Db, id: string, scope: string[] | null, lock = false): Promise<CaseRow | undefined> {
    const [row] = await db.query<CaseRow>(
      `select * from registration_case c where id = $1 and ${areaVisible('c.area_code', 2)} ${lock ? 'for update' : ''}`,
      [id, scope],
    );
    return row;
  },

  async list(db: Db, scope: string[] | null, f: CaseFilter): Promise<CaseRow[]> {
    const where = [areaVisible('c.area_code', 1)];
    const params: unknown[] = [scope];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (f.kind) add((n) => `c.kind = $${n}`, f.kind);
    if (f.status?.length) add((n) => `c.status = any($${n}::text[])`, f.status);
    if (f.reason) add((n) => `$${n} = any(c.reasons)`, f.reason);
    if (f.assigned_to) add((n) => `c.assigned_to = $${n}`, f.assigned_to);
    if (f.household_id) add((n) => `c.household_id = $${n}`, f.household_id);
    if (f.submitted_by) add((n) => `c.submitted_by = $${n}`, f.submitted_by);
    if (f.area_code) {
      add((n) => `exists (select 1 from admin_area a join admin_area p on starts_with(a.path, p.path) where a.code = c.area_code and p.code = $${n})`, f.area_code);
    }
    if (f.after) add((n) => `c.id > $${n}`, f.after);
    params.push(f.limit);
    return db.query<CaseRow>(`select * from registration_case c where ${where.join(' and ')} order by c.id limit $${params.length}`, params);
  },

  /** Writes a case's new state; `expectAttempt` guards a runner's write against a newer claim of the same case. */
  async update(
    tx: Db,
    id: string,
    fields: Partial<Pick<CaseRow, 'status' | 'area_code' | 'household_id' | 'reasons' | 'checks' | 'assigned_to' | 'decided_by' | 'base_version'>> & {
      data_sealed?: string;
      decided_at?: 'now';
      release?: boolean;
    },
  ): Promise<CaseRow> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [column, value] of Object.entries(fields)) {
      if (value === undefined || column === 'release' || column === 'decided_at') continue;
      params.push(column === 'checks' ? JSON.stringify(value) : value);
      sets.push(`${column} = $${params.length}`);
    }
    if (fields.decided_at) sets.push('decided_at = now()');
    if (fields.release) sets.push('lease_until = null');
    const [row] = await tx.query<CaseRow>(
      `update registration_case set ${sets.join(', ')}${sets.length ? ', ' : ''}version = version + 1, updated_at = now() where id = $1 returning *`,
      params,
    );
    return row;
  },

  /**
   * Claims the oldest case waiting for the runner (a registration to check, an approved change to apply) whose
   * claim is free or ran out: the lease keeps a second runner off it; a crashed runner's lease runs out.
   */
  async claim(db: Db, leaseMs: number): Promise<CaseRow | undefined> {
    const [row] = await db.query<CaseRow>(
      `update registration_case set lease_until = now() + make_interval(secs => $1::double precision / 1000), attempts = attempts + 1
       where id = (select id from registration_case
                   where ((kind = 'registration' and status = 'submitted') or (kind = 'change' and status = 'approved'))
                     and (lease_until is null or lease_until < now())
                   order by id limit 1 for update skip locked)
       returning *`,
      [leaseMs],
    );
    return row;
  },

  async pending(db: Db): Promise<number> {
    const [row] = await db.query<{ n: number }>(
      `select count(*)::int as n from registration_case
       where (kind = 'registration' and status = 'submitted') or (kind = 'change' and status = 'approved')`,
    );
    return row.n;
  },

  async addEvent(
    tx: Db,
    secrets: Secrets,
    e: { caseId: string; action: string; from?: string | null; to?: string | null; actor: string; reasons?: string[]; comment?: string },
  ): Promise<void> {
    await tx.query(
      `insert into registration_case_event (case_id, action, from_status, to_status, actor, reasons, comment_sealed)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [
        e.caseId, e.action, e.from ?? null, e.to ?? null, e.actor, e.reasons ?? [],
        e.comment === undefined ? null : secrets.seal(e.comment, `registration_case_comment:${e.caseId}`),
      ],
    );
  },

  /** The first events of several cases, in one statement (no comments: a submission has none). */
  async addSubmitEvents(tx: Db, caseIds: readonly string[], actor: string): Promise<void> {
    if (caseIds.length === 0) return;
    await tx.query(
      `insert into registration_case_event (case_id, action, from_status, to_status, actor, reasons)
       select id, 'submit', null, 'submitted', $2, '{}' from unnest($1::uuid[]) with ordinality as t(id, n) order by n`,
      [caseIds, actor],
    );
  },

  async events(db: Db, secrets: Secrets, caseId: string): Promise<(Omit<CaseEventRow, 'comment_sealed'> & { comment: string | null })[]> {
    const rows = await db.query<CaseEventRow>('select * from registration_case_event where case_id = $1 order by id', [caseId]);
    return rows.map(({ comment_sealed, ...e }) => ({
      ...e,
      comment: comment_sealed === null ? null : secrets.open(comment_sealed, `registration_case_comment:${caseId}`),
    }));
  },
};
