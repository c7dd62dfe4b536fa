// Small shared pieces of the three apps: form fields with labels, buttons, tables, notices, loading data.
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { LANGUAGES, setLanguage, useLanguage, type Language } from './i18n.js';

export function Field(props: { label: string; hint?: string; error?: string; children: ComponentChildren; id: string }) {
  return (
    <div class={`field${props.error ? ' field-invalid' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.hint && <p class="hint" id={`${props.id}-hint`}>{props.hint}</p>}
      {props.children}
      {props.error && <p class="field-error" id={`${props.id}-error`} role="alert">{props.error}</p>}
    </div>
  );
}

export function Button(props: JSX.ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'secondary' | 'danger' }) {
  const { variant = 'primary', class: extra, ...rest } = props;
  return <button type="button" class={`btn btn-${variant} ${extra ?? ''}`} {...rest} />;
}

export function Notice(props: { kind?: 'info' | 'success' | 'error'; children: ComponentChildren }) {
  const kind = props.kind ?? 'info';
  return <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>{props.children}</div>;
}

/** An API error as people read it: the message, and each field that is wrong. */
export function ErrorNotice(props: { error: unknown }) {
  if (!props.error) return null;
  const error = props.error;
  if (error instanceof ApiError) {
    return (
      <Notice kind="error">
        <p>{error.message}</p>
        {error.errors.length > 0 && <ul>{error.errors.map((e) => <li>{e.field ?? e.name ? `${e.field ?? e.name}: ` : ''}{e.message}</li>)}</ul>}
      </Notice>
    );
  }
  return <Notice kind="error">{error instanceof Error ? error.message : String(error)}</Notice>;
}

export function Loading(props: { label?: string }) {
  return <p class="loading" role="status">{props.label ?? 'Loading…'}</p>;
}

export interface Column<T> {
  label: string;
  value: (row: T) => ComponentChildren;
  numeric?: boolean;
}

export function Table<T>(props: { caption?: string; columns: Column<T>[]; rows: T[]; empty?: string; testId?: string }) {
  if (props.rows.length === 0) return <p class="empty">{props.empty ?? 'Nothing to show.'}</p>;
  return (
    <div class="table-wrap">
      <table data-testid={props.testId}>
        {props.caption && <caption>{props.caption}</caption>}
        <thead><tr>{props.columns.map((c) => <th scope="col" class={c.numeric ? 'num' : ''}>{c.label}</th>)}</tr></thead>
        <tbody>{props.rows.map((row) => <tr>{props.columns.map((c) => <td class={c.numeric ? 'num' : ''}>{c.value(row)}</td>)}</tr>)}</tbody>
      </table>
    </div>
  );
}

export interface AsyncState<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads data when the deps change; reload() fetches again. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error) => current && setState({ error, loading: false }),
    );
    return () => void (current = false);
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

/** The language menu of every app's header; `label` is read by screen readers only. */
export function LanguagePicker(props: { label: string }) {
  const language = useLanguage();
  return (
    <label class="language-picker">
      <span class="visually-hidden">{props.label}</span>
      <select data-testid="language" value={language} onChange={(e) => setLanguage((e.target as HTMLSelectElement).value as Language)}>
        {Object.entries(LANGUAGES).map(([code, name]) => <option value={code}>{name}</option>)}
      </select>
    </label>
  );
}
