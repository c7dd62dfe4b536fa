// Reading an attachment back (GET /api/v1/sync/attachments/{sha256}/content): the bytes as uploaded, with their
// media type, to the uploader and to callers who may see a household whose submission names it; 404 for everyone
// else, for an unknown hash and for an incomplete upload; each read audited.
import { randomBytes } from 'node:crypto';
import type { TestHub } from '../../helpers/test-hub.js';
import { accessHub, addressPush, expectOk, markedHousehold, sha256, upload } from '../../security/access/world.js';

describe('attachment content', () => {
  let t: TestHub;
  let admin: Record<string, string>;
  const content = (hash: string, headers: Record<string, string>) => fetch(`${t.url}/api/v1/sync/attachments/${hash}/content`, { headers });

  beforeAll(async () => {
    ({ t, admin } = await accessHub());
  }, 120_000);
  afterAll(() => t?.stop());

  it('gives the bytes back to the uploader and to whoever may see the household it was submitted for, and to no one else', async () => {
    const worker = await t.as(['field_worker'], ['AM-R1']);
    const household = (await expectOk(t.post('/api/v1/households', markedHousehold('AM-R1-D1').body, { headers: admin }))).body;
    const bytes = randomBytes(5000);
    const hash = await upload(t, worker.headers, bytes, 'image/png');

    // before any submission names it: the uploader only
    const mine = await content(hash, worker.headers);
    expect(mine.status).toBe(200);
    expect(mine.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await mine.arrayBuffer()).equals(bytes)).toBe(true);
    const officerR1 = (await t.as(['registry_officer'], ['AM-R1'])).headers;
    expect((await content(hash, officerR1)).status).toBe(404);

    // named by a submission for a household of AM-R1: officers of AM-R1 (and the unrestricted) may read it
    await expectOk(t.post('/api/v1/sync/push', addressPush(household.id, household.version, 'Plot 1, with a photo', [hash]), { headers: worker.headers }));
    for (const headers of [officerR1, admin]) {
      const res = await content(hash, headers);
      expect(res.status).toBe(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(hash);
    }
    // not officers of another area, nor another field worker of it, nor roles without registry.read
    const missing = await content(hash, (await t.as(['registry_officer'], ['AM-R2'])).headers);
    expect(missing.status).toBe(404);
    expect(await missing.text()).not.toContain(bytes.toString('base64').slice(0, 20));
    expect((await content(hash, (await t.as(['field_worker'], ['AM-R2'])).headers)).status).toBe(404);
    expect((await content(hash, (await t.as(['policymaker'])).headers)).status).toBe(403);

    await t.hub.audit.flush();
    const reads = await t.hub.db.query<{ actor: string }>(`select actor from audit_log where entity = 'attachment' and action = 'read' and entity_id = $1`, [hash]);
    expect(reads.length).toBe(3);
  });

  it('answers 404 for an unknown hash and an incomplete upload, 400 for a malformed one', async () => {
    const worker = await t.as(['field_worker'], ['AM-R1']);
    expect((await content('0'.repeat(64), worker.headers)).status).toBe(404);
    const bytes = randomBytes(4000);
    const hash = sha256(bytes);
    const partial = await fetch(`${t.url}/api/v1/sync/attachments/${hash}`, {
      method: 'PUT',
      headers: { ...worker.headers, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0', 'upload-length': String(bytes.length) },
      body: new Uint8Array(bytes.subarray(0, 1000)),
    });
    expect(partial.status).toBe(200);
    expect((await content(hash, worker.headers)).status).toBe(404);
    expect((await content('not-a-hash', worker.headers)).status).toBe(400);
  });
});
