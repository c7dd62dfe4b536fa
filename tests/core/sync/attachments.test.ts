// Attachments by content hash: resumable chunked upload, the size limit, a hash that does not match, and a push
// that names an attachment not uploaded yet. On PGlite + memory, and PostgreSQL + Redis where they run.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { dbEngines, redisUrl, type CacheEngineName, type DbEngineName } from '../../helpers/services.js';
import { anAnsweredHousehold } from '../forms/form-data.js';

const engines: [DbEngineName, CacheEngineName][] = dbEngines().map((db) => [db, db === 'postgres' && redisUrl() ? 'redis' : 'memory']);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(engines)('sync attachments on %s + %s', (db, cache) => {
  let t: TestHub;
  let worker: Record<string, string>;
  const put = (hash: string, offset: number, length: number, chunk: Buffer) =>
    fetch(`${t.url}/api/v1/sync/attachments/${hash}`, {
      method: 'PUT',
      headers: { ...worker, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), 'upload-length': String(length), 'upload-media-type': 'image/jpeg' },
      body: new Uint8Array(chunk),
    });
  const head = (hash: string) => fetch(`${t.url}/api/v1/sync/attachments/${hash}`, { method: 'HEAD', headers: worker });

  beforeAll(async () => {
    t = await startTestHub({ db, cache, env: { SRHUB_AUTH: 'on', SRHUB_SYNC_ATTACHMENT_MAX: '64kb', SRHUB_SYNC_CHUNK_MAX: '16kb' } });
    const admin = await t.as(['administrator']);
    await t.post('/api/v1/admin-areas', { code: 'AM-R1', name: 'R1' }, { headers: admin.headers });
    await t.post('/api/v1/admin-areas', { code: 'AM-R1-D1', name: 'D1', parent_code: 'AM-R1' }, { headers: admin.headers });
    // a fresh connection per request (see sync.test.ts)
    worker = { ...(await t.as(['field_worker'], ['AM-R1'])).headers, connection: 'close' };
  });
  afterAll(() => t.stop());

  it('resumes an upload where the hub says it stopped, and completes it when the hash matches', async () => {
    const content = randomBytes(20_000);
    const hash = sha256(content);
    expect((await head(hash)).status).toBe(404);
    const first = await put(hash, 0, content.length, content.subarray(0, 8000));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ received: 8000, size: 20_000, status: 'partial' });
    // the connection dropped: ask where to resume
    const resume = await head(hash);
    expect(resume.status).toBe(200);
    expect(resume.headers.get('upload-offset')).toBe('8000');
    expect(resume.headers.get('upload-length')).toBe('20000');
    // a chunk sent again from the start is refused with the offset to resume from
    const wrong = await put(hash, 0, content.length, content.subarray(0, 8000));
    expect(wrong.status).toBe(409);
    expect(wrong.headers.get('upload-offset')).toBe('8000');
    // another principal does not see someone else's upload in progress
    const other = { ...(await t.as(['field_worker'], ['AM-R1'])).headers, connection: 'close' };
    expect((await fetch(`${t.url}/api/v1/sync/attachments/${hash}`, { method: 'HEAD', headers: other })).status).toBe(404);
    expect((await t.get(`/api/v1/sync/attachments/${hash}`, { headers: other })).status).toBe(404);
    await put(hash, 8000, content.length, content.subarray(8000, 16_000));
    const last = await put(hash, 16_000, content.length, content.subarray(16_000));
    expect(await last.json()).toMatchObject({ received: 20_000, status: 'complete', media_type: 'image/jpeg' });
    const status = await t.get(`/api/v1/sync/attachments/${hash}`, { headers: worker });
    expect(status.body).toEqual({ sha256: hash, size: 20_000, received: 20_000, media_type: 'image/jpeg', status: 'complete' });
    // complete, it is there for anyone who may push (a device with the same bytes does not send them again)
    expect((await t.get(`/api/v1/sync/attachments/${hash}`, { headers: other })).body).toMatchObject({ status: 'complete' });
    // uploading a complete attachment again changes nothing
    expect((await put(hash, 0, content.length, content.subarray(0, 100))).status).toBe(200);
  });

  it('refuses an attachment over the size limit and a chunk over the chunk limit', async () => {
    const big = randomBytes(70 * 1024);
    const res = await put(sha256(big), 0, big.length, big.subarray(0, 1000));
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe('attachment.too_large');
    expect((await head(sha256(big))).status).toBe(404);
    const content = randomBytes(40 * 1024);
    expect((await put(sha256(content), 0, content.length, content.subarray(0, 20 * 1024))).status).toBe(413);
    expect((await head(sha256(content))).status).toBe(404);
  });

  it('discards an upload whose content does not match its hash', async () => {
    const content = randomBytes(5000);
    const claimed = sha256(randomBytes(10));
    const res = await put(claimed, 0, content.length, content);
    expect(res.status).toBe(422);
    expect((await res.json()).code).toBe('attachment.hash_mismatch');
    expect((await head(claimed)).status).toBe(404);
    const [row] = await t.hub.db.query<{ n: number }>('select count(*)::int as n from sync_attachment_chunk where sha256 = $1', [claimed]);
    expect(row.n).toBe(0);
  });

  it('rejects a submission naming an attachment not uploaded, and takes it once the attachment is there', async () => {
    const content = randomBytes(3000);
    const hash = sha256(content);
    const item = {
      client_id: randomUUID(), captured_at: new Date().toISOString(), form: { id: 'household-socioeconomic', version: 1 }, kind: 'new',
      household: anAnsweredHousehold(), attachments: [{ sha256: hash, purpose: 'consent_signature' }],
    };
    const early = await t.post('/api/v1/sync/push', { device_id: 'd1', items: [item] }, { headers: worker });
    expect(early.body.results[0]).toMatchObject({ status: 'rejected', errors: [{ field: 'body.items[0].attachments[0].sha256', message: expect.stringContaining('not uploaded') }] });
    expect((await put(hash, 0, content.length, content)).status).toBe(200);
    const later = await t.post('/api/v1/sync/push', { device_id: 'd1', items: [item] }, { headers: worker });
    expect(later.body.results[0].status).toBe('accepted');
    const [row] = await t.hub.db.query<{ attachments: unknown }>('select attachments from sync_submission where client_id = $1', [item.client_id]);
    expect(row.attachments).toEqual([{ sha256: hash, purpose: 'consent_signature' }]);
  });
});
