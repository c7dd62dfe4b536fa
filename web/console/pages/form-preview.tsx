// A form as the field app shows it, answered here: core/forms/render.ts decides what is asked (skip logic, live on
// every answer) and validate.ts what is wrong, the same pure modules the hub and the field app run.
import { useMemo, useState } from 'preact/hooks';
import type { FormDefinition } from '../../../core/forms/definition.js';
import { renderForm, type RenderedField } from '../../../core/forms/render.js';
import type { PageProps } from '../context.js';
import { Button, Field } from '../../shared/ui.js';

type Data = Record<string, unknown>;
const today = () => new Date().toISOString().slice(0, 10);

export function FormPreview({ definition, t }: { definition: FormDefinition; t: PageProps['t'] }) {
  const [language, setLanguage] = useState(definition.default_language);
  const [data, setData] = useState<Data>({});
  // a question's problem shows once it was answered, or everywhere after "check": not "required" all over a fresh form
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [checkAll, setCheckAll] = useState(false);
  const rendered = useMemo(() => renderForm(definition, data, language, today()), [definition, data, language]);
  const errorAt = (path: string) => (checkAll || touched.has(path) ? rendered.errors.find((e) => e.field === path)?.message : undefined);
  const answer = (index: number | null, path: string, value: unknown) => {
    setTouched(new Set(touched).add(index === null ? `body.data.${path}` : `body.data.members[${index}].${path}`));
    setData(pruned(definition, language, withValue(data, index, path, value)));
  };
  const reset = () => (setData({}), setTouched(new Set()), setCheckAll(false));
  const hasMembers = definition.ui.sections.some((s) => s.repeat === 'members');

  return (
    <div class="form-preview" data-testid="form-preview" lang={rendered.language}>
      <Field id="preview-language" label={t('forms.preview_language')}>
        <select id="preview-language" class="compact" value={language} onChange={(e) => setLanguage((e.target as HTMLSelectElement).value)}>
          {definition.languages.map((l) => <option value={l}>{l}</option>)}
        </select>
      </Field>
      {rendered.sections.map((section) => section.items.filter((item) => item.asked).map((item) => (
        <fieldset class="preview-section">
          <legend>{section.title}{item.index !== null ? ` ${item.index + 1}` : ''}</legend>
          {item.fields.filter((f) => f.asked).map((f) => (
            <PreviewField field={f} id={`pv-${section.id}-${item.index ?? 'r'}-${f.path}`} t={t}
              error={errorAt(item.index === null ? `body.data.${f.path}` : `body.data.members[${item.index}].${f.path}`)}
              onAnswer={(value) => answer(item.index, f.path, value)} />
          ))}
        </fieldset>
      )))}
      {hasMembers && <Button variant="secondary" onClick={() => setData({ ...data, members: [...(Array.isArray(data.members) ? data.members : []), {}] })}>{t('forms.add_member')}</Button>}
      <p data-testid="preview-error-count">{t('forms.preview_errors', { count: rendered.errors.length })}</p>
      {checkAll && rendered.errors.length > 0 && <ul class="preview-errors">{rendered.errors.slice(0, 20).map((e) => <li><code>{e.field.replace('body.data.', '')}</code>: {e.message}</li>)}</ul>}
      <div class="actions">
        <Button variant="secondary" onClick={() => setCheckAll(true)}>{t('forms.preview_check')}</Button>
        <Button variant="secondary" onClick={reset}>{t('forms.preview_reset')}</Button>
      </div>
    </div>
  );
}

function PreviewField({ field: f, id, error, onAnswer, t }: { field: RenderedField; id: string; error?: string; onAnswer: (v: unknown) => void; t: PageProps['t'] }) {
  const label = `${f.label}${f.required ? ' *' : ''}`;
  const common = { 'data-testid': 'preview-field', 'data-path': f.path };
  if (f.type === 'note') return <p class="note" {...common}>{f.label}</p>;
  let input;
  switch (f.type) {
    case 'boolean':
      input = (
        <select id={id} {...common} value={f.value === undefined ? '' : String(f.value)} onChange={(e) => onAnswer(bool((e.target as HTMLSelectElement).value))}>
          <option value="">—</option><option value="true">{t('ops.yes')}</option><option value="false">{t('ops.no')}</option>
        </select>
      );
      break;
    case 'select_one':
      input = (
        <select id={id} {...common} value={(f.value as string) ?? ''} onChange={(e) => onAnswer((e.target as HTMLSelectElement).value || undefined)}>
          <option value="">—</option>
          {(f.choices ?? []).map((c) => <option value={c.value}>{c.label}</option>)}
        </select>
      );
      break;
    case 'select_multiple': {
      const chosen = Array.isArray(f.value) ? (f.value as string[]) : [];
      return (
        <fieldset class="field choices" {...common}>
          <legend>{label}</legend>
          {f.hint && <p class="hint">{f.hint}</p>}
          {(f.choices ?? []).map((c) => (
            <label class="choice"><input type="checkbox" checked={chosen.includes(c.value)}
              onChange={(e) => onAnswer(toggle(chosen, c.value, (e.target as HTMLInputElement).checked))} /> {c.label}</label>
          ))}
          {error && <p class="field-error" role="alert">{error}</p>}
        </fieldset>
      );
    }
    case 'integer':
    case 'decimal':
      input = <input id={id} {...common} type="number" step={f.type === 'integer' ? '1' : 'any'} value={(f.value as number | undefined) ?? ''}
        onInput={(e) => onAnswer(num((e.target as HTMLInputElement).value))} />;
      break;
    case 'date':
      input = <input id={id} {...common} type="date" value={(f.value as string) ?? ''} onInput={(e) => onAnswer((e.target as HTMLInputElement).value || undefined)} />;
      break;
    case 'geopoint':
    case 'attachment':
      input = <input id={id} {...common} disabled value={t('forms.not_in_preview')} />;
      break;
    default:
      input = <input id={id} {...common} value={(f.value as string) ?? ''} onInput={(e) => onAnswer((e.target as HTMLInputElement).value || undefined)} />;
  }
  return <Field id={id} label={label} hint={f.hint} error={error}>{input}</Field>;
}

const bool = (v: string) => (v === '' ? undefined : v === 'true');
const num = (v: string) => (v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));
const toggle = (list: string[], value: string, on: boolean) => {
  const next = on ? [...list, value] : list.filter((v) => v !== value);
  return next.length ? next : undefined;
};

/** The data with one answer set (undefined removes it), at a dotted path in the record or in member `index`. */
function withValue(data: Data, index: number | null, path: string, value: unknown): Data {
  const copy = structuredClone(data);
  let target: Data;
  if (index === null) target = copy;
  else {
    const members = (copy.members as Data[] | undefined) ?? [];
    target = members[index] ??= {};
    copy.members = members;
  }
  const parts = path.split('.');
  for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as Data;
  const last = parts[parts.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

/** Answers to questions no longer asked are dropped, as the field app does (the hub refuses them). */
function pruned(definition: FormDefinition, language: string, data: Data): Data {
  let current = data;
  for (let round = 0; round < 5; round++) {
    const { sections } = renderForm(definition, current, language, today());
    let changed = false;
    for (const section of sections) {
      for (const item of section.items) {
        for (const f of item.fields) {
          if (!(item.asked && f.asked) && f.value !== undefined) {
            current = withValue(current, item.index, f.path, undefined);
            changed = true;
          }
        }
      }
    }
    if (!changed) break;
  }
  return current;
}
