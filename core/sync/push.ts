// A batch pushed from a device, in chunks of CHUNK items, each chunk in one transaction: its client UUIDs are claimed
// first in one statement, then each item runs in a savepoint of its own (a rejected item is rolled back alone and its
// rejection stored), then the answers, audit entries and outbox events of the chunk are written at once before
// commit. A retried batch, a batch split across attempts, or the same batch pushed twice at the same time yields each
// record once: the second claim waits for the first chunk to commit and then answers what the first answered.
import { sqlState, type Db } from '../db/db.js';
import type { Ctx } from '../server/context.js';
import { HubError, type FieldError } from '../server/errors.js';
import { deferWrites } from './deferred.js';
import { loadLookups, type PushLookups } from './lookups.js';
import { applyUpdate } from './merge.js';
import { applyNew } from './register-new.js';
import { clientKey, submissionStore, type SubmissionRow } from './submissions.js';
import type { ItemResult, PushItem } from './types.js';

/**
 * Items per transaction. Each item's savepoint that writes is a subtransaction; PostgreSQL keeps 64 of them per
 * transaction in shared memory and past that every other session's snapshot checks slow down, so a chunk stays under.
 */
export const CHUNK = 50;
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
  for (let start = 0; start < prepared.length; start += CHUNK) {
    results.push(...(await withRetry(() => pushChunk(ctx, batch.device_id, prepared.slice(start, start + CHUNK), lookups))));
  }
  return results;
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
    const earlier = await submissionStore.byClientIds(tx, chunk.filter((p) => !claimed.has(p.key)).map((p) => p.key));
    const withCase = await casesHolding(tx, [...owners.values()].filter((p) => claimed.has(p.key)).map((p) => p.item.client_id));
    const writes = deferWrites(ctx, tx);
    const decided = new Map<string, { itemHash: string; result: ItemResult }>();
    const results: ItemResult[] = [];
    for (const p of chunk) {
      const first = decided.get(p.key);
      if (first) {
        results.push(answer(p, { principalId: ctx.principal.id, itemHash: first.itemHash, result: first.result }));
      } else if (claimed.has(p.key) && owners.get(p.key) === p) {
        const result = await applyItem(writes.ctx, tx, deviceId, p, lookups, writes.item, withCase.has(p.key));
        decided.set(p.key, { itemHash: p.itemHash, result });
        results.push(result);
      } else if (earlier.has(p.key)) {
        results.push(answered(ctx, p, earlier.get(p.key)!));
      } else {
        results.push(rejected(p.item, p.attachmentErrors));
      }
    }
    await submissionStore.record(tx, ctx.secrets, [...decided.values()].map((d) => d.result));
    await writes.flush();
    return results;
  });
}

/** One claimed item in its savepoint: applied, or rejected (its writes undone) with the field errors. */
async function applyItem(
  ctx: Ctx,
  tx: Db,
  deviceId: string,
  p: Prepared,
  lookups: PushLookups,
  inSavepoint: <T>(work: () => Promise<T>) => Promise<T>,
  earlierCase: boolean,
): Promise<ItemResult> {
  if (p.shapeErrors.length) return rejected(p.item, p.shapeErrors);
  try {
    return await inSavepoint(() =>
      p.item.kind === 'new' ? applyNew(ctx, tx, p.item, deviceId, p.at, { lookups, earlierCase }) : applyUpdate(ctx, tx, p.item, p.at, lookups),
    );
  } catch (err) {
    // a bug or the database failing (5xx) rolls the whole chunk back: none of its items is stored, a retry redoes them
    if (!(err instanceof HubError) || err.status >= 500) throw err;
    return rejected(p.item, errorsOf(err, p.at));
  }
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
