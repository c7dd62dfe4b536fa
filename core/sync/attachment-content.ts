// Reading an uploaded attachment back by its hash. An attachment belongs to the records whose submissions name it:
// a caller may read it if they uploaded it, or if they may see a household or registration case a submission naming
// it belongs to (their areas). Anyone else gets the 404 of an attachment that does not exist, so a hash cannot be
// probed. The read is audited (a photo of an ID card or a signed consent is personal data).
import type { Response } from 'express';
import { auditEntries } from '../audit/entry.js';
import { areaVisible, scopeParam } from '../registry/scope.js';
import type { Ctx } from '../server/context.js';
import { HubError } from '../server/errors.js';

const notFound = () => new HubError(404, 'attachment.not_found', 'No complete attachment with this hash is visible to you.');

/** Streams the attachment's bytes with its media type; 404 when absent, incomplete or not the caller's to see. */
export async function sendAttachmentContent(ctx: Ctx, sha256: string, res: Response): Promise<void> {
  const [row] = await ctx.db.query<{ size: string | number; media_type: string }>(
    `select a.size, a.media_type from sync_attachment a
     where a.sha256 = $1 and a.status = 'complete' and (a.created_by = $2 or exists (
       select 1 from sync_submission s
         left join household h on h.id = s.household_id
         left join registration_case c on c.id = s.case_id
       where s.attachments @> jsonb_build_array(jsonb_build_object('sha256', a.sha256::text))
         and (${areaVisible('h.area_code', 3)} and h.id is not null or ${areaVisible('c.area_code', 3)} and c.id is not null)))`,
    [sha256, ctx.principal.id, scopeParam(ctx.principal)],
  );
  if (!row) throw notFound();
  const chunks = await ctx.db.query<{ data: Uint8Array }>('select data from sync_attachment_chunk where sha256 = $1 order by "offset"', [sha256]);
  await ctx.audit.recordReads(auditEntries(ctx, [{ action: 'read', entity: 'attachment', entityId: sha256 }]));
  res.status(200).set({
    'Content-Type': row.media_type,
    'Content-Length': String(row.size),
    'Cache-Control': 'private, no-store',
    'Content-Disposition': 'attachment',
    ETag: `"${sha256}"`,
  });
  for (const c of chunks) res.write(Buffer.from(c.data));
  res.end();
}
