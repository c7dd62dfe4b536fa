// Workflow handlers by operationId (openapi/hub/workflow.yaml): input is already validated against the document.
import { invalid } from '../server/errors.js';
import { ifMatchVersion, type ApiRequest, type Handlers } from '../server/handlers.js';
import { submitChange } from './changes.js';
import { approveCase, assignCase, commentCase, defaultChannel, getCase, listCases, rejectCase, reviewStatuses, type CaseQuery } from './service.js';
import { caseStore } from './store.js';
import { submitRegistration } from './submit.js';
import { toCaseView } from './view.js';

function optionalVersion(req: ApiRequest): number | undefined {
  const version = ifMatchVersion(req);
  if (version === 'invalid') throw invalid([{ field: 'header.if-match', message: 'must be the ETag of a version, e.g. "3"' }]);
  return version;
}

export const workflowRoutes: Handlers = {
  submitRegistration: async (ctx, req, res) => {
    const b = req.body;
    const view = await ctx.db.transaction(async (tx) => {
      const result = await submitRegistration(ctx, tx, {
        channel: b.channel ?? defaultChannel(ctx),
        household: b.household,
        form: b.form,
        clientRef: b.client_ref,
        deviceId: b.device_id,
        capturedAt: b.captured_at,
        proxy: b.proxy,
        witness: b.witness,
        source: b.source,
      });
      return { replayed: Boolean(result.replayed), view: toCaseView((await caseStore.byId(tx, result.caseId, null))!) };
    });
    if (view.replayed) res.set('Idempotent-Replayed', 'true');
    res.status(view.replayed ? 200 : 202).json(view.view);
  },
  listRegistrations: async (ctx, req, res) => {
    res.json(await listCases(ctx, 'registration', req.query as unknown as CaseQuery));
  },
  getRegistration: async (ctx, req, res) => {
    res.json(await getCase(ctx, req.params.id, 'registration'));
  },

  submitChangeRequest: async (ctx, req, res) => {
    const b = req.body;
    const view = await ctx.db.transaction(async (tx) => {
      const result = await submitChange(ctx, tx, {
        householdId: b.household_id,
        personId: b.person_id,
        baseVersion: b.base_version,
        kind: b.kind,
        changes: b.changes,
        channel: b.channel ?? defaultChannel(ctx),
        reason: b.reason,
        source: b.source,
        clientRef: b.client_ref,
      });
      return { replayed: Boolean(result.replayed), view: toCaseView((await caseStore.byId(tx, result.caseId, null))!) };
    });
    if (view.replayed) res.set('Idempotent-Replayed', 'true');
    res.status(view.replayed ? 200 : 202).json(view.view);
  },
  listChangeRequests: async (ctx, req, res) => {
    res.json(await listCases(ctx, 'change', req.query as unknown as CaseQuery));
  },
  getChangeRequest: async (ctx, req, res) => {
    res.json(await getCase(ctx, req.params.id, 'change'));
  },

  listReviews: async (ctx, req, res) => {
    const q = req.query as unknown as CaseQuery & { kind?: 'registration' | 'change' };
    res.json(await listCases(ctx, q.kind, q, reviewStatuses(ctx)));
  },
  getReview: async (ctx, req, res) => {
    res.json(await getCase(ctx, req.params.id));
  },
  approveReview: async (ctx, req, res) => {
    res.json(await approveCase(ctx, req.params.id, req.body ?? {}, optionalVersion(req)));
  },
  rejectReview: async (ctx, req, res) => {
    res.json(await rejectCase(ctx, req.params.id, req.body));
  },
  assignReview: async (ctx, req, res) => {
    res.json(await assignCase(ctx, req.params.id, req.body));
  },
  commentReview: async (ctx, req, res) => {
    res.json(await commentCase(ctx, req.params.id, req.body));
  },
};
