// Consent records: grant (or refusal), withdraw, renew, read and list. Every change is a new revision whose hash covers
// the one before; a withdrawal sets the token's status bit in the same transaction.
import type { Db } from '../core/db/index.js';
import { uuidv7 } from '../core/ids.js';
import type { Ctx } from '../core/server/context.js';
import { conflict, HubError, notFound, unprocessable } from '../core/server/errors.js';
import { auditEntries } from '../core/audit/entry.js';
import { personStore } from '../core/registry/persons/store.js';
import { householdStore } from '../core/registry/households/store.js';
import { scopeParam } from '../core/registry/scope.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import { consentStore, type ConsentWithAgreement, type RevisionRow } from './store.js';
import { emitConsentEvents } from './events.js';
import { forgetStatusList, statusListUri } from './status-list.js';
import { NO_CONSENT_NEEDED, type Consent, type ConsentChannel, type ConsentState, type GrantInput, type Revision } from './types.js';

const DAY_MS = 86_400_000;
export const GENESIS_HASH = `sha256:${'0'.repeat(64)}`;
/** Channels a person uses on their own; officers record in person or on paper. */
const SELF_CHANNELS: readonly ConsentChannel[] = ['online', 'mobile'];
const OFFICER_CHANNELS: readonly ConsentChannel[] = ['in_person', 'paper'];

/** Who acts: a beneficiary on their own consents (self), or an officer (consent.manage) within their areas. */
export type Actor = { self: true; personId: string } | { self: false };

export function actorOf(ctx: Ctx, self: boolean): Actor {
  if (!self) return { self: false };
  if (!ctx.principal.subject) {
    throw new HubError(403, 'consent.no_subject', 'This account is not linked to a person; ask an officer to link it (POST /api/v1/consent/beneficiaries).');
  }
  return { self: true, personId: ctx.principal.subject };
}

export function inForce(c: { state: ConsentState; valid_from: Date; valid_until: Date }, now = new Date()): boolean {
  return c.state === 'given' && c.valid_from <= now && now < c.valid_until;
}

export function toConsent(ctx: Pick<Ctx, 'config'>, c: ConsentWithAgreement, now = new Date()): Consent {
  const a = c.agreement;
  return {
    id: c.id,
    person_id: c.person_id,
    agreement_id: a.id,
    agreement_code: a.code,
    agreement_version: a.version,
    agreement_hash: c.agreement_hash,
    purpose_code: a.purpose_code,
    lawful_basis: a.lawful_basis,
    categories: a.categories,
    recipients: a.recipients,
    for_household_id: c.for_household_id,
    state: c.state,
    in_force: inForce(c, now),
    valid_from: c.valid_from.toISOString(),
    valid_until: c.valid_until.toISOString(),
    channel: c.channel,
    collected_by: c.collected_by,
    proxy: c.proxy,
    attestation: c.attestation,
    revision: c.revision,
    status: c.status_list_id === null ? null : { list_id: c.status_list_id, idx: c.status_idx!, uri: statusListUri(ctx.config, c.status_list_id) },
    created_at: c.created_at.toISOString(),
    updated_at: c.updated_at.toISOString(),
  };
}

function revisionHash(prevHash: string, consentId: string, agreementHash: string, r: Omit<RevisionRow, 'consent_id' | 'prev_hash' | 'hash'>): string {
  return `sha256:${sha256Hex(prevHash + canonicalJson({
    consent_id: consentId, agreement_hash: agreementHash, revision: r.revision, state: r.state, valid_from: r.valid_from.toISOString(),
    valid_until: r.valid_until.toISOString(), changed_by: r.changed_by, changed_at: r.changed_at.toISOString(), note: r.note,
  }))}`;
}

