// A batch pushed from a device, in chunks (CHUNK items), each chunk in one transaction: its client UUIDs are claimed
// first in one statement; new registrations are checked without writing and their cases then inserted together; each
// update runs in a savepoint of its own (a rejected one is rolled back alone); last, the answers, audit entries and
// outbox events of the chunk are written at once before commit. A rejected item's answer is stored like the others.
// A retried batch, a batch split across attempts, or the same batch pushed twice at the same time yields each record
// once: the second claim waits for the first chunk to commit and then answers what the first answered.
import { sqlState, type Db } from '../db/db.js';
import type { Ctx } from '../server/context.js';
import { HubError, type FieldError } from '../server/errors.js';
import { submitRegistrations, type Submission } from '../workflow/index.js';
import { deferWrites, type DeferredWrites } from './deferred.js';
import { loadLookups, type PushLookups } from './lookups.js';
import { applyUpdate } from './merge.js';
import { applyNew, newResult, newSubmission } from './register-new.js';
import { clientKey, submissionStore, type SubmissionRow } from './submissions.js';
import type { ItemResult, PushItem } from './types.js';

/** Items per transaction at most: bounds how long a chunk holds its claims, and its memory. */
export const CHUNK = 250;
/**
 * Updates per transaction at most. Each runs in a savepoint, a subtransaction once it writes; PostgreSQL keeps 64 of
 * them per transaction in shared memory and past that every other session's snapshot checks slow down. New
 * registrations need none: they are checked before anything is written and submitted together.
 */
export const CHUNK_UPDATES = 50;
/** A chunk that deadlocked with another writer (two pushes updating the same households in another order) runs again. */
const ATTEMPTS = 3;
const RETRYABLE = new Set(['40P01', '40001']);

export interface PushBatch {
  device_id: string;
  items: PushItem[];
}

/** An item as it arrives, with what is known before any transaction. */
interface Prepared {
  item: PushItem;
  key: string;
  at: string;
  /** keyed: the item holds personal data, and an unkeyed hash of it could be guessed back */
  itemHash: string;
  shapeErrors: FieldError[];
  /** Attachments not uploaded yet: answered without storing anything (pushed again once they are). */
  attachmentErrors: FieldError[];
}

export async function pushBatch(ctx: Ctx, batch: PushBatch): Promise<ItemResult[]> {
  const lookups = await loadLookups(ctx, batch.items);
  const prepared = batch.items.map((item, i) => prepare(ctx, batch.device_id, item, `body.items[${i}]`, lookups));
  const results: ItemResult[] = [];
  // PGlite is one connection in this thread: between chunks the workflow runner takes it for the cases just committed,
  // and the push would wait behind their checks; one chunk there (no other session's snapshots to slow either)
  const limits = ctx.db.engine === 'pglite' ? { items: Infinity, updates: Infinity } : { items: CHUNK, updates: CHUNK_UPDATES };
  for (const chunk of chunksOf(prepared, limits)) results.push(...(await withRetry(() => pushChunk(ctx, batch.device_id, chunk, lookups))));
  return results;
}

function chunksOf(prepared: Prepared[], limits: { items: number; updates: number }): Prepared[][] {
  const chunks: Prepared[][] = [];
  let updates = 0;
  for (const p of prepared) {
    const update = p.item.kind !== 'new';
    if (chunks.length === 0 || chunks[chunks.length - 1].length >= limits.items || (update && updates >= limits.updates)) {
      chunks.push([]);
      updates = 0;
    }
    chunks[chunks.length - 1].push(p);
    if (update) updates++;
  }
  return chunks;
}

function prepare(ctx: Ctx, deviceId: string, item: PushItem, at: string, lookups: PushLookups): Prepared {
  const shapeErrors = checkShape(item, at);
  const attachmentErrors = shapeErrors.length
    ? []
    : (item.attachments ?? []).flatMap((a, j) =>
        lookups.missingAttachments.has(a.sha256) ? [{ field: `${at}.attachments[${j}].sha256`, message: 'is not uploaded (completely) yet: upload it, then push again' }] : [],
      );
  return { item, key: clientKey(item.client_id), at, itemHash: ctx.secrets.index('sync_item', JSON.stringify({ deviceId, item })), shapeErrors, attachmentErrors };
}

async function withRetry<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= ATTEMPTS || !RETRYABLE.has(sqlState(err) ?? '')) throw err;
    }
  }
}

