// A form definition on screen: the questions renderForm (core/forms/render.ts) says are asked, in the form's own
// language, with each answer's errors from the same checks the hub runs. Answers of questions skip logic hides
// are cleared, as the hub requires them empty.
import type { FormDefinition } from '../../core/forms/definition.js';
import { isBlank } from '../../core/forms/expression.js';
import { renderForm, type RenderedField } from '../../core/forms/render.js';
import type { FieldError } from '../shared/api.js';
import { Button } from '../shared/ui.js';
import { answerAt, withAnswer, type Answers } from './record.js';
import type { AdminArea } from './store.js';
import { t } from './i18n/index.js';
import { GeoPoint } from './geopoint.js';

export const today = () => new Date().toISOString().slice(0, 10);

/** Clears the answers of questions no longer asked (skip logic), until nothing changes. */
export function pruneUnasked(definition: FormDefinition, answers: Answers, language: string): Answers {
  let current = answers;
  for (let round = 0; round < 5; round++) {
    let changed = false;
    for (const section of renderForm(definition, current, language, today()).sections) {
      for (const item of section.items) {
        for (const f of item.fields) {
          if (f.asked || f.type === 'note') continue;
          const path = item.index === null ? f.path : `members[${item.index}].${f.path}`;
          if (!isBlank(answerAt(current, path))) {
            current = withAnswer(current, path, undefined);
            changed = true;
          }
        }
      }
    }
    if (!changed) break;
  }
  return current;
}

/** Errors by answer path; `at` is the prefix the checks were given (data -> data.members[0].sex). */
export function errorsByPath(errors: FieldError[], at: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of errors) {
    const raw = e.field ?? '';
    const path = raw === at ? '' : raw.startsWith(`${at}.`) ? raw.slice(at.length + 1) : raw;
    out.set(path, [...(out.get(path) ?? []), e.message]);
  }
  return out;
}