export async function addRevision(tx: Db, ctx: Ctx, c: { id: string; agreement_hash: string; valid_from: Date }, revision: number, state: ConsentState, validUntil: Date, note: string | null): Promise<void> {
  const [previous] = revision > 1 ? (await consentStore.revisions(tx, c.id)).slice(-1) : [];
  const prevHash = previous?.hash ?? GENESIS_HASH;
  const r = { revision, state, valid_from: c.valid_from, valid_until: validUntil, changed_by: ctx.principal.id, changed_at: new Date(), note };
  await consentStore.insertRevision(tx, { consent_id: c.id, ...r, prev_hash: prevHash, hash: revisionHash(prevHash, c.id, c.agreement_hash, r) });
}

/** Whether the revisions of a consent form an unbroken chain (none edited, removed or reordered). */
export function verifyRevisions(consentId: string, agreementHash: string, revisions: RevisionRow[]): boolean {
  let prev = GENESIS_HASH;
  return revisions.every((r, i) => {
    const ok = r.revision === i + 1 && r.prev_hash === prev && r.hash === revisionHash(prev, consentId, agreementHash, r);
    prev = r.hash;
    return ok;
  });
}

const toRevision = (r: RevisionRow): Revision => ({
  revision: r.revision, state: r.state, valid_from: r.valid_from.toISOString(), valid_until: r.valid_until.toISOString(),
  changed_by: r.changed_by, changed_at: r.changed_at.toISOString(), note: r.note, prev_hash: r.prev_hash, hash: r.hash,
});

const fail = (field: string, message: string, code = 'consent.invalid') => unprocessable(code, [{ field, message }], 'The consent cannot be recorded as given.');

/** Records a consent (or a refusal) in the caller's transaction; returns it with the agreement. */
export async function grantConsent(tx: Db, ctx: Ctx, input: GrantInput, actor: Actor): Promise<ConsentWithAgreement> {
  let personId = input.person_id;
  if (actor.self) {
    if (personId !== undefined && personId !== actor.personId) throw new HubError(403, 'consent.not_yours', 'You can record consent for yourself only.');
    personId = actor.personId;
    if (input.proxy || input.attestation) throw fail('body', 'proxy and attestation are recorded by an officer');
  } else if (!personId) {
    throw fail('body.person_id', 'is required when an officer records consent');
  }
  const channel = input.channel ?? (actor.self ? 'online' : 'in_person');
  const allowed = actor.self ? SELF_CHANNELS : OFFICER_CHANNELS;
  if (!allowed.includes(channel)) throw fail('body.channel', `must be ${allowed.join(' or ')} here`);
  if (channel === 'paper' && !input.attestation) throw fail('body.attestation', 'is required for paper consent (the scanned form\'s SHA-256 and the witness)');

  const agreement = await consentStore.agreementById(tx, input.agreement_id);
  if (!agreement) throw fail('body.agreement_id', 'is not a known data agreement');
  if (agreement.state !== 'published') throw fail('body.agreement_id', 'is a draft; only published agreements can be consented to');
  if (NO_CONSENT_NEEDED.has(agreement.lawful_basis)) {
    throw fail('body.agreement_id', `rests on ${agreement.lawful_basis}, which needs no individual consent`);
  }
  if (!(await personStore.byId(tx, personId, actor.self ? null : scopeParam(ctx.principal)))) throw notFound('person');
  if (input.for_household_id) {
    if (!agreement.household_consent) throw fail('body.for_household_id', 'this agreement does not let a household head consent for the household');
    const household = await householdStore.byId(tx, input.for_household_id, actor.self ? null : scopeParam(ctx.principal));
    if (!household || household.head_person_id !== personId) throw fail('body.for_household_id', 'the person is not the head of this household');
  }

  const validFrom = input.valid_from ? new Date(input.valid_from) : new Date();
  const latest = new Date(validFrom.getTime() + agreement.max_validity_days * DAY_MS);
  const validUntil = input.valid_until ? new Date(input.valid_until) : latest;
  if (validUntil <= validFrom) throw fail('body.valid_until', 'must be after valid_from');
  if (validUntil > latest) throw fail('body.valid_until', `must be at most ${agreement.max_validity_days} days after valid_from (${latest.toISOString()})`);

  const state = input.decision ?? 'given';
  const status = state === 'given' ? await consentStore.allocateStatus(tx) : undefined;
  const id = uuidv7();
  const row = {
    id, person_id: personId, agreement_id: agreement.id, agreement_hash: agreement.hash!, for_household_id: input.for_household_id ?? null,
    state, valid_from: validFrom, valid_until: validUntil, channel, collected_by: ctx.principal.id,
    proxy: input.proxy ?? null, attestation: input.attestation ?? null, status_list_id: status?.listId ?? null, status_idx: status?.idx ?? null,
  };
  await consentStore.insertConsent(tx, row);
  await addRevision(tx, ctx, row, 1, state, validUntil, null);
  await emitConsentEvents(tx, state === 'given' ? 'consent.given' : 'consent.refused', [row]);
  await ctx.audit.recordIn(tx, auditEntries(ctx, [{
    action: 'create', entity: 'consent', entityId: id, subjectPersonId: personId,
    fields: ['state', 'agreement_id', 'valid_from', 'valid_until', 'channel', ...(input.proxy ? ['proxy'] : []), ...(input.attestation ? ['attestation'] : [])],
    details: { agreement: agreement.id, purpose: agreement.purpose_code, state },
  }]));
  return (await consentStore.consentById(tx, id))!;
}