async function pushChunk(ctx: Ctx, deviceId: string, chunk: Prepared[], lookups: PushLookups): Promise<ItemResult[]> {
  return ctx.db.transaction(async (tx) => {
    // the first occurrence of a UUID in the chunk claims it; a repeat is answered from the first (below)
    const owners = new Map<string, Prepared>();
    for (const p of chunk) if (p.attachmentErrors.length === 0 && !owners.has(p.key)) owners.set(p.key, p);
    const claimed = await submissionStore.claim(tx, ctx.principal.id, deviceId, [...owners.values()]);
    const mine = [...owners.values()].filter((p) => claimed.has(p.key));
    const earlier = await submissionStore.byClientIds(tx, chunk.filter((p) => !claimed.has(p.key)).map((p) => p.key));
    const withCase = await casesHolding(tx, mine.map((p) => p.item.client_id));
    const writes = deferWrites(ctx, tx);
    const decided = new Map<string, ItemResult>();
    // new registrations are checked here (nothing written) and submitted together below; updates run in savepoints
    const registrations: { p: Prepared; submission: Submission }[] = [];
    for (const p of mine) {
      if (p.shapeErrors.length) decided.set(p.key, rejected(p.item, p.shapeErrors));
      else if (p.item.kind === 'new' && !withCase.has(p.key)) {
        try {
          registrations.push({ p, submission: newSubmission(p.item, deviceId, p.at, lookups) });
        } catch (err) {
          decided.set(p.key, rejectedBy(err, p));
        }
      } else decided.set(p.key, await inSavepoint(writes, p, (wctx) => (p.item.kind === 'new' ? applyNew(wctx, tx, p.item, deviceId, p.at, lookups) : applyUpdate(wctx, tx, p.item, p.at, lookups))));
    }
    const submitted = await submitRegistrations(writes.ctx, tx, registrations.map(({ p, submission }) => ({ submission, at: `${p.at}.household` })), lookups.usableAreas);
    submitted.forEach((answer, k) => {
      const { p } = registrations[k];
      decided.set(p.key, answer instanceof HubError ? rejectedBy(answer, p) : newResult(p.item, answer));
    });
    await submissionStore.record(tx, ctx.secrets, [...decided.values()]);
    await writes.flush();
    return chunk.map((p) => {
      const first = decided.get(p.key);
      if (first && owners.get(p.key) === p) return first;
      if (first) return answer(p, { principalId: ctx.principal.id, itemHash: owners.get(p.key)!.itemHash, result: first });
      const row = earlier.get(p.key);
      return row ? answered(ctx, p, row) : rejected(p.item, p.attachmentErrors);
    });
  });
}

/** One claimed item in its savepoint: applied, or rejected (its writes undone) with the field errors. */
async function inSavepoint(writes: DeferredWrites, p: Prepared, work: (ctx: Ctx) => Promise<ItemResult>): Promise<ItemResult> {
  try {
    return await writes.item(() => work(writes.ctx));
  } catch (err) {
    return rejectedBy(err, p);
  }
}

/** A refusal (4xx) answers the item; a bug or the database failing (5xx) rolls the whole chunk back, stored nothing. */
function rejectedBy(err: unknown, p: Prepared): ItemResult {
  if (!(err instanceof HubError) || err.status >= 500) throw err;
  return rejected(p.item, errorsOf(err, p.at));
}

/** The claimed UUIDs a registration case holds already (from another channel): the workflow answers its case. */
async function casesHolding(tx: Db, clientIds: string[]): Promise<Set<string>> {
  if (clientIds.length === 0) return new Set();
  const rows = await tx.query<{ client_ref: string }>(`select client_ref from registration_case where kind = 'registration' and client_ref = any($1::text[])`, [clientIds]);
  return new Set(rows.map((r) => clientKey(r.client_ref)));
}

const rejected = (item: PushItem, errors: FieldError[]): ItemResult => ({ client_id: item.client_id, status: 'rejected', household_id: item.household_id ?? null, errors });

/** An item received before: the first answer, as a duplicate; a UUID reused for something else is refused. */
function answered(ctx: Ctx, p: Prepared, row: SubmissionRow): ItemResult {
  return answer(p, { principalId: row.principal_id, itemHash: row.item_hash, result: submissionStore.openResult(ctx.secrets, row) }, ctx.principal.id);
}

function answer(p: Prepared, first: { principalId: string; itemHash: string; result: ItemResult }, caller = first.principalId): ItemResult {
  if (first.principalId !== caller) {
    return { client_id: p.item.client_id, status: 'rejected', errors: [{ field: `${p.at}.client_id`, message: 'is already used by another submission; generate a new UUID' }] };
  }
  if (first.itemHash !== p.itemHash) {
    return { client_id: p.item.client_id, status: 'rejected', errors: [{ field: `${p.at}.client_id`, message: 'was sent before with different content; a changed record needs a new UUID' }] };
  }
  return { ...first.result, status: 'duplicate', first_status: first.result.status as Exclude<ItemResult['status'], 'duplicate'> };
}

/** What the document's schema cannot say: which fields go with which kind. */
function checkShape(item: PushItem, at: string): FieldError[] {
  const errors: FieldError[] = [];
  if (item.kind === 'new') {
    if (!item.household) errors.push({ field: `${at}.household`, message: 'is required for a new registration' });
    for (const f of ['household_id', 'base_version', 'changes'] as const) {
      if (item[f] !== undefined) errors.push({ field: `${at}.${f}`, message: 'is only for updates' });
    }
  } else {
    if (!item.household_id) errors.push({ field: `${at}.household_id`, message: 'is required for an update' });
    if (item.base_version === undefined) errors.push({ field: `${at}.base_version`, message: 'is required for an update: the version the device edited' });
    const c = item.changes;
    if (!c || (!c.household && !c.persons?.length && !c.add_members?.length)) errors.push({ field: `${at}.changes`, message: 'must change something' });
    if (item.household !== undefined) errors.push({ field: `${at}.household`, message: 'is only for new registrations' });
  }
  return errors;
}

function errorsOf(err: HubError, at: string): FieldError[] {
  const errors = (err.details.errors as FieldError[] | undefined) ?? [];
  return errors.length ? errors.map(({ index: _index, ...e }) => e) : [{ field: at, message: err.message }];
}