const idOf = (path: string) => `q-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;

interface FormViewProps {
  definition: FormDefinition;
  answers: Answers;
  onChange: (answers: Answers) => void;
  language: string;
  /** Shown once the worker tried to save (or the hub refused). */
  errors: Map<string, string[]>;
  areas: AdminArea[];
  /** Members the registry holds already: relationship fixed, not removable (the sync protocol cannot). */
  fixedMembers: number;
}

export function FormView(props: FormViewProps) {
  const { definition, answers, language, errors } = props;
  const rendered = renderForm(definition, answers, language, today());
  const set = (path: string, value: unknown) => props.onChange(pruneUnasked(definition, withAnswer(answers, path, value), language));
  const shown = new Set<string>();
  const members: Answers[] = answers.members ?? [];

  const fieldOf = (f: RenderedField, path: string, fixed: boolean) => {
    shown.add(path);
    const messages = [...(errors.get(path) ?? []), ...[...errors].filter(([k]) => k.startsWith(`${path}[`)).flatMap(([, v]) => v)];
    [...errors.keys()].filter((k) => k.startsWith(`${path}[`)).forEach((k) => shown.add(k));
    return <Question key={path} field={f} path={path} value={answerAt(answers, path)} onChange={(v) => set(path, v)} messages={messages} areas={props.areas} disabled={fixed} />;
  };

  const body = rendered.sections.map((section) => {
    const repeat = section.items.length !== 1 || section.items[0].index !== null || definition.ui.sections.find((s) => s.id === section.id)?.repeat === 'members';
    if (!repeat) {
      const item = section.items[0];
      if (!item?.asked) return null;
      return (
        <section class="form-section" data-testid={`section-${section.id}`}>
          <h2>{section.title}</h2>
          {item.fields.filter((f) => f.asked).map((f) => (f.type === 'note' ? <p class="note">{f.label}</p> : fieldOf(f, f.path, false)))}
        </section>
      );
    }
    shown.add('members');
    return (
      <section class="form-section" data-testid={`section-${section.id}`}>
        <h2>{section.title}</h2>
        {(errors.get('members') ?? []).map((m) => <p class="field-error" role="alert">{m}</p>)}
        {section.items.map((item) => {
          const index = item.index ?? 0;
          const fixed = index < props.fixedMembers;
          shown.add(`members[${index}]`);
          return (
            <fieldset class="member" data-testid={`member-${index}`}>
              <legend>{t('form.member', { n: index + 1 })}</legend>
              {(errors.get(`members[${index}]`) ?? []).map((m) => <p class="field-error" role="alert">{m}</p>)}
              {item.asked && item.fields.filter((f) => f.asked).map((f) => (f.type === 'note' ? <p class="note">{f.label}</p> : fieldOf(f, `members[${index}].${f.path}`, fixed && f.path === 'relationship')))}
              {!fixed && (
                <Button variant="secondary" onClick={() => props.onChange(pruneUnasked(definition, { ...answers, members: members.filter((_, i) => i !== index) }, language))}>
                  {t('form.remove_member', { n: index + 1 })}
                </Button>
              )}
            </fieldset>
          );
        })}
        <Button variant="secondary" data-testid="add-member" onClick={() => props.onChange({ ...answers, members: [...members, { person: {} }] })}>{t('form.add_member')}</Button>
      </section>
    );
  });
  const others = [...errors].filter(([path]) => !shown.has(path));
  return (
    <div class="form-view">
      {others.length > 0 && (
        <div class="notice notice-error" role="alert" data-testid="form-other-errors">
          <ul>{others.flatMap(([path, messages]) => messages.map((m) => <li>{path ? `${path}: ` : ''}{m}</li>))}</ul>
        </div>
      )}
      {body}
    </div>
  );
}

interface QuestionProps {
  field: RenderedField;
  path: string;
  value: unknown;
  onChange: (value: unknown) => void;
  messages: string[];
  areas: AdminArea[];
  disabled: boolean;
}

function Question({ field, path, value, onChange, messages, areas, disabled }: QuestionProps) {
  const id = idOf(path);
  const described = [field.hint ? `${id}-hint` : '', messages.length ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, 'aria-describedby': described, 'aria-invalid': messages.length ? true : undefined, 'aria-required': field.required || undefined, 'data-testid': `q-${path}`, disabled };
  const grouped = field.type === 'select_multiple' || field.type === 'boolean' || field.type === 'geopoint';
  let control;
  if (field.type === 'select_one' || (path === 'area_code' && areas.length > 0)) {
    const options = field.choices ?? areas.map((a) => ({ value: a.code, label: `${a.name} (${a.code})` }));
    const known = options.some((o) => o.value === value);
    control = (
      <select {...common} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange((e.target as HTMLSelectElement).value || undefined)}>
        <option value="">{t('form.choose')}</option>
        {!known && typeof value === 'string' && value && <option value={value}>{value}</option>}
        {options.map((c) => <option value={c.value}>{c.label}</option>)}
      </select>
    );
  } else if (field.type === 'select_multiple') {
    const selected = Array.isArray(value) ? (value as string[]) : [];
    control = (
      <div class="choices" data-testid={`q-${path}`}>
        {(field.choices ?? []).map((c) => (
          <label class="choice">
            <input type="checkbox" value={c.value} checked={selected.includes(c.value)} disabled={disabled}
              onChange={(e) => onChange((e.target as HTMLInputElement).checked ? [...selected, c.value] : selected.filter((s) => s !== c.value))} />
            {c.label}
          </label>
        ))}
      </div>
    );
  } else if (field.type === 'boolean') {
    control = (
      <div class="choices" data-testid={`q-${path}`}>
        {[true, false].map((v) => (
          <label class="choice">
            <input type="radio" name={id} checked={value === v} disabled={disabled} onChange={() => onChange(v)} />
            {t(v ? 'form.yes' : 'form.no')}
          </label>
        ))}
        {value !== undefined && <button type="button" class="linklike" onClick={() => onChange(undefined)}>{t('form.clear')}</button>}
      </div>
    );
  } else if (field.type === 'geopoint') {
    control = <GeoPoint testId={`q-${path}`} value={value as { latitude: number; longitude: number } | undefined} onChange={onChange} />;
  } else if (field.type === 'integer' || field.type === 'decimal') {
    control = (
      <input {...common} type="number" inputMode={field.type === 'integer' ? 'numeric' : 'decimal'} step={field.type === 'integer' ? '1' : 'any'} value={value === undefined ? '' : String(value)}
        onInput={(e) => {
          const raw = (e.target as HTMLInputElement).value.trim();
          const n = Number(raw);
          onChange(raw === '' ? undefined : Number.isFinite(n) ? n : raw);
        }} />
    );
  } else if (field.type === 'attachment') {
    control = <p class="hint">{t('form.attachment_unsupported')}</p>;
  } else {
    control = <input {...common} type={field.type === 'date' ? 'date' : 'text'} value={typeof value === 'string' ? value : value === undefined ? '' : String(value)} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />;
  }
  const label = `${field.label}${field.required ? ' *' : ''}`;
  if (grouped) {
    return (
      <fieldset class={`field question${messages.length ? ' field-invalid' : ''}`} aria-describedby={described}>
        <legend>{label}</legend>
        {field.hint && <p class="hint" id={`${id}-hint`}>{field.hint}</p>}
        {control}
        {messages.length > 0 && <p class="field-error" id={`${id}-error`} role="alert" data-testid={`error-${path}`}>{messages.join(' ')}</p>}
      </fieldset>
    );
  }
  return (
    <div class={`field question${messages.length ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {field.hint && <p class="hint" id={`${id}-hint`}>{field.hint}</p>}
      {control}
      {messages.length > 0 && <p class="field-error" id={`${id}-error`} role="alert" data-testid={`error-${path}`}>{messages.join(' ')}</p>}
    </div>
  );
}
