// Pieces the queue and administration pages share: an action runner that keeps the API's error for the page, field
// errors taken out of a problem document to show next to their inputs, a JSON editor, a one-time secret box.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../../shared/api.js';
import { currentLanguage } from '../../shared/i18n.js';
import { Field, Notice } from '../../shared/ui.js';
import './operations.css';

export interface Action {
  busy: boolean;
  error: unknown;
  message?: string;
  /** Runs `work`; its error is kept (shown by ErrorNotice), a message shown on success. Resolves to the result or undefined. */
  run<T>(work: () => Promise<T>, message?: string): Promise<T | undefined>;
  clear(): void;
}

export function useAction(): Action {
  const [state, setState] = useState<{ busy: boolean; error?: unknown; message?: string }>({ busy: false });
  return {
    ...state,
    error: state.error,
    async run(work, message) {
      setState({ busy: true });
      try {
        const result = await work();
        setState({ busy: false, message });
        return result;
      } catch (error) {
        setState({ busy: false, error });
        return undefined;
      }
    },
    clear: () => setState({ busy: false }),
  };
}

/** The API's message for one field (`body.username`, `query.actor`), for the Field next to it. */
export function fieldError(error: unknown, ...fields: string[]): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const hit = error.errors.find((e) => {
    const name = e.field ?? e.name ?? '';
    return fields.some((f) => name === f || name.startsWith(`${f}.`) || name.startsWith(`${f}[`));
  });
  return hit?.message;
}

/** A text area holding JSON: parses on every change and says where it is broken. */
export function JsonEditor(props: { id: string; label: string; value: string; onChange: (text: string) => void; error?: string; rows?: number; hint?: string }) {
  let parseError: string | undefined;
  try {
    JSON.parse(props.value);
  } catch (e) {
    parseError = (e as Error).message;
  }
  return (
    <Field id={props.id} label={props.label} hint={props.hint} error={parseError ?? props.error}>
      <textarea id={props.id} class="json-editor" spellcheck={false} rows={props.rows ?? 16} value={props.value}
        aria-invalid={parseError || props.error ? 'true' : undefined}
        onInput={(e) => props.onChange((e.target as HTMLTextAreaElement).value)} />
    </Field>
  );
}

/** Parses JSON text, or undefined when it is not valid JSON (the editor shows why). */
export function parseJson<T = unknown>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** A secret shown once (a one-time password, a client secret): the page forgets it when dismissed. */
export function OnceSecret(props: { label: string; value: string; note: string; onDismiss: () => void; dismiss: string }) {
  return (
    <Notice kind="success">
      <p>{props.label}</p>
      <p><code class="secret" data-testid="one-time-secret">{props.value}</code></p>
      <p>{props.note}</p>
      <button type="button" class="linklike" onClick={props.onDismiss}>{props.dismiss}</button>
    </Notice>
  );
}

export function Badge(props: { kind?: 'ok' | 'warn' | 'bad' | 'info'; children: ComponentChildren }) {
  return <span class={`badge badge-${props.kind ?? 'info'}`}>{props.children}</span>;
}

/** A comma- or space-separated list typed into an input ("AM-R1, AM-R2") as an array; empty -> undefined. */
export function listOf(text: string): string[] | undefined {
  const items = text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

export const pretty = (value: unknown) => (value === undefined ? '' : JSON.stringify(value, null, 2));

/** A multilingual text ({en, fr}) in the reader's language, or its first one. */
export const textIn = (text: Record<string, string> | undefined) => (text ? text[currentLanguage()] ?? Object.values(text)[0] ?? '' : '');
