// Attachments (photo of a document, signed paper consent) by the SHA-256 of their content, uploaded separately from
// the submissions that name them, in chunks that can resume where a dropped connection left off (an offset protocol
// in the manner of tus: Upload-Offset / Upload-Length). The content is checked against its hash once complete.
import { createHash } from 'node:crypto';
import express, { type Router } from 'express';
import { auditEntries } from '../audit/entry.js';
import type { Db } from '../db/index.js';
import type { Ctx } from '../server/context.js';
import { conflict, HubError, invalid } from '../server/errors.js';

export const ATTACHMENTS_PATH = '/api/v1/sync/attachments';

export interface AttachmentStatus {
  sha256: string;
  size: number;
  received: number;
  media_type: string;
  status: 'partial' | 'complete';
}

interface AttachmentRow extends AttachmentStatus {
  created_by: string;
}

/**
 * The chunk bodies as bytes, for the upload operation only (mounted with the routes that come before the API, `next`
 * in line; JSON stays JSON elsewhere). A chunk larger than SRHUB_SYNC_CHUNK_MAX answers 413.
 */
export function attachmentBodies(limitBytes: number, next: Router): Router {
  const router = express.Router();
  router.put(`${ATTACHMENTS_PATH}/:sha256`, express.raw({ type: ['application/offset+octet-stream', 'application/octet-stream'], limit: limitBytes }));
  router.use(next);
  return router;
}

export interface Chunk {
  sha256: string;
  offset: number;
  /** The whole attachment's size (Upload-Length): the same on every chunk. */
  length: number;
  mediaType: string;
  data: Buffer;
}

const tooLarge = (max: number) => new HubError(413, 'attachment.too_large', `Attachments are limited to ${max} bytes (SRHUB_SYNC_ATTACHMENT_MAX).`, {
  errors: [{ field: 'header.upload-length', message: `must be at most ${max}` }],
});

/**
 * Stores one chunk at its offset. A chunk at the wrong offset answers 409 with the offset the hub has (resume from
 * there); the last chunk completes the attachment if the content matches its hash, and otherwise discards the
 * upload (422), so a corrupted upload never stands for the hash.
 */
export async function putChunk(ctx: Ctx, chunk: Chunk, maxBytes: number): Promise<AttachmentStatus> {
  if (chunk.length > maxBytes) throw tooLarge(maxBytes);
  if (chunk.offset + chunk.data.length > chunk.length) {
    throw invalid([{ field: 'body', message: `the chunk ends at ${chunk.offset + chunk.data.length}, past Upload-Length ${chunk.length}` }]);
  }
  const outcome = await ctx.db.transaction(async (tx) => {
    let row = await lock(tx, chunk.sha256);
    if (!row) {
      if (chunk.offset !== 0) throw offsetMismatch(0);
      await tx.query(
        `insert into sync_attachment (sha256, size, media_type, created_by) values ($1, $2, $3, $4) on conflict do nothing`,
        [chunk.sha256, chunk.length, chunk.mediaType, ctx.principal.id],
      );
      row = (await lock(tx, chunk.sha256))!;
    }
    if (row.size !== chunk.length) {
      throw conflict('attachment.length_mismatch', `The upload was started with Upload-Length ${row.size}.`, { upload_length: row.size });
    }
    if (row.status === 'complete') return { status: statusOf(row), mismatch: false };
    if (row.received !== chunk.offset) throw offsetMismatch(row.received);
    if (chunk.data.length > 0) {
      await tx.query('insert into sync_attachment_chunk (sha256, "offset", data) values ($1, $2, $3)', [chunk.sha256, chunk.offset, chunk.data]);
    }
    const received = chunk.offset + chunk.data.length;
    if (received < row.size) {
      await tx.query('update sync_attachment set received = $2 where sha256 = $1', [chunk.sha256, received]);
      return { status: { ...statusOf(row), received }, mismatch: false };
    }
    if ((await contentHash(tx, chunk.sha256)) !== chunk.sha256) {
      await tx.query('delete from sync_attachment where sha256 = $1', [chunk.sha256]);
      return { status: { ...statusOf(row), received: 0 }, mismatch: true };
    }
    await tx.query(`update sync_attachment set received = size, status = 'complete', completed_at = now() where sha256 = $1`, [chunk.sha256]);
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'create', entity: 'attachment', entityId: chunk.sha256, details: { size: row.size } }]));
    return { status: { ...statusOf(row), received: row.size, status: 'complete' as const }, mismatch: false };
  });
  if (outcome.mismatch) {
    throw new HubError(422, 'attachment.hash_mismatch', 'The content does not match its SHA-256; the upload was discarded, start again from offset 0.', {
      errors: [{ field: 'path.sha256', message: 'is not the SHA-256 of the content received' }],
    });
  }
  return outcome.status;
}

/**
 * The upload's state for this principal: a complete attachment's to anyone who may push (a device holding the same
 * bytes need not send them again); a partial upload's only to the principal who started it (who resumes it).
 */
export async function attachmentStatus(db: Db, sha256: string, principalId: string): Promise<AttachmentStatus | undefined> {
  const [row] = await db.query<AttachmentRow>('select sha256, size, received, media_type, status, created_by from sync_attachment where sha256 = $1', [sha256]);
  if (!row || (row.status !== 'complete' && row.created_by !== principalId)) return undefined;
  return statusOf(row);
}

/** The hashes among these that are not (completely) uploaded. */
export async function missingAttachments(db: Db, hashes: string[]): Promise<string[]> {
  if (hashes.length === 0) return [];
  const rows = await db.query<{ sha256: string }>(`select sha256 from sync_attachment where sha256 = any($1::text[]) and status = 'complete'`, [hashes]);
  const complete = new Set(rows.map((r) => r.sha256));
  return [...new Set(hashes)].filter((h) => !complete.has(h));
}

async function lock(tx: Db, sha256: string): Promise<AttachmentRow | undefined> {
  const [row] = await tx.query<AttachmentRow>('select sha256, size, received, media_type, status, created_by from sync_attachment where sha256 = $1 for update', [sha256]);
  return row;
}

async function contentHash(tx: Db, sha256: string): Promise<string> {
  const hash = createHash('sha256');
  const chunks = await tx.query<{ data: Uint8Array }>('select data from sync_attachment_chunk where sha256 = $1 order by "offset"', [sha256]);
  for (const c of chunks) hash.update(c.data);
  return hash.digest('hex');
}

function offsetMismatch(offset: number): HubError {
  return new HubError(409, 'attachment.offset_mismatch', `The hub has ${offset} bytes of this attachment; send the chunk starting there.`, { upload_offset: offset }, { 'Upload-Offset': String(offset) });
}

const statusOf = (row: AttachmentStatus): AttachmentStatus => ({
  sha256: row.sha256,
  size: Number(row.size),
  received: Number(row.received),
  media_type: row.media_type,
  status: row.status,
});
