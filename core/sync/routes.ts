// Sync handlers by operationId: input is already validated against openapi/hub/sync.yaml.
import { invalid } from '../server/errors.js';
import type { Handlers } from '../server/handlers.js';
import { sendAttachmentContent } from './attachment-content.js';
import { attachmentStatus, putChunk } from './attachments.js';
import { listConflicts, resolveConflict, type Resolution } from './conflicts.js';
import { bootstrap, pull } from './feed.js';
import { pushBatch } from './push.js';
import { HubError } from '../server/errors.js';

const SHA256 = /^[0-9a-f]{64}$/;

function headerInt(value: string | undefined, name: string): number {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) throw invalid([{ field: `header.${name}`, message: 'is required: a whole number of bytes' }]);
  return Number(value);
}

export const syncRoutes: Handlers = {
  syncBootstrap: async (ctx, req, res) => {
    res.json(await bootstrap(ctx, req.query as { limit: number; households_cursor?: string }));
  },
  syncPush: async (ctx, req, res) => {
    res.json({ results: await pushBatch(ctx, req.body) });
  },
  syncPull: async (ctx, req, res) => {
    res.json(await pull(ctx, req.query as { cursor: string; limit: number }));
  },
  listSyncConflicts: async (ctx, req, res) => {
    res.json(await listConflicts(ctx, req.query as { status?: 'open' | 'resolved'; household_id?: string; limit: number; cursor?: string }));
  },
  resolveSyncConflict: async (ctx, req, res) => {
    res.json(await resolveConflict(ctx, req.params.id, req.body as Resolution));
  },
  uploadSyncAttachment: async (ctx, req, res) => {
    const sha256 = req.params.sha256;
    if (!SHA256.test(sha256)) throw invalid([{ field: 'path.sha256', message: 'must be a SHA-256 in lower-case hex' }]);
    const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const status = await putChunk(
      ctx,
      {
        sha256,
        offset: headerInt(req.header('upload-offset'), 'upload-offset'),
        length: headerInt(req.header('upload-length'), 'upload-length'),
        mediaType: req.header('upload-media-type') ?? 'application/octet-stream',
        data,
      },
      ctx.config.syncAttachmentMaxBytes,
    );
    res.status(200).set({ 'Upload-Offset': String(status.received), 'Upload-Length': String(status.size) }).json(status);
  },
  getSyncAttachment: async (ctx, req, res) => {
    const status = await attachmentStatus(ctx.db, req.params.sha256, ctx.principal.id);
    if (!status) throw new HubError(404, 'attachment.not_found', 'No upload of this attachment has started.');
    res.set({ 'Upload-Offset': String(status.received), 'Upload-Length': String(status.size), 'Cache-Control': 'no-store' });
    // HEAD (the resume question) answers with the headers alone
    if (res.req.method === 'HEAD') res.status(200).end();
    else res.json(status);
  },
  getSyncAttachmentContent: async (ctx, req, res) => {
    await sendAttachmentContent(ctx, req.params.sha256, res);
  },
};
