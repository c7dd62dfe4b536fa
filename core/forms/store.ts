// SQL for form definitions, with parameters.
import type { Db } from '../db/index.js';
import type { FormDefinition, Text } from './definition.js';

export interface FormRow {
  form_id: string;
  version: number;
  status: 'draft' | 'published';
  revision: number;
  title: Text;
  definition: FormDefinition;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
  published_by: string | null;
  published_at: Date | null;
}

export const formStore = {
  async get(db: Db, formId: string, version: number, forUpdate = false): Promise<FormRow | undefined> {
    const [row] = await db.query<FormRow>(
      `select * from form_definition where form_id = $1 and version = $2${forUpdate ? ' for update' : ''}`,
      [formId, version],
    );
    return row;
  },

  async versions(db: Db, formId: string): Promise<FormRow[]> {
    return db.query<FormRow>('select * from form_definition where form_id = $1 order by version', [formId]);
  },

  /** Every form's versions without their definitions (the list). */
  async summaries(db: Db): Promise<Omit<FormRow, 'definition'>[]> {
    return db.query(
      `select form_id, version, status, revision, title, created_by, updated_by, created_at, updated_at, published_by, published_at
       from form_definition order by form_id, version`,
    );
  },

  /** The newest published version of every form (what a field app needs). */
  async latestPublished(db: Db): Promise<FormRow[]> {
    return db.query<FormRow>(
      `select distinct on (form_id) * from form_definition where status = 'published' order by form_id, version desc`,
    );
  },

  async insert(db: Db, row: { form_id: string; version: number; title: Text; definition: FormDefinition; by: string }): Promise<boolean> {
    const inserted = await db.query(
      `insert into form_definition (form_id, version, status, title, definition, created_by, updated_by)
       values ($1, $2, 'draft', $3, $4, $5, $5) on conflict do nothing returning form_id`,
      [row.form_id, row.version, JSON.stringify(row.title), JSON.stringify(row.definition), row.by],
    );
    return inserted.length > 0;
  },

  async replaceDraft(db: Db, formId: string, version: number, title: Text, definition: FormDefinition, by: string): Promise<void> {
    await db.query(
      `update form_definition set title = $3, definition = $4, revision = revision + 1, updated_by = $5, updated_at = now()
       where form_id = $1 and version = $2 and status = 'draft'`,
      [formId, version, JSON.stringify(title), JSON.stringify(definition), by],
    );
  },

  async publish(db: Db, formId: string, version: number, by: string): Promise<void> {
    await db.query(
      `update form_definition set status = 'published', revision = revision + 1, published_by = $3, published_at = now(),
         updated_by = $3, updated_at = now()
       where form_id = $1 and version = $2 and status = 'draft'`,
      [formId, version, by],
    );
  },

  /** Installs a published version unless the form already exists (first start; idempotent, safe under concurrency). */
  async installPublished(db: Db, formId: string, title: Text, definition: FormDefinition): Promise<boolean> {
    const inserted = await db.query(
      `insert into form_definition (form_id, version, status, revision, title, definition, created_by, updated_by, published_by, published_at)
       select $1, 1, 'published', 1, $2, $3, 'system', 'system', 'system', now()
       where not exists (select 1 from form_definition where form_id = $1)
       on conflict do nothing returning form_id`,
      [formId, JSON.stringify(title), JSON.stringify(definition)],
    );
    return inserted.length > 0;
  },
};
