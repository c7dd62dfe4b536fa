// What a push's items are checked against, read once per push rather than once per item: the published form versions
// they name (immutable once published), which of their area codes exist and which the caller may register in, and
// which of their attachments are completely uploaded (a complete upload stays complete).
import { publishedDefinition, validateWithDefinition, type FormDefinition, type ValidateOptions } from '../forms/index.js';
import { householdStore } from '../registry/households/store.js';
import { scopeParam } from '../registry/scope.js';
import type { Ctx } from '../server/context.js';
import type { FieldError } from '../server/errors.js';
import { missingAttachments } from './attachments.js';
import type { PushItem } from './types.js';

export interface PushLookups {
  /** Validates against exactly the form version named (as validateSubmission, without a query per call). */
  validate(form: { id: string; version: number }, data: unknown, options: ValidateOptions & { formAt: string }): FieldError[];
  /** Area codes of the batch the caller may register in (their areas and below). */
  usableAreas: ReadonlySet<string>;
  /** Area codes of the batch that exist at all. */
  knownAreas: ReadonlySet<string>;
  /** Attachment hashes of the batch not (completely) uploaded. */
  missingAttachments: ReadonlySet<string>;
}

const formKey = (form: { id: string; version: number }) => `${form.id}@${form.version}`;

export async function loadLookups(ctx: Ctx, items: readonly PushItem[]): Promise<PushLookups> {
  const forms = new Map<string, FormDefinition | undefined>();
  for (const item of items) {
    const key = formKey(item.form);
    if (!forms.has(key)) forms.set(key, await publishedDefinition(ctx.db, item.form));
  }
  const areas = [...new Set(items.flatMap((i) => [i.household?.area_code, i.changes?.household?.area_code]).filter((a): a is string => typeof a === 'string'))];
  const usableAreas = areas.length ? await householdStore.usableAreas(ctx.db, areas, scopeParam(ctx.principal)) : new Set<string>();
  const knownAreas = areas.length ? await householdStore.usableAreas(ctx.db, areas, null) : new Set<string>();
  const missing = new Set(await missingAttachments(ctx.db, items.flatMap((i) => (i.attachments ?? []).map((a) => a.sha256))));
  return {
    validate(form, data, options) {
      const definition = forms.get(formKey(form));
      if (!definition) return [{ field: options.formAt, message: `form ${form.id} version ${form.version} is not a published form version` }];
      return validateWithDefinition(definition, data, options);
    },
    usableAreas,
    knownAreas,
    missingAttachments: missing,
  };
}
