// SQL for the audit log, with parameters, over the Db interface.
import type { Db } from '../db/index.js';
import type { AuditRecord } from './chain.js';

// Any constant works; it must be the same for every hub instance sharing the database (migrations use 7316402).
const CHAIN_LOCK_KEY = 7316404;

// the stored time as the hash covers it: UTC text with microseconds, whatever the session's time zone
const AT = `to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at`;
const COLUMNS = `id, ${AT}, actor, actor_kind, ip, request_id, action, entity, entity_id, subject_person_id, fields, purpose,
  outcome, details, prev_hash, hash`;

export interface AuditFilter {
  subjectPersonId?: string;
  actor?: string;
  entity?: string;
  entityId?: string;
  action?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

export interface AccessLogRow {
  at: string;
  actor: string;
  actor_kind: string;
  action: string;
  entity: string;
  entity_id: string | null;
  fields: string[] | null;
  purpose: string | null;
  outcome: string;
}

export const auditStore = {
  /**
   * Takes the chain lock until the transaction ends, then reads the last entry. Every append holds it through its
   * commit, so the next writer (in any hub instance) reads a head that includes it. Needs READ COMMITTED (the
   * default): the read after the lock must see the commits that happened while waiting.
   */
  async lockHead(tx: Db): Promise<{ id: number; hash: string } | undefined> {
    await tx.query('select pg_advisory_xact_lock($1)', [CHAIN_LOCK_KEY]);
    const [head] = await tx.query<{ id: number; hash: string }>('select id, hash from audit_log order by id desc limit 1');
    return head;
  },

  async insert(tx: Db, records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    // one JSON document per batch: far cheaper to bind than sixteen arrays, and ragged text[] fits in it
    await tx.query(
      `insert into audit_log (id, at, actor, actor_kind, ip, request_id, action, entity, entity_id, subject_person_id,
         fields, purpose, outcome, details, prev_hash, hash)
       select u.id, u.at, u.actor, u.actor_kind, u.ip, u.request_id, u.action, u.entity, u.entity_id, u.subject_person_id,
         case when u.fields is null or jsonb_typeof(u.fields) = 'null' then null
              else array(select jsonb_array_elements_text(u.fields)) end,
         u.purpose, u.outcome, case when jsonb_typeof(u.details) = 'null' then null else u.details end, u.prev_hash, u.hash
       from jsonb_to_recordset($1::jsonb) as u(id bigint, at timestamptz, actor text, actor_kind text, ip text,
         request_id text, action text, entity text, entity_id text, subject_person_id uuid, fields jsonb, purpose text,
         outcome text, details jsonb, prev_hash text, hash text)`,
      [JSON.stringify(records)],
    );
  },

  async lastId(db: Db): Promise<number> {
    const [row] = await db.query<{ id: number | null }>('select max(id) as id from audit_log');
    return row?.id ?? 0;
  },

  /** Entries after `afterId` up to `upToId`, in chain order. */
  async page(db: Db, afterId: number, upToId: number, limit: number): Promise<AuditRecord[]> {
    return db.query<AuditRecord>(
      `select ${COLUMNS} from audit_log where id > $1 and id <= $2 order by id limit $3`,
      [afterId, upToId, limit],
    );
  },

  /** Newest first; `beforeId` continues a previous page. */
  async list(db: Db, filter: AuditFilter, limit: number, beforeId?: number): Promise<AuditRecord[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.subjectPersonId) where.push(`subject_person_id = ${param(filter.subjectPersonId)}`);
    if (filter.actor) where.push(`actor = ${param(filter.actor)}`);
    if (filter.entity) where.push(`entity = ${param(filter.entity)}`);
    if (filter.entityId) where.push(`entity_id = ${param(filter.entityId)}`);
    if (filter.action) where.push(`action = ${param(filter.action)}`);
    if (filter.outcome) where.push(`outcome = ${param(filter.outcome)}`);
    if (filter.from) where.push(`at >= ${param(filter.from)}::timestamptz`);
    if (filter.to) where.push(`at < ${param(filter.to)}::timestamptz`);
    if (beforeId !== undefined) where.push(`id < ${param(beforeId)}`);
    return db.query<AuditRecord>(
      `select ${COLUMNS} from audit_log ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit ${param(limit)}`,
      params,
    );
  },

  /** Who read or changed a person's data, newest first. */
  async accessLog(db: Db, personId: string, limit: number, beforeId?: number): Promise<(AccessLogRow & { id: number })[]> {
    return db.query(
      `select id, ${AT}, actor, actor_kind, action, entity, entity_id, fields, purpose, outcome from audit_log
       where subject_person_id = $1 and ($2::bigint is null or id < $2) order by id desc limit $3`,
      [personId, beforeId ?? null, limit],
    );
  },
};
