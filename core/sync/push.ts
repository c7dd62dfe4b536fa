// A batch pushed from a device, item by item, each in a transaction of its own that first claims the item's client
// UUID. A retried batch, a batch split across attempts, or the same batch pushed twice at the same time yields each
// record once: the second claim waits for the first to commit and then answers what the first answered.
import type { Db } from '../db/index.js';
import type { Ctx } from '../server/context.js';
import { HubError, type FieldError } from '../server/errors.js';
import { missingAttachments } from './attachments.js';
import { applyUpdate } from './merge.js';
import { applyNew } from './register-new.js';
import { submissionStore } from './submissions.js';
import type { ItemResult, PushItem } from './types.js';

class AlreadyClaimed extends Error {}
/** Not stored: once the attachment is uploaded, the same item pushed again is processed. */
class AttachmentsMissing extends Error {
  constructor(readonly errors: FieldError[]) {
    super('attachments missing');
  }
}

export interface PushBatch {
  device_id: string;
  items: PushItem[];
}

export async function pushBatch(ctx: Ctx, batch: PushBatch): Promise<ItemResult[]> {
  const results: ItemResult[] = [];
  for (const [i, item] of batch.items.entries()) results.push(await pushItem(ctx, batch.device_id, item, `body.items[${i}]`));
  return results;
}

async function pushItem(ctx: Ctx, deviceId: string, item: PushItem, at: string): Promise<ItemResult> {
  // keyed: the item holds personal data, and an unkeyed hash of it could be guessed back
  const itemHash = ctx.secrets.index('sync_item', JSON.stringify({ deviceId, item }));
  const shapeErrors = checkShape(item, at);
  try {
    return await ctx.db.transaction(async (tx) => {
      if (!(await submissionStore.claim(tx, ctx.principal.id, deviceId, item, itemHash))) throw new AlreadyClaimed();
      if (shapeErrors.length) throw new HubError(422, 'sync.item_rejected', 'The item is not complete.', { errors: shapeErrors });
      await requireAttachments(tx, item, at);
      const result = item.kind === 'new' ? await applyNew(ctx, tx, item, deviceId, at) : await applyUpdate(ctx, tx, item, at);
      await submissionStore.record(tx, ctx.secrets, result);
      return result;
    });
  } catch (err) {
    if (err instanceof AlreadyClaimed) return answered(ctx, item, itemHash, at);
    if (err instanceof AttachmentsMissing) return { client_id: item.client_id, status: 'rejected', household_id: item.household_id ?? null, errors: err.errors };
    if (!(err instanceof HubError) || err.status >= 500) throw err;
    return recordRejection(ctx, deviceId, item, itemHash, at, errorsOf(err, at));
  }
}

/** The item's writes were rolled back; the rejection is stored on its own so a retry gets the same answer. */
async function recordRejection(ctx: Ctx, deviceId: string, item: PushItem, itemHash: string, at: string, errors: FieldError[]): Promise<ItemResult> {
  const result: ItemResult = { client_id: item.client_id, status: 'rejected', household_id: item.household_id ?? null, errors };
  const stored = await ctx.db.transaction(async (tx) => {
    if (!(await submissionStore.claim(tx, ctx.principal.id, deviceId, item, itemHash))) return false;
    await submissionStore.record(tx, ctx.secrets, result);
    return true;
  });
  return stored ? result : answered(ctx, item, itemHash, at);
}

/** An item received before: the first answer, as a duplicate; a UUID reused for something else is refused. */
async function answered(ctx: Ctx, item: PushItem, itemHash: string, at: string): Promise<ItemResult> {
  const row = (await submissionStore.byClientId(ctx.db, item.client_id))!;
  if (row.principal_id !== ctx.principal.id) {
    return { client_id: item.client_id, status: 'rejected', errors: [{ field: `${at}.client_id`, message: 'is already used by another submission; generate a new UUID' }] };
  }
  if (row.item_hash !== itemHash) {
    return { client_id: item.client_id, status: 'rejected', errors: [{ field: `${at}.client_id`, message: 'was sent before with different content; a changed record needs a new UUID' }] };
  }
  const first = submissionStore.openResult(ctx.secrets, row);
  return { ...first, status: 'duplicate', first_status: first.status as Exclude<ItemResult['status'], 'duplicate'> };
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

async function requireAttachments(tx: Db, item: PushItem, at: string): Promise<void> {
  const missing = await missingAttachments(tx, (item.attachments ?? []).map((a) => a.sha256));
  if (missing.length === 0) return;
  const errors = (item.attachments ?? []).flatMap((a, j) => (missing.includes(a.sha256) ? [{ field: `${at}.attachments[${j}].sha256`, message: 'is not uploaded (completely) yet: upload it, then push again' }] : []));
  throw new AttachmentsMissing(errors);
}

function errorsOf(err: HubError, at: string): FieldError[] {
  const errors = (err.details.errors as FieldError[] | undefined) ?? [];
  return errors.length ? errors.map(({ index: _index, ...e }) => e) : [{ field: at, message: err.message }];
}
