// One form version: its definition as JSON (checked in the browser with core/forms' own checkDefinition, then by the
// hub on save), the sections and fields as a list, a live preview, and save / publish with If-Match on the revision.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { checkDefinition, type FormDefinition } from '../../../core/forms/definition.js';
import type { PageProps } from '../context.js';
import { formatDateTime } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { Button, ErrorNotice, Field, Loading, Notice, useAsync } from '../../shared/ui.js';
import { FormPreview } from './form-preview.js';
import { Badge, fieldError, JsonEditor, parseJson, pretty, textIn, useAction } from './kit.js';

export function FormEditor({ api, t, formId, version }: PageProps & { formId: string; version: number }) {
  const loaded = useAsync(() => api.get(`/api/v1/forms/${formId}/versions/${version}`), [formId, version]);
  const [form, setForm] = useState<any>();
  const [text, setText] = useState('');
  const [title, setTitle] = useState<Record<string, string>>({});
  const action = useAction();
  useEffect(() => {
    if (!loaded.data) return;
    setForm(loaded.data);
    setText(pretty(loaded.data.definition));
    setTitle(loaded.data.title);
  }, [loaded.data]);

  const parsed = useMemo(() => parseJson<FormDefinition>(text), [text]);
  const problems = useMemo(() => (parsed === undefined ? [] : checkDefinition(parsed, 'body.definition')), [parsed]);
  if (loaded.loading && !form) return <Loading label={t('loading')} />;
  if (!form) return <><p><a href={href('/forms')}>{t('forms.back')}</a></p><ErrorNotice error={loaded.error} /></>;

  const draft = form.status === 'draft';
  const dirty = text !== pretty(form.definition) || JSON.stringify(title) !== JSON.stringify(form.title);
  const save = async () => {
    const saved = await action.run(() => api.put(`/api/v1/forms/${formId}/versions/${version}`, { title, definition: parsed }, { ifMatch: form.revision }), t('forms.saved'));
    if (saved) (setForm(saved), setText(pretty(saved.definition)));
  };
  const publish = async () => {
    const published = await action.run(() => api.post(`/api/v1/forms/${formId}/versions/${version}/publish`, undefined, { ifMatch: form.revision }), t('forms.published'));
    if (published) setForm(published);
  };
  const languages = parsed?.languages ?? Object.keys(title);

  return (
    <>
      <p><a href={href('/forms')}>{t('forms.back')}</a></p>
      <h1>{textIn(form.title)} <code>{formId}</code> v{version} <Badge kind={draft ? 'warn' : 'ok'}><span data-testid="form-status">{t(`forms.status.${form.status}`)}</span></Badge></h1>
      <p class="muted">{t('forms.revision', { revision: form.revision })} · {form.updated_by} · {formatDateTime(form.updated_at)}</p>
      {action.message && <Notice kind="success">{action.message}</Notice>}
      <ErrorNotice error={action.error} />
      <div class="editor-layout">
        <section aria-labelledby="definition-heading">
          <h2 id="definition-heading">{t('forms.definition')}</h2>
          {draft ? (
            <>
              {languages.map((lang) => (
                <Field id={`title-${lang}`} label={t('forms.title_in', { language: lang })} error={fieldError(action.error, `body.title.${lang}`, 'body.title')}>
                  <input id={`title-${lang}`} value={title[lang] ?? ''} onInput={(e) => setTitle({ ...title, [lang]: (e.target as HTMLInputElement).value })} />
                </Field>
              ))}
              <JsonEditor id="form-definition" label={t('forms.definition_json')} value={text} onChange={setText} rows={24} error={fieldError(action.error, 'body.definition')} />
              {problems.length > 0 && (
                <Notice kind="error">
                  <p>{t('forms.problems', { count: problems.length })}</p>
                  <ul data-testid="definition-problems">{problems.slice(0, 20).map((p) => <li><code>{p.field.replace('body.definition.', '')}</code>: {p.message}</li>)}</ul>
                </Notice>
              )}
              <div class="actions">
                <Button onClick={save} disabled={action.busy || !dirty || parsed === undefined || problems.length > 0} data-testid="form-save">{t('forms.save')}</Button>
                <Button variant="secondary" onClick={publish} disabled={action.busy || dirty} data-testid="form-publish" title={dirty ? t('forms.save_first') : undefined}>{t('forms.publish')}</Button>
              </div>
              {dirty && <p class="hint">{t('forms.save_first')}</p>}
            </>
          ) : (
            <>
              <Notice>{t('forms.published_note')}</Notice>
              <details class="panel"><summary>{t('forms.definition_json')}</summary><pre class="json">{pretty(form.definition)}</pre></details>
            </>
          )}
        </section>
        <section aria-labelledby="structure-heading">
          <h2 id="structure-heading">{t('forms.structure')}</h2>
          {parsed && problems.length === 0 ? <Structure definition={parsed} t={t} /> : <p class="empty">{t('forms.fix_first')}</p>}
        </section>
      </div>
      <section aria-labelledby="preview-heading">
        <h2 id="preview-heading">{t('forms.preview')}</h2>
        {parsed && problems.length === 0 ? <FormPreview definition={parsed} t={t} /> : <p class="empty">{t('forms.fix_first')}</p>}
      </section>
    </>
  );
}

function Structure({ definition, t }: { definition: FormDefinition; t: PageProps['t'] }) {
  return (
    <ol class="structure" data-testid="form-structure">
      {definition.ui.sections.map((s) => (
        <li>
          <strong>{textIn(s.title)}</strong> <code>{s.id}</code>{s.repeat && <Badge>{t('forms.repeat')}</Badge>}{s.relevant && <span class="expr"> {t('forms.if')} <code>{s.relevant}</code></span>}
          <ul>
            {s.fields.map((f) => (
              <li>
                {textIn(f.label)} <code>{f.path}</code> <Badge>{f.type}</Badge>
                {f.required === true && <Badge kind="warn">{t('forms.required')}</Badge>}
                {typeof f.required === 'string' && <span class="expr"> {t('forms.required_if')} <code>{f.required}</code></span>}
                {f.relevant && <span class="expr"> {t('forms.if')} <code>{f.relevant}</code></span>}
                {f.constraint && <span class="expr"> {t('forms.constraint')} <code>{f.constraint}</code></span>}
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ol>
  );
}
