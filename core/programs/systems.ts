// A program's management systems: the API clients that act for a program. Only they may subscribe (DCI) to its
// eligibility changes; taking a client off a program ends its ELIGIBILITY subscriptions to it in the same
// transaction, so no notify is queued for it afterwards.
import { auditEntries } from '../audit/entry.js';
import { clientById } from '../auth/clients.js';
import type { Db } from '../db/index.js';
import type { Ctx } from '../server/context.js';
import { notFound } from '../server/errors.js';
import { programRow } from './service.js';

export interface ProgramSystem {
  client_id: string;
  created_by: string;
  created_at: string;
}

interface Row {
  client_id: string;
  created_by: string;
  created_at: Date | string;
}

const toSystem = (r: Row): ProgramSystem => ({ client_id: r.client_id, created_by: r.created_by, created_at: new Date(r.created_at).toISOString() });

export async function listProgramSystems(db: Db, programId: string): Promise<ProgramSystem[]> {
  await programRow(db, programId);
  const rows = await db.query<Row>('select client_id, created_by, created_at from program_system where program_id = $1 order by client_id', [programId]);
  return rows.map(toSystem);
}

/** Makes a client one of the program's systems; `created` is false when it was one already. */
export async function addProgramSystem(ctx: Ctx, programId: string, clientId: string): Promise<{ system: ProgramSystem; created: boolean }> {
  return ctx.db.transaction(async (tx) => {
    await programRow(tx, programId);
    if (!(await clientById(tx, clientId))) throw notFound('client');
    const [inserted] = await tx.query<Row>(
      `insert into program_system (program_id, client_id, created_by) values ($1, $2, $3)
       on conflict do nothing returning client_id, created_by, created_at`,
      [programId, clientId, ctx.principal.id],
    );
    if (inserted) await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity: 'program', entityId: programId, details: { change: 'system_added', client_id: clientId } }]));
    const [row] = inserted ? [inserted] : await tx.query<Row>('select client_id, created_by, created_at from program_system where program_id = $1 and client_id = $2', [programId, clientId]);
    return { system: toSystem(row), created: !!inserted };
  });
}

/** Takes a client off the program and ends its subscriptions to the program's eligibility. */
export async function removeProgramSystem(ctx: Ctx, programId: string, clientId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const removed = await tx.query('delete from program_system where program_id = $1 and client_id = $2 returning 1', [programId, clientId]);
    if (removed.length === 0) throw notFound('program_system');
    const ended = await tx.query<{ code: string }>(
      `update dci_subscription set status = 'unsubscribe', unsubscribed_at = now()
       where program_id = $1 and principal_id = $2 and status = 'subscribe' returning code`,
      [programId, `client:${clientId}`],
    );
    if (ended.length) await tx.query('delete from dci_notification where subscription_code = any($1::text[])', [ended.map((e) => e.code)]);
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity: 'program', entityId: programId, details: { change: 'system_removed', client_id: clientId, subscriptions_ended: ended.length } }]));
  });
}

/** Whether the client acts for the program (checked when it subscribes and again when each notify is built). */
export async function isProgramSystem(db: Db, programId: string, clientId: string): Promise<boolean> {
  const rows = await db.query('select 1 from program_system where program_id = $1 and client_id = $2', [programId, clientId]);
  return rows.length > 0;
}
