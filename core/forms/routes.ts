// Forms handlers by operationId: input is already validated against openapi/hub/forms.yaml.
import type { Response } from 'express';
import { ifMatchRequired, invalid } from '../server/errors.js';
import { ifMatchVersion, type ApiRequest, type Handlers } from '../server/handlers.js';
import { createForm, createFormVersion, getFormVersion, listForms, previewForm, publishForm, updateDraft, type FormVersion } from './service.js';

function requiredRevision(req: ApiRequest): number {
  const revision = ifMatchVersion(req);
  if (revision === undefined) throw ifMatchRequired();
  if (revision === 'invalid') throw invalid([{ field: 'header.if-match', message: 'must be the ETag of the draft, e.g. "3"' }]);
  return revision;
}

const send = (res: Response, status: number, form: FormVersion) => res.status(status).set('ETag', `"${form.revision}"`).json(form);
const versionOf = (req: ApiRequest) => Number(req.params.version);

export const formRoutes: Handlers = {
  listForms: async (ctx, _req, res) => {
    res.json({ items: await listForms(ctx) });
  },
  createForm: async (ctx, req, res) => {
    send(res, 201, await createForm(ctx, req.body));
  },
  createFormVersion: async (ctx, req, res) => {
    send(res, 201, await createFormVersion(ctx, req.params.formId, req.body ?? {}));
  },
  getFormVersion: async (ctx, req, res) => {
    send(res, 200, await getFormVersion(ctx, req.params.formId, versionOf(req)));
  },
  updateFormDraft: async (ctx, req, res) => {
    send(res, 200, await updateDraft(ctx, req.params.formId, versionOf(req), requiredRevision(req), req.body));
  },
  publishFormVersion: async (ctx, req, res) => {
    send(res, 200, await publishForm(ctx, req.params.formId, versionOf(req), requiredRevision(req)));
  },
  previewFormVersion: async (ctx, req, res) => {
    res.json(await previewForm(ctx, req.params.formId, versionOf(req), req.body ?? {}));
  },
};
