// SQL for the connector tables (migration 012): runs, dead letters, checkpoints. Sealing happens here so no caller
// can write a run's input or a dead-lettered item in the clear.
import type { Db } from '../../core/db/index.js';
import { uuidv7 } from '../../core/ids.js';
import type { Secrets } from '../../core/keys/secrets.js';
import type { RunRecord, RunStatus, RunTrigger } from './types.js';

export interface RunRow {
  id: string;
  connector_id: string;
  job: string;
  trigger: RunTrigger;
  status: RunStatus;
  rerun_of: string | null;
  input_sealed: string | null;
  requested_by: string;
  queued_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  attempts: number;
  counts: Record<string, number>;
  error: string | null;
  result_sealed: string | null;
  log: { at: string; message: string; fields?: Record<string, unknown> }[];
  dead_letters?: number;
}

export interface LogLine {
  at: string;
  message: string;
  fields?: Record<string, unknown>;
}

const inputContext = (connectorId: string) => `connector_run_input:${connectorId}`;
const resultContext = (connectorId: string) => `connector_run_result:${connectorId}`;
const deadLetterContext = (connectorId: string) => `connector_dead_letter:${connectorId}`;

const iso = (v: Date | string | null) => (v === null ? undefined : new Date(v).toISOString());

export function toRunRecord(row: RunRow, options: { withLog?: boolean } = {}): RunRecord {
  return {
    id: row.id,
    connectorId: row.connector_id,
    job: row.job,
    status: row.status,
    trigger: row.trigger,
    ...(row.rerun_of ? { rerunOf: row.rerun_of } : {}),
    queuedAt: iso(row.queued_at)!,
    ...(row.started_at ? { startedAt: iso(row.started_at) } : {}),
    ...(row.finished_at ? { finishedAt: iso(row.finished_at) } : {}),
    attempts: row.attempts,
    counts: row.counts ?? {},
    ...(row.error ? { error: row.error } : {}),
    ...(options.withLog ? { log: row.log ?? [] } : {}),
    ...(row.dead_letters !== undefined ? { deadLetters: Number(row.dead_letters) } : {}),
  };
}

export const runStore = {
  /** Records a queued run (before anything of it starts); the input is sealed. */
  async insert(
    tx: Db,
    secrets: Secrets,
    run: { connectorId: string; job: string; trigger: RunTrigger; input: unknown; requestedBy: string; rerunOf?: string },
  ): Promise<RunRow> {
    const id = uuidv7();
    const sealed = run.input === undefined ? null : secrets.seal(JSON.stringify(run.input), inputContext(run.connectorId));
    const [row] = await tx.query<RunRow>(
      `insert into connector_run (id, connector_id, job, trigger, rerun_of, input_sealed, requested_by)
       values ($1, $2, $3, $4, $5, $6, $7) returning *`,
      [id, run.connectorId, run.job, run.trigger, run.rerunOf ?? null, sealed, run.requestedBy],
    );
    return row;
  },

  async byId(db: Db, connectorId: string, id: string): Promise<RunRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await db.query<RunRow>(
      `select r.*, (select count(*) from connector_dead_letter d where d.run_id = r.id) as dead_letters
       from connector_run r where r.id = $1 and r.connector_id = $2`,
      [id, connectorId],
    );
    return row;
  },

  async list(db: Db, connectorId: string, options: { limit: number; before?: string; status?: RunStatus }): Promise<RunRow[]> {
    return db.query<RunRow>(
      `select r.*, (select count(*) from connector_dead_letter d where d.run_id = r.id) as dead_letters
       from connector_run r
       where r.connector_id = $1 and ($2::uuid is null or r.id < $2::uuid) and ($3::text is null or r.status = $3)
       order by r.id desc limit $4`,
      [connectorId, options.before ?? null, options.status ?? null, options.limit],
    );
  },

  openInput(secrets: Secrets, row: Pick<RunRow, 'input_sealed' | 'connector_id'>): unknown {
    return row.input_sealed === null ? undefined : JSON.parse(secrets.open(row.input_sealed, inputContext(row.connector_id)));
  },

  openResult(secrets: Secrets, row: Pick<RunRow, 'result_sealed' | 'connector_id'>): unknown {
    return row.result_sealed === null ? undefined : JSON.parse(secrets.open(row.result_sealed, resultContext(row.connector_id)));
  },

  /**
   * Claims a queued run for this instance: only one claimer wins (status='queued' in the where), and only while the
   * connector has fewer than `concurrency` runs going (counted under a per-connector lock, so two instances cannot
   * both take the last slot). Returns the row, 'busy' when the connector is at its limit, or undefined when the run
   * is not queued (another instance took it, or it is done).
   */
  async claim(db: Db, id: string, instanceId: string, concurrency: number, leaseMs: number): Promise<RunRow | 'busy' | undefined> {
    return db.transaction(async (tx) => {
      const [run] = await tx.query<{ connector_id: string; status: string }>('select connector_id, status from connector_run where id = $1', [id]);
      if (!run || run.status !== 'queued') return undefined;
      await tx.query(`select pg_advisory_xact_lock(hashtext('connector_run:' || $1))`, [run.connector_id]);
      const [{ running }] = await tx.query<{ running: number }>(
        `select count(*)::int as running from connector_run where connector_id = $1 and status = 'running' and lease_until > now()`,
        [run.connector_id],
      );
      if (running >= concurrency) return 'busy';
      const [row] = await tx.query<RunRow>(
        `update connector_run set status = 'running', started_at = now(), attempts = attempts + 1, claimed_by = $2,
           lease_until = now() + make_interval(secs => $3::double precision / 1000)
         where id = $1 and status = 'queued' returning *`,
        [id, instanceId, leaseMs],
      );
      return row;
    });
  },

  /** Ends a run: status, counts, error, log, result (sealed). Only the claimer may end it. */
  async finish(
    db: Db,
    secrets: Secrets,
    row: Pick<RunRow, 'id' | 'connector_id'>,
    instanceId: string,
    end: { status: RunStatus; counts: Record<string, number>; error?: string; log: LogLine[]; result?: unknown },
  ): Promise<RunRow | undefined> {
    const result = end.result === undefined ? null : secrets.seal(JSON.stringify(end.result), resultContext(row.connector_id));
    const [updated] = await db.query<RunRow>(
      `update connector_run set status = $3, finished_at = now(), counts = $4::jsonb, error = $5, log = $6::jsonb, result_sealed = $7,
         lease_until = null
       where id = $1 and status = 'running' and claimed_by = $2 returning *`,
      [row.id, instanceId, end.status, JSON.stringify(end.counts), end.error ?? null, JSON.stringify(end.log), result],
    );
    return updated;
  },

  /** Marks a queued run failed without running it (its connector is gone or disabled). */
  async refuse(db: Db, id: string, error: string): Promise<void> {
    await db.query(
      `update connector_run set status = 'failed', finished_at = now(), error = $2 where id = $1 and status = 'queued'`,
      [id, error],
    );
  },

  /** Queued runs older than `olderThanMs` (never handed to a queue, or lost with an instance's memory). */
  async queuedIds(db: Db, olderThanMs: number, connectorIds: string[], limit = 500): Promise<string[]> {
    const rows = await db.query<{ id: string }>(
      `select id from connector_run where status = 'queued' and queued_at <= now() - make_interval(secs => $1::double precision / 1000)
         and connector_id = any($3::text[])
       order by id limit $2`,
      [olderThanMs, limit, connectorIds],
    );
    return rows.map((r) => r.id);
  },

  /** Runs whose instance stopped renewing the lease (it died): queued again, or failed after maxAttempts. */
  async recoverAbandoned(db: Db, maxAttempts: number, connectorIds: string[]): Promise<string[]> {
    await db.query(
      `update connector_run set status = 'failed', finished_at = now(), lease_until = null,
         error = 'The instance running it stopped, and it was tried too often; re-run it.'
       where status = 'running' and lease_until < now() and attempts >= $1 and connector_id = any($2::text[])`,
      [maxAttempts, connectorIds],
    );
    const rows = await db.query<{ id: string }>(
      `update connector_run set status = 'queued', claimed_by = null, lease_until = null
       where status = 'running' and lease_until < now() and attempts < $1 and connector_id = any($2::text[]) returning id`,
      [maxAttempts, connectorIds],
    );
    return rows.map((r) => r.id);
  },

  async renewLease(db: Db, id: string, instanceId: string, leaseMs: number): Promise<void> {
    await db.query(
      `update connector_run set lease_until = now() + make_interval(secs => $3::double precision / 1000)
       where id = $1 and status = 'running' and claimed_by = $2`,
      [id, instanceId, leaseMs],
    );
  },

  async openCount(db: Db, connectorIds: string[]): Promise<number> {
    const [{ n }] = await db.query<{ n: number }>(
      `select count(*)::int as n from connector_run where status in ('queued', 'running') and connector_id = any($1::text[])`,
      [connectorIds],
    );
    return n;
  },
};

