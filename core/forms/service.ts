// The rules for forms: drafts are edited (If-Match on their revision), a published version never changes, and
// submissions are validated against exactly the version they name.
import { auditEntries } from '../audit/entry.js';
import type { Db } from '../db/index.js';
import type { Ctx } from '../server/context.js';
import { conflict, HubError, staleVersion, unprocessable, type FieldError } from '../server/errors.js';
import type { HouseholdInput } from '../registry/types.js';
import { checkDefinition, type FormDefinition, type Text } from './definition.js';
import { DEFAULT_FORM_ID, DEFAULT_FORM_TITLE, defaultHouseholdForm } from './default-household.js';
import { renderForm } from './render.js';
import { formStore, type FormRow } from './store.js';
import { validateWithDefinition, type ValidateOptions } from './validate.js';

export interface FormVersion {
  form_id: string;
  version: number;
  status: 'draft' | 'published';
  revision: number;
  title: Text;
  definition: FormDefinition;
  created_by: string;
  updated_by: string;
  created_at: string;
  updated_at: string;
  published_at: string | null;
}

export interface FormSummary {
  form_id: string;
  title: Text;
  latest_published_version: number | null;
  draft_version: number | null;
  versions: { version: number; status: 'draft' | 'published'; revision: number; published_at: string | null }[];
}

const view = (row: FormRow): FormVersion => ({
  form_id: row.form_id,
  version: row.version,
  status: row.status,
  revision: row.revision,
  title: row.title,
  definition: row.definition,
  created_by: row.created_by,
  updated_by: row.updated_by,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
  published_at: row.published_at?.toISOString() ?? null,
});

const canManage = (ctx: Ctx) => ctx.principal.scopes.has('forms.manage');
const formNotFound = () => new HubError(404, 'form.not_found', 'No such form version (drafts are seen only with forms.manage).');

function checkTitle(title: unknown, definition: FormDefinition | undefined, errors: FieldError[]): void {
  const languages = Array.isArray(definition?.languages) ? definition!.languages : [];
  if (typeof title !== 'object' || title === null) return void errors.push({ field: 'body.title', message: 'must be texts by language' });
  const missing = languages.filter((l) => typeof (title as Text)[l] !== 'string' || (title as Text)[l] === '');
  if (missing.length) errors.push({ field: 'body.title', message: `needs a text in ${missing.join(', ')}` });
}

function checked(title: Text, definition: FormDefinition): void {
  const errors = checkDefinition(definition, 'body.definition');
  checkTitle(title, definition, errors);
  if (errors.length) throw unprocessable('form.invalid', errors, 'The form definition is not valid.');
}

async function audit(tx: Db, ctx: Ctx, formId: string, version: number, what: string): Promise<void> {
  await ctx.audit.recordIn(tx, auditEntries(ctx, [{ action: 'admin', entity: 'form', entityId: `${formId}@${version}`, details: { change: what } }]));
}

export async function listForms(ctx: Ctx): Promise<FormSummary[]> {
  const rows = (await formStore.summaries(ctx.db)).filter((r) => r.status === 'published' || canManage(ctx));
  const byForm = new Map<string, typeof rows>();
  for (const r of rows) byForm.set(r.form_id, [...(byForm.get(r.form_id) ?? []), r]);
  return [...byForm.values()].map((versions) => {
    const published = versions.filter((v) => v.status === 'published');
    const latest = published.at(-1) ?? versions.at(-1)!;
    return {
      form_id: latest.form_id,
      title: latest.title,
      latest_published_version: published.at(-1)?.version ?? null,
      draft_version: versions.find((v) => v.status === 'draft')?.version ?? null,
      versions: versions.map((v) => ({ version: v.version, status: v.status, revision: v.revision, published_at: v.published_at?.toISOString() ?? null })),
    };
  });
}

export async function getFormVersion(ctx: Ctx, formId: string, version: number): Promise<FormVersion> {
  const row = await formStore.get(ctx.db, formId, version);
  if (!row || (row.status === 'draft' && !canManage(ctx))) throw formNotFound();
  return view(row);
}

export async function createForm(ctx: Ctx, input: { form_id: string; title: Text; definition: FormDefinition }): Promise<FormVersion> {
  checked(input.title, input.definition);
  return ctx.db.transaction(async (tx) => {
    const created = await formStore.insert(tx, { form_id: input.form_id, version: 1, title: input.title, definition: input.definition, by: ctx.principal.id });
    if (!created) throw conflict('form.exists', `A form ${input.form_id} exists already; add a version to it instead.`);
    await audit(tx, ctx, input.form_id, 1, 'create');
    return view((await formStore.get(tx, input.form_id, 1))!);
  });
}

