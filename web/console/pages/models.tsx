// Assessment models (GET /api/v1/assessment-models): their versions and scoring job; a new model, a new draft version
// (a copy of the latest), the draft's definition edited as JSON (the hub names each problem), publish.
import { useState } from 'preact/hooks';
import type { PageProps } from '../context.js';
import { formatDateTime, formatNumber } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { Button, ErrorNotice, Field, Loading, Notice, useAsync } from '../../shared/ui.js';
import { Badge, fieldError, JsonEditor, parseJson, pretty, useAction } from './kit.js';

const STARTER = { intercept: 10, threshold: 8, indicators: [{ name: 'size', feature: 'household_size', weight: -0.5 }] };

export function ModelsPage(props: PageProps) {
  const id = props.route.parts[1];
  return id ? <Model {...props} id={id} /> : <ModelList {...props} />;
}

function ModelList({ api, t }: PageProps) {
  const models = useAsync(() => api.get('/api/v1/assessment-models'), []);
  return (
    <>
      <h1>{t('models.title')}</h1>
      <p>{t('models.intro')}</p>
      <ErrorNotice error={models.error} />
      {models.loading && !models.data ? <Loading label={t('loading')} /> : models.data && (
        models.data.items.length === 0 ? <p class="empty">{t('models.empty')}</p> : (
          <div class="table-wrap">
            <table data-testid="models-table">
              <thead><tr><th scope="col">{t('models.code')}</th><th scope="col">{t('models.name')}</th><th scope="col">{t('models.published')}</th><th scope="col">{t('models.versions')}</th><th scope="col">{t('models.scoring')}</th></tr></thead>
              <tbody>
                {models.data.items.map((m: any) => (
                  <tr>
                    <td><a href={href(`/models/${m.id}`)}>{m.code}</a></td><td>{m.name}</td><td>{m.published_version ?? '—'}</td>
                    <td>{m.versions.map((v: any) => <Badge kind={v.status === 'draft' ? 'warn' : v.status === 'published' ? 'ok' : 'info'}>v{v.version} {t(`models.status.${v.status}`)}</Badge>)}</td>
                    <td>{m.scoring ? `${t(`models.job.${m.scoring.status}`)} (${formatNumber(m.scoring.scored)})` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      <NewModel api={api} t={t} onCreated={models.reload} />
    </>
  );
}

function NewModel({ api, t, onCreated }: Pick<PageProps, 'api' | 't'> & { onCreated: () => void }) {
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [definition, setDefinition] = useState(pretty(STARTER));
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const done = await action.run(() => api.post('/api/v1/assessment-models', { code, name, definition: parseJson(definition) }), t('models.created'));
    if (done) onCreated();
  };
  return (
    <details class="panel">
      <summary>{t('models.new')}</summary>
      <form onSubmit={submit}>
        {action.message && <Notice kind="success">{action.message}</Notice>}
        <ErrorNotice error={action.error} />
        <Field id="model-code" label={t('models.code')} error={fieldError(action.error, 'body.code')}>
          <input id="model-code" required value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="model-name" label={t('models.name')} error={fieldError(action.error, 'body.name')}>
          <input id="model-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </Field>
        <JsonEditor id="model-definition" label={t('models.definition')} value={definition} onChange={setDefinition} rows={10} error={fieldError(action.error, 'body.definition')} />
        <Button type="submit" disabled={action.busy || parseJson(definition) === undefined}>{t('models.create')}</Button>
      </form>
    </details>
  );
}

function Model({ api, t, id }: PageProps & { id: string }) {
  const model = useAsync(() => api.get(`/api/v1/assessment-models/${id}`), [id]);
  const features = useAsync(() => api.get('/api/v1/assessment-features'), []);
  const action = useAction();
  const [text, setText] = useState<string>();
  const m = model.data;
  if (model.loading && !m) return <Loading label={t('loading')} />;
  if (!m) return <><p><a href={href('/models')}>{t('models.back')}</a></p><ErrorNotice error={model.error} /></>;
  const draft = m.versions.find((v: any) => v.status === 'draft');
  const editing = text ?? (draft ? pretty(draft.definition) : '');
  const run = async (work: () => Promise<unknown>, message: string) => {
    if (await action.run(work, message)) (setText(undefined), model.reload());
  };
  return (
    <>
      <p><a href={href('/models')}>{t('models.back')}</a></p>
      <h1>{m.name} <code>{m.code}</code></h1>
      {m.description && <p>{m.description}</p>}
      {m.scoring && <p>{t('models.scoring')}: v{m.scoring.version} {t(`models.job.${m.scoring.status}`)}, {formatNumber(m.scoring.scored)} {t('models.scored')}</p>}
      {action.message && <Notice kind="success">{action.message}</Notice>}
      <ErrorNotice error={action.error ?? model.error} />
      {draft ? (
        <section class="panel">
          <h2>{t('models.draft', { version: draft.version })}</h2>
          <JsonEditor id="draft-definition" label={t('models.definition')} value={editing} onChange={setText} rows={16} error={fieldError(action.error, 'body.definition')} />
          <div class="actions">
            <Button onClick={() => run(() => api.put(`/api/v1/assessment-models/${id}/versions/${draft.version}`, { definition: parseJson(editing) }), t('ops.saved'))}
              disabled={action.busy || text === undefined || parseJson(editing) === undefined}>{t('ops.save')}</Button>
            <Button variant="secondary" onClick={() => run(() => api.post(`/api/v1/assessment-models/${id}/versions/${draft.version}/publish`), t('models.published_message'))}
              disabled={action.busy || text !== undefined} data-testid="model-publish">{t('models.publish')}</Button>
          </div>
        </section>
      ) : (
        <Button onClick={() => run(() => api.post(`/api/v1/assessment-models/${id}/versions`, {}), t('models.draft_started'))} disabled={action.busy} data-testid="model-new-draft">{t('models.new_draft')}</Button>
      )}
      <h2>{t('models.versions')}</h2>
      {m.versions.filter((v: any) => v.status !== 'draft').map((v: any) => (
        <details class="panel">
          <summary>v{v.version} <Badge kind={v.status === 'published' ? 'ok' : 'info'}>{t(`models.status.${v.status}`)}</Badge> {v.published_at ? formatDateTime(v.published_at) : ''}</summary>
          <pre class="json">{pretty(v.definition)}</pre>
        </details>
      ))}
      {features.data && (
        <details class="panel">
          <summary>{t('models.features')}</summary>
          <ul class="plain">{features.data.items.map((f: any) => <li><code>{f.name}</code> ({f.type}){f.values ? `: ${f.values.join(', ')}` : ''}</li>)}</ul>
        </details>
      )}
    </>
  );
}