export const deadLetterStore = {
  async add(tx: Db, secrets: Secrets, run: { id: string; connectorId: string; job: string }, item: unknown, error: string): Promise<void> {
    await tx.query(
      `insert into connector_dead_letter (run_id, connector_id, job, item_sealed, error) values ($1, $2, $3, $4, $5)`,
      [run.id, run.connectorId, run.job, secrets.seal(JSON.stringify(item ?? null), deadLetterContext(run.connectorId)), error],
    );
  },

  /** Takes the run's dead letters not yet re-run, for the re-run `rerunId` (in its transaction): each is re-run once. */
  async takeForRerun(tx: Db, secrets: Secrets, connectorId: string, runId: string, rerunId: string): Promise<unknown[]> {
    const rows = await tx.query<{ item_sealed: string }>(
      `update connector_dead_letter set retried_in = $3
       where run_id = $1 and connector_id = $2 and retried_in is null returning id, item_sealed`,
      [runId, connectorId, rerunId],
    );
    return rows.map((r) => JSON.parse(secrets.open(r.item_sealed, deadLetterContext(connectorId))));
  },

  async pendingCount(db: Db, connectorId: string, runId: string): Promise<number> {
    const [{ n }] = await db.query<{ n: number }>(
      `select count(*)::int as n from connector_dead_letter where run_id = $1 and connector_id = $2 and retried_in is null`,
      [runId, connectorId],
    );
    return n;
  },

  /** What the API shows of a run's dead letters: the error and whether it was re-run, never the item. */
  async list(db: Db, runId: string): Promise<{ id: number; error: string; created_at: Date | string; retried_in: string | null }[]> {
    return db.query(`select id, error, created_at, retried_in from connector_dead_letter where run_id = $1 order by id`, [runId]);
  },
};

export const checkpointStore = {
  async get<T>(db: Db, connectorId: string, name: string): Promise<T | undefined> {
    const [row] = await db.query<{ value: T }>('select value from connector_checkpoint where connector_id = $1 and name = $2', [connectorId, name]);
    return row?.value;
  },
  async set(tx: Db, connectorId: string, name: string, value: unknown): Promise<void> {
    await tx.query(
      `insert into connector_checkpoint (connector_id, name, value) values ($1, $2, $3)
       on conflict (connector_id, name) do update set value = excluded.value, updated_at = now()`,
      [connectorId, name, JSON.stringify(value ?? null)],
    );
  },
};
