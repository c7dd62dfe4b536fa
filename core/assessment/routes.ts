// Assessment model handlers by operationId (scope assessment.manage): input is validated by the document.
import type { Handlers } from '../server/handlers.js';
import { describeFeatures } from './features.js';
import { createDraft, createModel, getModel, listModels, publishVersion, updateDraft } from './service.js';

export const assessmentRoutes: Handlers = {
  listAssessmentFeatures: async (_ctx, _req, res) => {
    res.json({ items: describeFeatures() });
  },
  listAssessmentModels: async (ctx, _req, res) => {
    res.json({ items: await listModels(ctx.db) });
  },
  createAssessmentModel: async (ctx, req, res) => {
    res.status(201).json(await createModel(ctx, req.body));
  },
  getAssessmentModel: async (ctx, req, res) => {
    res.json(await getModel(ctx.db, req.params.id));
  },
  createAssessmentModelVersion: async (ctx, req, res) => {
    res.status(201).json(await createDraft(ctx, req.params.id, req.body?.definition));
  },
  updateAssessmentModelVersion: async (ctx, req, res) => {
    res.json(await updateDraft(ctx, req.params.id, Number(req.params.version), req.body.definition));
  },
  publishAssessmentModelVersion: async (ctx, req, res) => {
    res.json(await publishVersion(ctx, req.params.id, Number(req.params.version)));
  },
};