/** A new draft version, from the body's definition or a copy of the newest version. */
export async function createFormVersion(ctx: Ctx, formId: string, input: { title?: Text; definition?: FormDefinition }): Promise<FormVersion> {
  return ctx.db.transaction(async (tx) => {
    const versions = await formStore.versions(tx, formId);
    if (versions.length === 0) throw formNotFound();
    const draft = versions.find((v) => v.status === 'draft');
    if (draft) throw conflict('form.draft_exists', `Version ${draft.version} is still a draft; edit or publish it first.`, { draft_version: draft.version });
    const newest = versions.at(-1)!;
    const title = input.title ?? newest.title;
    const definition = input.definition ?? newest.definition;
    checked(title, definition);
    const version = newest.version + 1;
    // two requests racing for the same number: the unique key lets one in
    if (!(await formStore.insert(tx, { form_id: formId, version, title, definition, by: ctx.principal.id }))) {
      throw conflict('form.draft_exists', 'Another draft was created at the same time; read the form again.');
    }
    await audit(tx, ctx, formId, version, 'create_version');
    return view((await formStore.get(tx, formId, version))!);
  });
}

async function lockDraft(tx: Db, formId: string, version: number, ifMatch: number): Promise<FormRow> {
  const row = await formStore.get(tx, formId, version, true);
  if (!row) throw formNotFound();
  if (row.status === 'published') {
    throw conflict('form.published', `Version ${version} is published and cannot change; create a new version (POST /api/v1/forms/${formId}/versions).`);
  }
  if (row.revision !== ifMatch) throw staleVersion('form', row.revision);
  return row;
}

export async function updateDraft(ctx: Ctx, formId: string, version: number, ifMatch: number, input: { title: Text; definition: FormDefinition }): Promise<FormVersion> {
  return ctx.db.transaction(async (tx) => {
    await lockDraft(tx, formId, version, ifMatch);
    checked(input.title, input.definition);
    await formStore.replaceDraft(tx, formId, version, input.title, input.definition, ctx.principal.id);
    await audit(tx, ctx, formId, version, 'update_draft');
    return view((await formStore.get(tx, formId, version))!);
  });
}

export async function publishForm(ctx: Ctx, formId: string, version: number, ifMatch: number): Promise<FormVersion> {
  return ctx.db.transaction(async (tx) => {
    const row = await lockDraft(tx, formId, version, ifMatch);
    checked(row.title, row.definition);
    await formStore.publish(tx, formId, version, ctx.principal.id);
    await audit(tx, ctx, formId, version, 'publish');
    return view((await formStore.get(tx, formId, version))!);
  });
}

export async function previewForm(ctx: Ctx, formId: string, version: number, input: { data?: Record<string, unknown>; language?: string; today?: string }) {
  const form = await getFormVersion(ctx, formId, version);
  return renderForm(form.definition, input.data ?? {}, input.language ?? form.definition.default_language, input.today ?? new Date().toISOString().slice(0, 10));
}

// published versions never change, so they are cached per database
const publishedCache = new WeakMap<Db, Map<string, FormDefinition>>();

/** A published version's definition, or undefined (no such version, or still a draft). */
export async function publishedDefinition(db: Db, form: { id: string; version: number }): Promise<FormDefinition | undefined> {
  const key = `${form.id}@${form.version}`;
  let cache = publishedCache.get(db);
  const hit = cache?.get(key);
  if (hit) return hit;
  const row = await formStore.get(db, form.id, form.version);
  if (!row || row.status !== 'published') return undefined;
  if (!cache) publishedCache.set(db, (cache = new Map()));
  if (cache.size > 500) cache.clear();
  cache.set(key, row.definition);
  return row.definition;
}

/**
 * Validates a household against exactly the form version it names (P5's form check, the sync push). An unknown or
 * unpublished version is an error on `form`.
 */
export async function validateSubmission(
  db: Db,
  form: { id: string; version: number },
  household: HouseholdInput | Record<string, unknown>,
  options: ValidateOptions & { formAt?: string } = {},
): Promise<FieldError[]> {
  const definition = await publishedDefinition(db, form);
  if (!definition) return [{ field: options.formAt ?? 'form', message: `form ${form.id} version ${form.version} is not a published form version` }];
  return validateWithDefinition(definition, household, options);
}

/** Installs the default questionnaire the first time the hub starts (nothing when the form exists). */
export async function installDefaultForms(db: Db): Promise<boolean> {
  const definition = defaultHouseholdForm();
  const errors = checkDefinition(definition);
  if (errors.length) throw new Error(`the default questionnaire is not valid: ${JSON.stringify(errors.slice(0, 5))}`);
  return formStore.installPublished(db, DEFAULT_FORM_ID, DEFAULT_FORM_TITLE, definition);
}
