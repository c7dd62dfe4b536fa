// SQL for data agreements, consents, their revisions and the status lists. Parameters only.
import type { Db } from '../core/db/index.js';
import type { AgreementInput, ConsentChannel, ConsentState, Proxy, Revision } from './types.js';

/** An agreement as stored: what was given (AgreementInput) and what the hub adds. */
export interface AgreementRow extends Required<AgreementInput> {
  id: string;
  version: number;
  state: 'draft' | 'published';
  hash: string | null;
  created_by: string;
  created_at: Date;
  published_at: Date | null;
}

export interface ConsentRow {
  id: string;
  person_id: string;
  agreement_id: string;
  agreement_hash: string;
  for_household_id: string | null;
  state: ConsentState;
  valid_from: Date;
  valid_until: Date;
  channel: ConsentChannel;
  collected_by: string;
  proxy: Proxy | null;
  attestation: { form_sha256: string; witness: string } | null;
  revision: number;
  status_list_id: number | null;
  status_idx: number | null;
  created_at: Date;
  updated_at: Date;
}

/** A consent with the agreement version it refers to. */
export interface ConsentWithAgreement extends ConsentRow {
  agreement: AgreementRow;
}

export interface RevisionRow extends Omit<Revision, 'valid_from' | 'valid_until' | 'changed_at'> {
  consent_id: string;
  valid_from: Date;
  valid_until: Date;
  changed_at: Date;
}

/**
 * An API client is the principal 'client:<client_id>'; agreements may name it either way. Programs are named as they
 * are.
 */
export function recipientForms(recipient: string): string[] {
  return recipient.startsWith('client:') ? [recipient, recipient.slice('client:'.length)] : [recipient, `client:${recipient}`];
}

/** Tokens per status list: 16 KiB of bits, the W3C Bitstring Status List minimum for herd privacy. */
export const STATUS_LIST_SIZE = 131_072;

const withAgreement = `select c.*, to_jsonb(a.*) as agreement from consent c join data_agreement a on a.id = c.agreement_id`;

function agreementOf(row: ConsentRow & { agreement: AgreementRow & { created_at: string | Date; published_at: string | Date | null } }): ConsentWithAgreement {
  const a = row.agreement;
  return {
    ...row,
    agreement: { ...a, created_at: new Date(a.created_at), published_at: a.published_at === null ? null : new Date(a.published_at) },
  };
}

