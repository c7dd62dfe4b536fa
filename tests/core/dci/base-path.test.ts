// SRHUB_DCI_BASE_PATH moves the DCI API under a prefix; the hub API is untouched.
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { aClient, idQuery, searchItem, searchMessage } from './dci-helpers.js';

describe('DCI base path', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ env: { SRHUB_AUTH: 'on', SRHUB_DCI_BASE_PATH: '/dci/' } });
  });
  afterAll(() => t.stop());

  it('serves /registry/... under the prefix only', async () => {
    const client = await aClient(t);
    const body = () => searchMessage(client.clientId, [searchItem('r', idQuery('1234567890'))]);
    const res = await t.post('/dci/registry/sync/search', body(), { headers: client.headers });
    expect(res.status).toBe(200);
    expect(res.body.header.action).toBe('on-search');
    const root = await t.post('/registry/sync/search', body(), { headers: client.headers });
    expect(root.status).toBe(404);
    expect((await t.get('/health')).status).toBe(200);
  });

  it('answers a wrong method on a DCI path with 405 and Allow, as {errors}', async () => {
    const res = await t.get('/dci/registry/search');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.body.errors[0].code).toBe('err.request.bad');
  });
});
