// One question of a published form as an input: text, numbers, dates, yes/no, one or several choices, a GPS point,
// the admin area as a list. Answers are read and written by their data path (attributes.rooms, members[0].person.sex).
import type { ComponentChildren } from 'preact';
import type { RenderedField } from '../../../core/forms/render.js';
import { t } from '../i18n/index.js';

export type Areas = { code: string; name: string; level: number }[];

export function readAt(data: unknown, path: string): unknown {
  let v: unknown = data;
  for (const part of splitPath(path)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[part];
  }
  return v;
}

/** A copy of `data` with the answer at `path` set (undefined removes it). */
export function writeAt<T>(data: T, path: string, value: unknown): T {
  const parts = splitPath(path);
  const root = structuredClone(data) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = root;
  parts.slice(0, -1).forEach((part, i) => {
    if (node[part] === null || typeof node[part] !== 'object') node[part] = typeof parts[i + 1] === 'number' ? [] : {};
    node = node[part] as Record<string | number, unknown>;
  });
  const last = parts[parts.length - 1];
  if (value === undefined || value === '') delete node[last];
  else node[last] = value;
  return root as T;
}

function splitPath(path: string): (string | number)[] {
  return path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

const idOf = (path: string) => `f-${path.replace(/[^a-zA-Z0-9]+/g, '-')}`;

export function FormFieldInput(props: { field: RenderedField; path: string; value: unknown; error?: string; areas: Areas; onChange: (value: unknown) => void }) {
  const { field, path, value, error } = props;
  const id = idOf(path);
  const describedBy = [field.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const label = `${field.label}${field.required ? ' *' : ''}`;
  const common = { id, 'data-testid': `f-${path}`, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined, 'aria-required': field.required || undefined };
  const wrap = (input: ComponentChildren, asGroup = false) =>
    asGroup ? (
      <fieldset class={`field choice-group${error ? ' field-invalid' : ''}`} aria-describedby={describedBy}>
        <legend>{label}</legend>
        {field.hint && <p class="hint" id={`${id}-hint`}>{field.hint}</p>}
        {input}
        {error && <p class="field-error" id={`${id}-error`} role="alert">{error}</p>}
      </fieldset>
    ) : (
      <div class={`field${error ? ' field-invalid' : ''}`}>
        <label for={id}>{label}</label>
        {field.hint && <p class="hint" id={`${id}-hint`}>{field.hint}</p>}
        {input}
        {error && <p class="field-error" id={`${id}-error`} role="alert">{error}</p>}
      </div>
    );

  if (field.type === 'note') return <p class="note">{field.label}</p>;
  if (path === 'area_code') {
    return wrap(
      <select {...common} value={String(value ?? '')} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value || undefined)}>
        <option value="">{t('form.choose')}</option>
        {props.areas.map((a) => <option value={a.code}>{`${'\u00a0\u00a0'.repeat(a.level)}${a.name}`}</option>)}
      </select>,
    );
  }
  switch (field.type) {
    case 'integer':
    case 'decimal':
      return wrap(
        <input {...common} type="number" inputMode={field.type === 'integer' ? 'numeric' : 'decimal'} step={field.type === 'integer' ? 1 : 'any'}
          value={value === undefined ? '' : String(value)}
          onInput={(e) => {
            const raw = (e.target as HTMLInputElement).value;
            props.onChange(raw === '' ? undefined : Number(raw));
          }} />,
      );
    case 'date':
      return wrap(<input {...common} type="date" value={String(value ?? '')} onInput={(e) => props.onChange((e.target as HTMLInputElement).value || undefined)} />);
    case 'boolean':
      return wrap(
        <div class="choices">
          {[true, false].map((v) => (
            <label class="choice">
              <input type="radio" name={id} data-testid={`f-${path}=${v}`} checked={value === v} onChange={() => props.onChange(v)} />
              <span>{t(v ? 'value.yes' : 'value.no')}</span>
            </label>
          ))}
        </div>,
        true,
      );
    case 'select_one': {
      const choices = field.choices ?? [];
      if (choices.length > 6) {
        return wrap(
          <select {...common} value={String(value ?? '')} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value || undefined)}>
            <option value="">{t('form.choose')}</option>
            {choices.map((c) => <option value={c.value}>{c.label}</option>)}
          </select>,
        );
      }
      return wrap(
        <div class="choices">
          {choices.map((c) => (
            <label class="choice">
              <input type="radio" name={id} value={c.value} data-testid={`f-${path}=${c.value}`} checked={value === c.value} onChange={() => props.onChange(c.value)} />
              <span>{c.label}</span>
            </label>
          ))}
        </div>,
        true,
      );
    }
    case 'select_multiple': {
      const selected = Array.isArray(value) ? (value as string[]) : [];
      return wrap(
        <div class="choices">
          {(field.choices ?? []).map((c) => (
            <label class="choice">
              <input type="checkbox" value={c.value} data-testid={`f-${path}=${c.value}`} checked={selected.includes(c.value)}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  const next = on ? [...selected, c.value] : selected.filter((s) => s !== c.value);
                  props.onChange(next.length ? next : undefined);
                }} />
              <span>{c.label}</span>
            </label>
          ))}
        </div>,
        true,
      );
    }
    case 'geopoint': {
      const point = value as { latitude: number; longitude: number } | undefined;
      const locate = () =>
        navigator.geolocation?.getCurrentPosition(
          (p) => props.onChange({ latitude: Number(p.coords.latitude.toFixed(6)), longitude: Number(p.coords.longitude.toFixed(6)) }),
          () => props.onChange(undefined),
          { enableHighAccuracy: true, timeout: 15_000 },
        );
      return wrap(
        <div class="geopoint">
          <p id={id}>{point ? `${point.latitude}, ${point.longitude}` : t('form.no_location')}</p>
          <button type="button" class="btn btn-secondary" onClick={locate}>{t('form.use_location')}</button>
          {point && <button type="button" class="linklike" onClick={() => props.onChange(undefined)}>{t('form.clear_location')}</button>}
        </div>,
      );
    }
    case 'attachment':
      return <p class="note">{t('form.attachment_office')}</p>;
    default:
      return wrap(
        <input {...common} type={/phone$/.test(path) ? 'tel' : 'text'} autoComplete={/phone$/.test(path) ? 'tel' : 'off'} value={String(value ?? '')}
          onInput={(e) => props.onChange((e.target as HTMLInputElement).value === '' ? undefined : (e.target as HTMLInputElement).value)} />,
      );
  }
}
