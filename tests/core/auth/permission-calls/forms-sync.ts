// P4's operations (openapi/hub/forms.yaml, openapi/hub/sync.yaml) for the permissions matrix. Ids that do not exist
// are fine: an allowed caller gets past authorisation (404, 409, 422), a refused one gets 403 first.
import { randomUUID } from 'node:crypto';
import type { Call } from './types.js';

const NO_CONFLICT = '00000000-0000-7000-8000-000000000000';
const NO_HASH = '0'.repeat(64);
const DEFAULT_FORM = 'household-socioeconomic';

export const formsSyncCalls: Record<string, Call> = {
  listForms: () => ({ method: 'GET', path: '/api/v1/forms' }),
  createForm: () => ({ method: 'POST', path: '/api/v1/forms', body: { form_id: 'perm-form', title: { en: 'x' }, definition: { languages: ['en'], default_language: 'en', schema: {}, ui: { sections: [] } } } }),
  createFormVersion: () => ({ method: 'POST', path: '/api/v1/forms/no-such-form/versions', body: {} }),
  getFormVersion: () => ({ method: 'GET', path: `/api/v1/forms/${DEFAULT_FORM}/versions/1` }),
  updateFormDraft: () => ({ method: 'PUT', path: `/api/v1/forms/${DEFAULT_FORM}/versions/1`, body: { title: { en: 'x' }, definition: { languages: ['en'], default_language: 'en', schema: {}, ui: { sections: [] } } }, ifMatch: 1 }),
  publishFormVersion: () => ({ method: 'POST', path: `/api/v1/forms/${DEFAULT_FORM}/versions/1/publish`, ifMatch: 1 }),
  previewFormVersion: () => ({ method: 'POST', path: `/api/v1/forms/${DEFAULT_FORM}/versions/1/preview`, body: { language: 'fr' } }),
  syncBootstrap: () => ({ method: 'GET', path: '/api/v1/sync/bootstrap?limit=1' }),
  syncPush: () => ({
    method: 'POST',
    path: '/api/v1/sync/push',
    body: { device_id: 'perm', items: [{ client_id: randomUUID(), captured_at: new Date().toISOString(), form: { id: DEFAULT_FORM, version: 1 }, kind: 'update', household_id: randomUUID(), base_version: 1, changes: { household: { address: 'x' } } }] },
  }),
  syncPull: () => ({ method: 'GET', path: `/api/v1/sync/pull?cursor=${Buffer.from('sync:0').toString('base64url')}` }),
  listSyncConflicts: () => ({ method: 'GET', path: '/api/v1/sync/conflicts' }),
  resolveSyncConflict: () => ({ method: 'POST', path: `/api/v1/sync/conflicts/${NO_CONFLICT}/resolve`, body: { choice: 'theirs' } }),
  getSyncAttachment: () => ({ method: 'GET', path: `/api/v1/sync/attachments/${NO_HASH}` }),
  uploadSyncAttachment: () => ({ method: 'PUT', path: `/api/v1/sync/attachments/${NO_HASH}` }),
  getSyncAttachmentContent: () => ({ method: 'GET', path: `/api/v1/sync/attachments/${NO_HASH}/content` }),
};
