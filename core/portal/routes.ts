// The beneficiary portal's handlers by operationId (openapi/hub/portal.yaml): one-time codes and the person-scoped
// session, a person's own record, corrections and access log, and online registration for applicants.
import type { Handlers } from '../server/handlers.js';
import { requestCode, verifyCode } from './otp.js';
import { registrationForm, submitOnlineRegistration } from './registration.js';
import { casesSubmittedBy, myAccessLog, myCaseById, myRecord, requestCorrection } from './self.js';
import { issueApplicantSession, issuePersonSession } from './session.js';

export const portalRoutes: Handlers = {
  requestPortalCode: async (ctx, req, res) => {
    const challenge = await requestCode(ctx, { phone: req.body.phone, purpose: req.body.purpose ?? 'sign_in', language: req.body.language });
    res.set('Cache-Control', 'no-store').status(202).json(challenge);
  },
  createPortalSession: async (ctx, req, res) => {
    const verified = await verifyCode(ctx, req.body.challenge_id, req.body.code);
    const session = verified.purpose === 'sign_in' ? await issuePersonSession(ctx, verified.personId, 'otp') : await issueApplicantSession(ctx, verified.applicantId, 'otp');
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(session);
  },

  getMyRecord: async (ctx, _req, res) => {
    res.json(await myRecord(ctx));
  },
  requestMyCorrection: async (ctx, req, res) => {
    const { caseId, replayed } = await requestCorrection(ctx, req.body);
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res.status(replayed ? 200 : 202).json(await myCaseById(ctx, caseId));
  },
  listMyRequests: async (ctx, _req, res) => {
    res.json({ items: await casesSubmittedBy(ctx) });
  },
  getMyAccessLog: async (ctx, req, res) => {
    res.json(await myAccessLog(ctx, req.query as { limit: number; cursor?: string }));
  },

  getPortalRegistrationForm: async (ctx, _req, res) => {
    res.json(await registrationForm(ctx));
  },
  submitPortalRegistration: async (ctx, req, res) => {
    const { caseId, replayed } = await submitOnlineRegistration(ctx, req.body);
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res.status(replayed ? 200 : 202).json(await myCaseById(ctx, caseId));
  },
  listPortalRegistrations: async (ctx, _req, res) => {
    res.json({ items: (await casesSubmittedBy(ctx)).filter((c) => c.kind === 'registration') });
  },
};
