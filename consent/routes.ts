// Consent handlers by operationId. Officers (consent.manage) work under /api/v1/consent; a beneficiary (consent.self)
// under /api/v1/me/consents, on their own person only. Verification and status lists are public.
import type { Response } from 'express';
import { auditEntries } from '../core/audit/entry.js';
import { decodeCursor, encodeCursor } from '../core/registry/persons/service.js';
import type { Ctx } from '../core/server/context.js';
import { notFound } from '../core/server/errors.js';
import type { ApiRequest, Handler, Handlers } from '../core/server/handlers.js';
import { idempotent } from '../core/server/idempotency.js';
import { createAgreement, getAgreement, listAgreements, publishAgreement } from './agreements.js';
import { createBeneficiaryAccount } from './beneficiaries.js';
import { consentReceipt, issuedConsent } from './receipt.js';
import { actorOf, getConsent, grantConsent, listConsents, renewConsent, toConsent, withdrawConsent } from './records.js';
import { signedStatusList, STATUS_LIST_TTL_S, type StatusListFormat } from './status-list.js';
import { verifyConsentToken } from './tokens.js';

function consentHandlers(self: boolean) {
  const grant: Handler = async (ctx, req, res) => {
    const actor = actorOf(ctx, self);
    const result = await idempotent(ctx, req.operationId, req.header('idempotency-key'), req.body, async (tx) => ({
      status: 201,
      body: await issuedConsent(ctx, await grantConsent(tx, ctx, req.body, actor)),
    }));
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    res.status(result.status).json(result.body);
  };
  const list: Handler = async (ctx, req, res) => {
    const q = req.query as { person_id?: string; recipient?: string; state?: string; limit: number; cursor?: string };
    const rows = await listConsents(ctx, { ...q, limit: q.limit + 1, after: decodeCursor(q.cursor) }, actorOf(ctx, self));
    const page = rows.slice(0, q.limit);
    res.json({ items: page.map((c) => toConsent(ctx, c)), next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1].id) : null });
  };
  const get: Handler = async (ctx, req, res) => {
    const { revisions, chain_intact, ...c } = await getConsent(ctx, req.params.id, actorOf(ctx, self));
    res.json({ ...toConsent(ctx, c), revisions, chain_intact });
  };
  const withdraw: Handler = async (ctx, req, res) => {
    res.json(toConsent(ctx, await withdrawConsent(ctx, req.params.id, actorOf(ctx, self), req.body?.note)));
  };
  const renew: Handler = async (ctx, req, res) => {
    res.json(await issuedConsent(ctx, await renewConsent(ctx, req.params.id, actorOf(ctx, self), req.body?.valid_until)));
  };
  const receipt: Handler = async (ctx, req, res) => {
    const { revisions: _r, chain_intact: _c, ...c } = await getConsent(ctx, req.params.id, actorOf(ctx, self));
    res.json(await consentReceipt(ctx, c));
  };
  return { grant, list, get, withdraw, renew, receipt };
}

const officer = consentHandlers(false);
const beneficiary = consentHandlers(true);

/** statuslist+jwt unless the caller asks for the credential (Accept: application/vc+jwt, or ?format=vc). */
function statusListFormat(req: ApiRequest): StatusListFormat {
  return req.query.format === 'vc' || (req.header('accept') ?? '').includes('application/vc+jwt') ? 'vc+jwt' : 'statuslist+jwt';
}

async function sendStatusList(ctx: Ctx, req: ApiRequest, res: Response): Promise<void> {
  const format = statusListFormat(req);
  const signed = await signedStatusList(ctx, Number(req.params.listId), format);
  if (!signed) throw notFound('status_list');
  res.set('Cache-Control', `public, max-age=${STATUS_LIST_TTL_S}`).type(`application/${format}`).send(signed);
}

export const consentRoutes: Handlers = {
  grantConsent: officer.grant,
  listConsents: officer.list,
  getConsent: officer.get,
  withdrawConsent: officer.withdraw,
  renewConsent: officer.renew,
  getConsentReceipt: officer.receipt,

  grantMyConsent: beneficiary.grant,
  listMyConsents: beneficiary.list,
  getMyConsent: beneficiary.get,
  withdrawMyConsent: beneficiary.withdraw,
  renewMyConsent: beneficiary.renew,
  getMyConsentReceipt: beneficiary.receipt,

  verifyConsentToken: async (ctx, req, res) => {
    const v = await verifyConsentToken(ctx, req.body.token, { audience: req.body.audience, purpose: req.body.purpose });
    if (v.personId) {
      await ctx.audit.recordReads(auditEntries(ctx, [{
        action: 'verify', entity: 'consent', entityId: v.consentId, subjectPersonId: v.personId, outcome: v.result === 'valid' ? 'success' : 'denied', details: { result: v.result },
      }]));
    }
    res.json({
      result: v.result,
      valid: v.result === 'valid',
      ...(v.claims ? { claims: v.claims } : {}),
    });
  },
  getConsentStatusList: sendStatusList,

  listDataAgreements: async (ctx, req, res) => {
    res.json({ items: await listAgreements(ctx.db, req.query as { code?: string; purpose_code?: string; state?: string }) });
  },
  createDataAgreement: async (ctx, req, res) => {
    res.status(201).json(await createAgreement(ctx, req.body));
  },
  getDataAgreement: async (ctx, req, res) => {
    res.json(await getAgreement(ctx.db, req.params.id));
  },
  publishDataAgreement: async (ctx, req, res) => {
    res.json(await publishAgreement(ctx, req.params.id));
  },

  createBeneficiaryAccount: async (ctx, req, res) => {
    res.status(201).json(await createBeneficiaryAccount(ctx, req.body));
  },
};