/** A consent the actor may see: their own (self), or of a person in the officer's areas. Misses look alike. */
async function visibleConsent(db: Db, ctx: Ctx, id: string, actor: Actor, forUpdate = false): Promise<ConsentWithAgreement> {
  const c = await consentStore.consentById(db, id, forUpdate);
  if (!c) throw notFound('consent');
  if (actor.self ? c.person_id !== actor.personId : !(await personStore.byId(db, c.person_id, scopeParam(ctx.principal)))) throw notFound('consent');
  return c;
}

export async function getConsent(ctx: Ctx, id: string, actor: Actor): Promise<ConsentWithAgreement & { revisions: Revision[]; chain_intact: boolean }> {
  const c = await visibleConsent(ctx.db, ctx, id, actor);
  const revisions = await consentStore.revisions(ctx.db, id);
  await ctx.audit.recordReads(auditEntries(ctx, [{ action: 'read', entity: 'consent', entityId: id, subjectPersonId: c.person_id, fields: ['consent'] }]));
  return { ...c, revisions: revisions.map(toRevision), chain_intact: verifyRevisions(id, c.agreement_hash, revisions) };
}

export async function listConsents(
  ctx: Ctx,
  query: { person_id?: string; recipient?: string; state?: string; limit: number; after?: string },
  actor: Actor,
): Promise<ConsentWithAgreement[]> {
  const personId = actor.self ? actor.personId : query.person_id;
  if (!actor.self && personId === undefined && query.recipient === undefined) {
    throw new HubError(400, 'request.invalid', 'Give person_id or recipient.', { errors: [{ field: 'query.person_id', message: 'or query.recipient is required' }] });
  }
  let rows = await consentStore.consentsOf(ctx.db, { personId, recipient: query.recipient, state: query.state }, query.limit, query.after);
  if (!actor.self && ctx.principal.areas) {
    const visible = await Promise.all(rows.map((r) => personStore.byId(ctx.db, r.person_id, scopeParam(ctx.principal))));
    rows = rows.filter((_, i) => visible[i]);
  }
  await ctx.audit.recordReads(auditEntries(ctx, rows.map((r) => ({ action: 'read' as const, entity: 'consent', entityId: r.id, subjectPersonId: r.person_id, fields: ['consent'] }))));
  return rows;
}