export const consentStore = {
  async insertAgreement(tx: Db, row: Omit<AgreementRow, 'created_at' | 'published_at' | 'hash' | 'state'>): Promise<AgreementRow> {
    const [created] = await tx.query<AgreementRow>(
      `insert into data_agreement (id, code, version, state, purpose_code, purpose_text, lawful_basis, categories, recipients,
         controller, retention_days, max_validity_days, household_consent, created_by)
       values ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning *`,
      [row.id, row.code, row.version, row.purpose_code, JSON.stringify(row.purpose_text), row.lawful_basis, row.categories,
        row.recipients, JSON.stringify(row.controller), row.retention_days, row.max_validity_days, row.household_consent, row.created_by],
    );
    return created;
  },

  async nextAgreementVersion(tx: Db, code: string): Promise<number> {
    const [row] = await tx.query<{ next: number }>('select coalesce(max(version), 0) + 1 as next from data_agreement where code = $1', [code]);
    return row.next;
  },

  async agreementById(db: Db, id: string, forUpdate = false): Promise<AgreementRow | undefined> {
    const [row] = await db.query<AgreementRow>(`select * from data_agreement where id = $1${forUpdate ? ' for update' : ''}`, [id]);
    return row;
  },

  async listAgreements(db: Db, filter: { code?: string; purposeCode?: string; state?: string }): Promise<AgreementRow[]> {
    return db.query<AgreementRow>(
      `select * from data_agreement
       where ($1::text is null or code = $1) and ($2::text is null or purpose_code = $2) and ($3::text is null or state = $3)
       order by code, version`,
      [filter.code ?? null, filter.purposeCode ?? null, filter.state ?? null],
    );
  },

  async publishAgreement(tx: Db, id: string, hash: string): Promise<AgreementRow> {
    const [row] = await tx.query<AgreementRow>(
      `update data_agreement set state = 'published', hash = $2, published_at = now() where id = $1 returning *`,
      [id, hash],
    );
    return row;
  },

  /** Published agreements for a purpose that name this recipient (in either of its spellings). */
  async agreementsFor(db: Db, purposeCode: string, recipient: string): Promise<AgreementRow[]> {
    return db.query<AgreementRow>(
      `select * from data_agreement where state = 'published' and purpose_code = $1 and recipients && $2::text[]`,
      [purposeCode, recipientForms(recipient)],
    );
  },

  async insertConsent(tx: Db, row: Omit<ConsentRow, 'created_at' | 'updated_at' | 'revision'>): Promise<void> {
    await tx.query(
      `insert into consent (id, person_id, agreement_id, agreement_hash, for_household_id, state, valid_from, valid_until, channel,
         collected_by, proxy, attestation, status_list_id, status_idx)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [row.id, row.person_id, row.agreement_id, row.agreement_hash, row.for_household_id, row.state, row.valid_from, row.valid_until,
        row.channel, row.collected_by, row.proxy === null ? null : JSON.stringify(row.proxy),
        row.attestation === null ? null : JSON.stringify(row.attestation), row.status_list_id, row.status_idx],
    );
  },

  async consentById(db: Db, id: string, forUpdate = false): Promise<ConsentWithAgreement | undefined> {
    const [row] = await db.query<Parameters<typeof agreementOf>[0]>(`${withAgreement} where c.id = $1${forUpdate ? ' for update of c' : ''}`, [id]);
    return row && agreementOf(row);
  },

  async consentsOf(db: Db, filter: { personId?: string; recipient?: string; state?: string }, limit: number, after?: string): Promise<ConsentWithAgreement[]> {
    const rows = await db.query<Parameters<typeof agreementOf>[0]>(
      `${withAgreement}
       where ($1::uuid is null or c.person_id = $1) and ($2::text[] is null or a.recipients && $2::text[])
         and ($3::text is null or c.state = $3) and ($4::uuid is null or c.id > $4)
       order by c.id limit $5`,
      [filter.personId ?? null, filter.recipient === undefined ? null : recipientForms(filter.recipient), filter.state ?? null, after ?? null, limit],
    );
    return rows.map(agreementOf);
  },

  /**
   * Every consent that may concern these people: their own, and those their current household's head gave for the
   * household. Returns each with the person it was looked up for.
   */
  async consentsConcerning(db: Db, personIds: string[]): Promise<(ConsentWithAgreement & { concerns: string })[]> {
    const rows = await db.query<ConsentRow & { concerns: string }>(
      `with people as (select unnest($1::uuid[]) as person_id)
       select p.person_id as concerns, c.* from consent c join people p on c.person_id = p.person_id
       union all
       select m.person_id as concerns, c.* from consent c
       join data_agreement a on a.id = c.agreement_id and a.household_consent
       join membership m on m.household_id = c.for_household_id and m.end_date is null
       join household h on h.id = c.for_household_id and h.head_person_id = c.person_id
       join people p on p.person_id = m.person_id
       where c.for_household_id is not null and m.person_id <> c.person_id`,
      [personIds],
    );
    // few agreements, many consents: each agreement is read once
    const ids = [...new Set(rows.map((r) => r.agreement_id))];
    const agreements = new Map(
      (ids.length ? await db.query<AgreementRow>('select * from data_agreement where id = any($1::uuid[])', [ids]) : []).map((a) => [a.id, a]),
    );
    return rows.map((r) => ({ ...r, agreement: agreements.get(r.agreement_id)! }));
  },

  async setState(tx: Db, id: string, state: ConsentState, validUntil: Date, revision: number): Promise<void> {
    await tx.query('update consent set state = $2, valid_until = $3, revision = $4, updated_at = now() where id = $1', [id, state, validUntil, revision]);
  },

  async insertRevision(tx: Db, row: RevisionRow): Promise<void> {
    await tx.query(
      `insert into consent_revision (consent_id, revision, state, valid_from, valid_until, changed_by, changed_at, note, prev_hash, hash)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [row.consent_id, row.revision, row.state, row.valid_from, row.valid_until, row.changed_by, row.changed_at, row.note, row.prev_hash, row.hash],
    );
  },

  async revisions(db: Db, consentId: string): Promise<RevisionRow[]> {
    return db.query<RevisionRow>('select * from consent_revision where consent_id = $1 order by revision', [consentId]);
  },

  /** Given consents past their expiry, locked for the expiry job (another instance skips them). */
  async lockExpired(tx: Db, limit: number): Promise<ConsentRow[]> {
    return tx.query<ConsentRow>(
      `select * from consent where state = 'given' and valid_until <= now() order by valid_until limit $1 for update skip locked`,
      [limit],
    );
  },

  /** The next status list entry: numbers from a sequence never collide between instances (gaps are harmless). */
  async allocateStatus(tx: Db): Promise<{ listId: number; idx: number }> {
    const [{ n }] = await tx.query<{ n: number }>(`select nextval('consent_status_seq') as n`);
    const listId = Math.floor(n / STATUS_LIST_SIZE) + 1;
    await tx.query(
      `insert into consent_status_list (id, bits) values ($1, decode(repeat('00', $2), 'hex')) on conflict (id) do nothing`,
      [listId, STATUS_LIST_SIZE / 8],
    );
    return { listId, idx: n % STATUS_LIST_SIZE };
  },

  /** Marks a token invalid: set_bit numbers bits from the least significant of byte 0, the IETF order. */
  async setStatusBit(tx: Db, listId: number, idx: number): Promise<void> {
    await tx.query('update consent_status_list set bits = set_bit(bits, $2, 1), updated_at = now() where id = $1', [listId, idx]);
  },

  async statusList(db: Db, listId: number): Promise<{ bits: Buffer; updated_at: Date } | undefined> {
    const [row] = await db.query<{ bits: Buffer | Uint8Array; updated_at: Date }>('select bits, updated_at from consent_status_list where id = $1', [listId]);
    return row && { bits: Buffer.from(row.bits), updated_at: row.updated_at };
  },
};
