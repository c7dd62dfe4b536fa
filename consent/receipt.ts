// A consent receipt: what the person agreed to, with whom, until when, and the hash of the revision it reflects; as
// JSON and as a signed token the person can keep, with the consent token and credential while the consent is given.
import type { Ctx } from '../core/server/context.js';
import { consentStore, type ConsentWithAgreement } from './store.js';
import { hubBaseUrl } from './status-list.js';
import { issueConsentCredential, issueConsentToken, signReceipt } from './tokens.js';
import { toConsent } from './records.js';

export async function consentReceipt(ctx: Ctx, c: ConsentWithAgreement) {
  const [last] = (await consentStore.revisions(ctx.db, c.id)).slice(-1);
  const a = c.agreement;
  const receipt = {
    receipt_id: `${c.id}.${c.revision}`,
    issued_at: new Date().toISOString(),
    issuer: hubBaseUrl(ctx.config),
    consent_id: c.id,
    person_id: c.person_id,
    controller: a.controller,
    purpose: { code: a.purpose_code, text: a.purpose_text },
    lawful_basis: a.lawful_basis,
    data_categories: a.categories,
    recipients: a.recipients,
    retention_days: a.retention_days,
    agreement: { id: a.id, code: a.code, version: a.version, hash: c.agreement_hash },
    state: c.state,
    valid_from: c.valid_from.toISOString(),
    valid_until: c.valid_until.toISOString(),
    channel: c.channel,
    collected_by: c.collected_by,
    proxy: c.proxy,
    revision: c.revision,
    revision_hash: last.hash,
  };
  return { receipt, receipt_token: await signReceipt(ctx, receipt), ...(await consentTokens(ctx, c)) };
}

/** The consent with its token and credential (none for a refused or withdrawn consent). */
export async function issuedConsent(ctx: Ctx, c: ConsentWithAgreement) {
  return { consent: toConsent(ctx, c), ...(await consentTokens(ctx, c)) };
}

async function consentTokens(ctx: Ctx, c: ConsentWithAgreement): Promise<{ token: string | null; credential: string | null }> {
  if (c.state !== 'given' && c.state !== 'expired') return { token: null, credential: null };
  return { token: await issueConsentToken(ctx, c), credential: await issueConsentCredential(ctx, c) };
}
