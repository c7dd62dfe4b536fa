// SQL for the audit log, with parameters, over the Db interface.
import { insertRows } from '../db/insert-rows.js';
import type { Db } from '../db/index.js';
import type { AuditRecord } from './chain.js';

// Any constant works; it must be the same for every hub instance sharing the database (migrations use 7316402).
// also the outbox's writer lock (core/outbox/events.ts): one lock, so no two writers can take them in opposite orders
export const CHAIN_LOCK_KEY = 7316404;

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

const AUDIT_COLUMNS = [
  { name: 'id', type: 'bigint' },
  { name: 'at', type: 'timestamptz' },
  { name: 'actor', type: 'text' },
  { name: 'actor_kind', type: 'text' },
  { name: 'ip', type: 'text' },
  { name: 'request_id', type: 'text' },
  { name: 'action', type: 'text' },
  { name: 'entity', type: 'text' },
  { name: 'entity_id', type: 'text' },
  { name: 'subject_person_id', type: 'uuid' },
  { name: 'fields', type: 'text[]' },
  { name: 'purpose', type: 'text' },
  { name: 'outcome', type: 'text' },
  { name: 'details', type: 'jsonb' },
  { name: 'prev_hash', type: 'text' },
  { name: 'hash', type: 'text' },
];

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
    await insertRows(tx, 'audit_log', AUDIT_COLUMNS, records);
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
