// The forms API: drafts edited with If-Match, publication, immutability, who sees what, preview, the default form.
import { installDefaultForms } from '../../../core/forms/service.js';
import { defaultHouseholdForm } from '../../../core/forms/default-household.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';
import { apiEngines } from '../../helpers/services.js';

const small = () => {
  const form = defaultHouseholdForm();
  // a short form: the dwelling section only
  form.ui.sections = form.ui.sections.filter((s) => s.id === 'dwelling');
  return form;
};
const TITLE = { en: 'Dwelling survey', fr: 'Enquête logement' };

describe.each(apiEngines())('forms on %s', (db) => {
  let t: TestHub;
  let admin: Record<string, string>;
  let worker: Record<string, string>;

  beforeAll(async () => {
    t = await startTestHub({ db, env: { SRHUB_AUTH: 'on' } });
    // a fresh connection per request (see tests/core/sync/sync.test.ts)
    admin = { ...(await t.as(['administrator'])).headers, connection: 'close' };
    await t.post('/api/v1/admin-areas', { code: 'AM', name: 'Amani' }, { headers: admin });
    worker = { ...(await t.as(['field_worker'], ['AM'])).headers, connection: 'close' };
  });
  afterAll(() => t.stop());

  it('installs the default questionnaire once, published', async () => {
    const list = await t.get('/api/v1/forms', { headers: worker });
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual(expect.objectContaining({ form_id: 'household-socioeconomic', latest_published_version: 1 }));
    expect(await installDefaultForms(t.hub.db)).toBe(false);
    const v1 = await t.get('/api/v1/forms/household-socioeconomic/versions/1', { headers: worker });
    expect(v1.body).toMatchObject({ status: 'published', title: { en: expect.any(String), fr: expect.any(String) } });
  });

  it('edits a draft with If-Match, publishes it, and then never changes it', async () => {
    const created = await t.post('/api/v1/forms', { form_id: 'dwelling', title: TITLE, definition: small() }, { headers: admin });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ form_id: 'dwelling', version: 1, status: 'draft', revision: 1 });
    expect(created.headers.get('etag')).toBe('"1"');
    // a draft is not for field workers
    expect((await t.get('/api/v1/forms/dwelling/versions/1', { headers: worker })).status).toBe(404);
    expect((await t.get('/api/v1/forms', { headers: worker })).body.items.map((f: { form_id: string }) => f.form_id)).not.toContain('dwelling');
    expect((await t.post('/api/v1/forms', { form_id: 'dwelling', title: TITLE, definition: small() }, { headers: admin })).status).toBe(409);

    const changed = small();
    changed.ui.sections[0].fields[0].hint = { en: 'Look outside', fr: 'Regardez dehors' };
    const put = (ifMatch?: number, definition = changed) => t.request('PUT', '/api/v1/forms/dwelling/versions/1', { title: TITLE, definition }, { headers: admin, ifMatch });
    expect((await put()).status).toBe(428);
    expect((await put(7)).status).toBe(412);
    const updated = await put(1);
    expect(updated.status).toBe(200);
    expect(updated.body.revision).toBe(2);
    const invalid = small();
    invalid.ui.sections[0].fields[0].relevant = 'eval(1)';
    const refused = await put(2, invalid);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ field: 'body.definition.ui.sections[0].fields[0].relevant', message: expect.stringContaining('unknown function') }]);

    expect((await t.post('/api/v1/forms/dwelling/versions/1/publish', undefined, { headers: admin, ifMatch: 1 })).status).toBe(412);
    const published = await t.post('/api/v1/forms/dwelling/versions/1/publish', undefined, { headers: admin, ifMatch: 2 });
    expect(published.body).toMatchObject({ status: 'published', published_at: expect.any(String) });
    const after = await put(published.body.revision);
    expect(after.status).toBe(409);
    expect(after.body.code).toBe('form.published');
    // the database refuses it as well, whoever asks
    await expect(t.hub.db.query(`update form_definition set title = '{}' where form_id = 'dwelling' and version = 1`)).rejects.toThrow(/published/);
    expect((await t.get('/api/v1/forms/dwelling/versions/1', { headers: worker })).body.definition.ui.sections[0].fields[0].hint).toEqual({ en: 'Look outside', fr: 'Regardez dehors' });
  });

  it('starts the next version as a copy, one draft at a time', async () => {
    await t.post('/api/v1/forms', { form_id: 'copyme', title: TITLE, definition: small() }, { headers: admin });
    await t.post('/api/v1/forms/copyme/versions/1/publish', undefined, { headers: admin, ifMatch: 1 });
    const v2 = await t.post('/api/v1/forms/copyme/versions', {}, { headers: admin });
    expect(v2.body).toMatchObject({ version: 2, status: 'draft', title: TITLE });
    expect(v2.body.definition).toEqual((await t.get('/api/v1/forms/copyme/versions/1', { headers: admin })).body.definition);
    expect((await t.post('/api/v1/forms/copyme/versions', {}, { headers: admin })).body.code).toBe('form.draft_exists');
    expect((await t.post('/api/v1/forms/copyme/versions', {}, { headers: worker })).status).toBe(403);
    const summary = (await t.get('/api/v1/forms', { headers: admin })).body.items.find((f: { form_id: string }) => f.form_id === 'copyme');
    expect(summary).toMatchObject({ latest_published_version: 1, draft_version: 2 });
  });

  it('previews a version in French with the skip logic and the errors', async () => {
    const res = await t.post('/api/v1/forms/household-socioeconomic/versions/1/preview', {
      language: 'fr',
      today: '2026-06-15',
      data: { area_code: 'AM', attributes: { income_sources: ['none'] }, members: [{ relationship: 'SELF', person: { given_name: 'A', sex: 'female', birth_date: '2023-01-01' } }] },
    }, { headers: admin });
    expect(res.status).toBe(200);
    expect(res.body.language).toBe('fr');
    const livelihood = res.body.sections.find((s: { id: string }) => s.id === 'livelihood');
    expect(livelihood.title).toBe('Biens et revenus');
    expect(livelihood.items[0].fields.find((f: { path: string }) => f.path === 'attributes.monthly_income').asked).toBe(false);
    expect(res.body.errors).toContainEqual({ field: 'body.data.attributes.dwelling_wall', message: 'is required' });
  });
});