/** Takes a given consent back: state withdrawn, the token's status bit set, in one transaction. */
export async function withdrawConsent(ctx: Ctx, id: string, actor: Actor, note?: string): Promise<ConsentWithAgreement> {
  const withdrawn = await ctx.db.transaction(async (tx) => {
    const c = await visibleConsent(tx, ctx, id, actor, true);
    if (c.state !== 'given') throw conflict('consent.not_given', `The consent is ${c.state}; only a given consent can be withdrawn.`);
    const revision = c.revision + 1;
    await consentStore.setState(tx, id, 'withdrawn', c.valid_until, revision);
    await consentStore.setStatusBit(tx, c.status_list_id!, c.status_idx!);
    await addRevision(tx, ctx, c, revision, 'withdrawn', c.valid_until, note ?? null);
    await emitConsentEvents(tx, 'consent.withdrawn', [c]);
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'update', entity: 'consent', entityId: id, subjectPersonId: c.person_id, fields: ['state'], details: { state: 'withdrawn' } }]));
    return (await consentStore.consentById(tx, id))!;
  });
  // verifiers outside see it once their copy's ttl runs out; the hub's own copy goes now
  await forgetStatusList(ctx.cache, withdrawn.status_list_id!).catch((err) => ctx.log.warn({ err: (err as Error).message }, 'status list cache not cleared'));
  return withdrawn;
}

/** Extends a given (or expired) consent to a new valid_until within the agreement's limit. */
export async function renewConsent(ctx: Ctx, id: string, actor: Actor, validUntilText: string | undefined): Promise<ConsentWithAgreement> {
  return ctx.db.transaction(async (tx) => {
    const c = await visibleConsent(tx, ctx, id, actor, true);
    if (c.state !== 'given' && c.state !== 'expired') throw conflict('consent.not_renewable', `The consent is ${c.state}; record a new consent instead.`);
    const now = new Date();
    const latest = new Date(now.getTime() + c.agreement.max_validity_days * DAY_MS);
    const validUntil = validUntilText ? new Date(validUntilText) : latest;
    if (validUntil <= now || validUntil <= c.valid_from) throw fail('body.valid_until', 'must be in the future');
    if (validUntil > latest) throw fail('body.valid_until', `must be at most ${c.agreement.max_validity_days} days from now (${latest.toISOString()})`);
    const revision = c.revision + 1;
    await consentStore.setState(tx, id, 'given', validUntil, revision);
    await addRevision(tx, ctx, c, revision, 'given', validUntil, 'renewed');
    await emitConsentEvents(tx, 'consent.renewed', [{ ...c, valid_until: validUntil }]);
    await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'update', entity: 'consent', entityId: id, subjectPersonId: c.person_id, fields: ['state', 'valid_until'] }]));
    return (await consentStore.consentById(tx, id))!;
  });
}

/** Marks given consents past valid_until as expired (a revision each); returns them. Decisions stopped counting them already. */
export async function expireConsents(ctx: Ctx, batch = 500): Promise<{ id: string; person_id: string }[]> {
  const expired: { id: string; person_id: string }[] = [];
  for (;;) {
    const done = await ctx.db.transaction(async (tx) => {
      const due = await consentStore.lockExpired(tx, batch);
      for (const c of due) {
        await consentStore.setState(tx, c.id, 'expired', c.valid_until, c.revision + 1);
        await addRevision(tx, ctx, c, c.revision + 1, 'expired', c.valid_until, 'past valid_until');
      }
      await emitConsentEvents(tx, 'consent.expired', due);
      if (due.length) {
        await ctx.audit.recordIn(tx, auditEntries(ctx, due.map((c) => ({ action: 'update' as const, entity: 'consent', entityId: c.id, subjectPersonId: c.person_id, fields: ['state'], details: { state: 'expired' } }))));
      }
      return due;
    });
    expired.push(...done.map((c) => ({ id: c.id, person_id: c.person_id })));
    if (done.length < batch) return expired;
  }
}
