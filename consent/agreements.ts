// Data agreements: what a consent is about (GovStack Consent BB, ISO/IEC TS 27560). A draft is published once and is
// then immutable, identified by the hash of its canonical content; a change is a new version of the same code.
import type { Db } from '../core/db/index.js';
import { uuidv7 } from '../core/ids.js';
import type { Ctx } from '../core/server/context.js';
import { conflict, notFound, unprocessable } from '../core/server/errors.js';
import { auditEntries } from '../core/audit/entry.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import { isDataCategory } from './categories.js';
import { consentStore, type AgreementRow } from './store.js';
import type { Agreement, AgreementInput } from './types.js';

export function toAgreement(row: AgreementRow): Agreement {
  return {
    id: row.id,
    code: row.code,
    version: row.version,
    state: row.state,
    purpose_code: row.purpose_code,
    purpose_text: row.purpose_text,
    lawful_basis: row.lawful_basis,
    categories: row.categories,
    recipients: row.recipients,
    controller: row.controller,
    retention_days: row.retention_days,
    max_validity_days: row.max_validity_days,
    household_consent: row.household_consent,
    hash: row.hash,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
    published_at: row.published_at?.toISOString() ?? null,
  };
}

/** What the hash covers: everything a consent to this version agrees to. */
export function agreementHash(row: AgreementRow): string {
  const { code, version, purpose_code, purpose_text, lawful_basis, categories, recipients, controller, retention_days, max_validity_days, household_consent } = row;
  return `sha256:${sha256Hex(canonicalJson({ code, version, purpose_code, purpose_text, lawful_basis, categories: [...categories].sort(),
    recipients: [...recipients].sort(), controller, retention_days, max_validity_days, household_consent }))}`;
}

async function audited<T extends { id: string }>(ctx: Ctx, fields: string[], change: (tx: Db) => Promise<T>): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    const result = await change(tx);
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity: 'data_agreement', entityId: result.id, fields }]));
    return result;
  });
}

/** A new draft: version 1 of a new code, or the next version of an existing one. */
export async function createAgreement(ctx: Ctx, input: AgreementInput): Promise<Agreement> {
  const unknown = input.categories.filter((c) => !isDataCategory(c));
  if (unknown.length) throw unprocessable('agreement.invalid', [{ field: 'body.categories', message: `unknown data categories ${unknown.join(', ')}` }], 'The agreement names unknown data categories.');
  if (input.recipients.includes(ctx.config.tokenIssuer)) {
    // a consent token addressed to the hub itself could be mistaken for one of its access tokens
    throw unprocessable('agreement.invalid', [{ field: 'body.recipients', message: `must not name the hub itself (${ctx.config.tokenIssuer})` }], 'The agreement names the hub as a recipient.');
  }
  const row = await audited(ctx, Object.keys(input), async (tx) =>
    consentStore.insertAgreement(tx, {
      id: uuidv7(),
      code: input.code,
      version: await consentStore.nextAgreementVersion(tx, input.code),
      purpose_code: input.purpose_code,
      purpose_text: input.purpose_text,
      lawful_basis: input.lawful_basis,
      categories: [...new Set(input.categories)],
      recipients: [...new Set(input.recipients)],
      controller: input.controller,
      retention_days: input.retention_days,
      max_validity_days: input.max_validity_days,
      household_consent: input.household_consent ?? false,
      created_by: ctx.principal.id,
    }),
  );
  return toAgreement(row);
}

export async function publishAgreement(ctx: Ctx, id: string): Promise<Agreement> {
  const row = await audited(ctx, ['state', 'hash'], async (tx) => {
    const draft = await consentStore.agreementById(tx, id, true);
    if (!draft) throw notFound('agreement');
    if (draft.state !== 'draft') throw conflict('agreement.published', 'This version is published and cannot change; create a new version.');
    return consentStore.publishAgreement(tx, id, agreementHash(draft));
  });
  return toAgreement(row);
}

export async function getAgreement(db: Db, id: string): Promise<Agreement> {
  const row = await consentStore.agreementById(db, id);
  if (!row) throw notFound('agreement');
  return toAgreement(row);
}

export async function listAgreements(db: Db, filter: { code?: string; purpose_code?: string; state?: string }): Promise<Agreement[]> {
  return (await consentStore.listAgreements(db, { code: filter.code, purposeCode: filter.purpose_code, state: filter.state })).map(toAgreement);
}
