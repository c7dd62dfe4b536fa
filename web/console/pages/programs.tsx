// Programs (GET /api/v1/programs): their rules, model, quota and budget, and how many households are eligible; a new
// program (a draft), its settings changed (If-Match on its version), activated (eligibility computed) or closed.
import { useState } from 'preact/hooks';
import type { PageProps } from '../context.js';
import { hasScope } from '../context.js';
import { formatNumber } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { Button, ErrorNotice, Loading, Notice, useAsync } from '../../shared/ui.js';
import { Badge, fieldError, JsonEditor, parseJson, pretty, useAction } from './kit.js';

const EDITABLE = ['name', 'description', 'model_id', 'rules', 'max_households', 'budget', 'benefit_per_household', 'benefit_per_member'] as const;

export function ProgramsPage(props: PageProps) {
  const id = props.route.parts[1];
  return id ? <Program {...props} id={id} /> : <ProgramList {...props} />;
}

function ProgramList({ api, t, session }: PageProps) {
  const programs = useAsync(() => api.get('/api/v1/programs'), []);
  const manage = hasScope(session, 'assessment.manage');
  return (
    <>
      <h1>{t('programs.title')}</h1>
      <ErrorNotice error={programs.error} />
      {programs.loading && !programs.data ? <Loading label={t('loading')} /> : programs.data && (
        programs.data.items.length === 0 ? <p class="empty">{t('programs.empty')}</p> : (
          <div class="table-wrap">
            <table data-testid="programs-table">
              <thead><tr><th scope="col">{t('programs.code')}</th><th scope="col">{t('programs.name')}</th><th scope="col">{t('ops.status')}</th><th scope="col">{t('programs.rules')}</th><th scope="col" class="num">{t('programs.eligible')}</th></tr></thead>
              <tbody>
                {programs.data.items.map((p: any) => (
                  <tr>
                    <td><a href={href(`/programs/${p.id}`)}>{p.code}</a></td><td>{p.name}</td>
                    <td><Badge kind={p.status === 'active' ? 'ok' : p.status === 'draft' ? 'warn' : 'info'}>{t(`programs.status.${p.status}`)}</Badge></td>
                    <td>{p.rules.map((r: any) => r.name).join(', ')}</td><td class="num">{formatNumber(p.eligible_households)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      {manage && <ProgramForm api={api} t={t} onDone={programs.reload} />}
    </>
  );
}

/** A new program, or the settings of an existing one. */
function ProgramForm({ api, t, program, onDone }: Pick<PageProps, 'api' | 't'> & { program?: any; onDone: () => void }) {
  const start = program ? Object.fromEntries(EDITABLE.map((k) => [k, program[k]])) : { code: '', name: '', rules: [{ name: 'poor', expression: 'score < threshold' }], model_id: null, max_households: null, budget: null };
  const [text, setText] = useState(pretty(start));
  const models = useAsync(() => api.get('/api/v1/assessment-models'), []);
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = parseJson(text);
    const done = await action.run(() => (program ? api.patch(`/api/v1/programs/${program.id}`, body, { ifMatch: program.version }) : api.post('/api/v1/programs', body)), t('ops.saved'));
    if (done) onDone();
  };
  return (
    <details class="panel" open={!!program}>
      <summary>{program ? t('programs.settings') : t('programs.new')}</summary>
      <form onSubmit={submit}>
        {action.message && <Notice kind="success">{action.message}</Notice>}
        <ErrorNotice error={action.error} />
        <JsonEditor id={program ? 'program-settings' : 'new-program'} label={t('programs.definition')} hint={t('programs.definition_hint')} value={text} onChange={setText} rows={14}
          error={fieldError(action.error, 'body')} />
        {models.data && <p class="hint">{t('programs.models')}: {models.data.items.map((m: any) => <span><code>{m.id}</code> ({m.code}) </span>)}</p>}
        <Button type="submit" disabled={action.busy || parseJson(text) === undefined}>{program ? t('ops.save') : t('programs.create')}</Button>
      </form>
    </details>
  );
}

function Program({ api, t, id, session }: PageProps & { id: string }) {
  const program = useAsync(() => api.get(`/api/v1/programs/${id}`), [id]);
  const action = useAction();
  const p = program.data;
  if (program.loading && !p) return <Loading label={t('loading')} />;
  if (!p) return <><p><a href={href('/programs')}>{t('programs.back')}</a></p><ErrorNotice error={program.error} /></>;
  const manage = hasScope(session, 'assessment.manage');
  const run = async (path: string, message: string) => {
    if (await action.run(() => api.post(path), message)) program.reload();
  };
  return (
    <>
      <p><a href={href('/programs')}>{t('programs.back')}</a></p>
      <h1>{p.name} <code>{p.code}</code> <Badge kind={p.status === 'active' ? 'ok' : 'warn'}><span data-testid="program-status">{t(`programs.status.${p.status}`)}</span></Badge></h1>
      {p.description && <p>{p.description}</p>}
      <dl class="facts">
        <dt>{t('programs.eligible')}</dt><dd>{formatNumber(p.eligible_households)}</dd>
        <dt>{t('programs.quota')}</dt><dd>{p.max_households ?? '—'}</dd>
        <dt>{t('programs.budget')}</dt><dd>{p.budget ?? '—'}</dd>
        <dt>{t('programs.benefit')}</dt><dd>{p.benefit_per_household} + {p.benefit_per_member} × n</dd>
      </dl>
      <h2>{t('programs.rules')}</h2>
      <ul class="plain">{p.rules.map((r: any) => <li><strong>{r.name}</strong>: <code>{r.expression}</code></li>)}</ul>
      {action.message && <Notice kind="success">{action.message}</Notice>}
      <ErrorNotice error={action.error} />
      {manage && (
        <div class="actions">
          {p.status === 'draft' && <Button onClick={() => run(`/api/v1/programs/${id}/activate`, t('programs.activated'))} disabled={action.busy} data-testid="program-activate">{t('programs.activate')}</Button>}
          {p.status === 'active' && <Button variant="danger" onClick={() => run(`/api/v1/programs/${id}/close`, t('programs.closed'))} disabled={action.busy}>{t('programs.close')}</Button>}
        </div>
      )}
      {manage && p.status !== 'closed' && <ProgramForm key={p.version} api={api} t={t} program={p} onDone={program.reload} />}
    </>
  );
}
