// Forms (GET /api/v1/forms): the list with their published and draft versions, a new form, a new draft of an existing
// one; #/forms/<id>/<version> opens the editor (form-editor.tsx).
import { useState } from 'preact/hooks';
import type { PageProps } from '../context.js';
import { formatDateTime } from '../../shared/i18n.js';
import { href, navigate } from '../../shared/router.js';
import { Button, ErrorNotice, Field, Loading, useAsync } from '../../shared/ui.js';
import { FormEditor } from './form-editor.js';
import { Badge, fieldError, JsonEditor, parseJson, pretty, textIn, useAction } from './kit.js';

const STARTER = {
  languages: ['en', 'fr'],
  default_language: 'en',
  schema: { type: 'object', properties: { area_code: { type: 'string' }, attributes: { type: 'object', properties: { note: { type: 'string' } } } } },
  ui: { sections: [{ id: 'main', title: { en: 'Household', fr: 'Ménage' }, fields: [{ path: 'attributes.note', type: 'text', label: { en: 'Note', fr: 'Note' } }] }] },
};

export function FormsPage(props: PageProps) {
  const [formId, version] = props.route.parts.slice(1);
  if (formId && version) return <FormEditor {...props} formId={formId} version={Number(version)} />;
  return <FormList {...props} />;
}

function FormList({ api, t }: PageProps) {
  const forms = useAsync(() => api.get('/api/v1/forms'), []);
  const action = useAction();
  const newDraft = async (formId: string) => {
    const draft = await action.run(() => api.post(`/api/v1/forms/${formId}/versions`, {}));
    if (draft) navigate(`/forms/${formId}/${draft.version}`);
  };
  return (
    <>
      <h1>{t('forms.title')}</h1>
      <p>{t('forms.intro')}</p>
      <ErrorNotice error={forms.error ?? action.error} />
      {forms.loading && !forms.data ? <Loading label={t('loading')} /> : forms.data && (
        <div class="table-wrap">
          <table data-testid="forms-table">
            <thead><tr><th scope="col">{t('forms.id')}</th><th scope="col">{t('forms.name')}</th><th scope="col">{t('forms.versions')}</th><th scope="col">{t('ops.actions')}</th></tr></thead>
            <tbody>
              {forms.data.items.map((f: any) => (
                <tr data-testid="form-row" data-form-id={f.form_id}>
                  <td><code>{f.form_id}</code></td>
                  <td>{textIn(f.title)}</td>
                  <td>{f.versions.map((v: any) => (
                    <a class="version-link" href={href(`/forms/${f.form_id}/${v.version}`)} title={v.published_at ? formatDateTime(v.published_at) : undefined}>
                      v{v.version} <Badge kind={v.status === 'draft' ? 'warn' : 'ok'}>{t(`forms.status.${v.status}`)}</Badge>
                    </a>
                  ))}</td>
                  <td>{f.draft_version
                    ? <a href={href(`/forms/${f.form_id}/${f.draft_version}`)} data-testid="edit-draft">{t('forms.edit_draft', { version: f.draft_version })}</a>
                    : <Button variant="secondary" onClick={() => newDraft(f.form_id)} disabled={action.busy}>{t('forms.new_draft')}</Button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NewForm api={api} t={t} />
    </>
  );
}

function NewForm({ api, t }: Pick<PageProps, 'api' | 't'>) {
  const [formId, setFormId] = useState('');
  const [title, setTitle] = useState('');
  const [definition, setDefinition] = useState(pretty(STARTER));
  const action = useAction();
  const create = async (e: Event) => {
    e.preventDefault();
    const def = parseJson<typeof STARTER>(definition);
    if (!def) return;
    const titles = Object.fromEntries((def.languages ?? ['en']).map((l) => [l, title]));
    const created = await action.run(() => api.post('/api/v1/forms', { form_id: formId, title: titles, definition: def }));
    if (created) navigate(`/forms/${created.form_id}/${created.version}`);
  };
  return (
    <details class="panel">
      <summary>{t('forms.new')}</summary>
      <form onSubmit={create}>
        <ErrorNotice error={action.error} />
        <Field id="new-form-id" label={t('forms.id')} hint={t('forms.id_hint')} error={fieldError(action.error, 'body.form_id')}>
          <input id="new-form-id" required pattern="[a-z][a-z0-9_\-]{1,63}" value={formId} onInput={(e) => setFormId((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="new-form-title" label={t('forms.name')} hint={t('forms.title_hint')} error={fieldError(action.error, 'body.title')}>
          <input id="new-form-title" required value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
        </Field>
        <JsonEditor id="new-form-definition" label={t('forms.definition')} value={definition} onChange={setDefinition} error={fieldError(action.error, 'body.definition')} rows={12} />
        <Button type="submit" disabled={action.busy}>{t('forms.create')}</Button>
      </form>
    </details>
  );
}
