// API clients (GET /api/v1/clients): register one (its secret shown once), change roles and areas, disable or
// enable, rotate the secret (the new one shown once; the old one stops working at once).
import { useState } from 'preact/hooks';
import type { PageProps } from '../context.js';
import { formatDateTime } from '../../shared/i18n.js';
import { Button, ErrorNotice, Field, Loading, Notice, useAsync } from '../../shared/ui.js';
import { Badge, fieldError, listOf, OnceSecret, useAction } from './kit.js';
import { RolePicker } from './users.js';

export function ClientsPage({ api, t }: PageProps) {
  const clients = useAsync(() => api.get('/api/v1/clients'), []);
  const roles = useAsync(() => api.get('/api/v1/roles'), []);
  const [secret, setSecret] = useState<{ clientId: string; secret: string }>();
  const roleNames: string[] = (roles.data?.items ?? []).map((r: any) => r.name).filter((n: string) => n !== 'beneficiary');
  return (
    <>
      <h1>{t('clients.title')}</h1>
      {secret && <OnceSecret label={t('clients.secret', { client: secret.clientId })} value={secret.secret} note={t('clients.secret_note')} dismiss={t('ops.dismiss')} onDismiss={() => setSecret(undefined)} />}
      <ErrorNotice error={clients.error ?? roles.error} />
      <NewClient api={api} t={t} roleNames={roleNames} onCreated={(c) => (c.client_secret && setSecret({ clientId: c.client_id, secret: c.client_secret }), clients.reload())} />
      {clients.loading && !clients.data ? <Loading label={t('loading')} /> : clients.data && (
        <div class="table-wrap">
          <table class="stack" data-testid="clients-table">
            <thead><tr><th scope="col">{t('clients.id')}</th><th scope="col">{t('clients.name')}</th><th scope="col">{t('users.roles')}</th><th scope="col">{t('users.areas')}</th><th scope="col">{t('clients.auth')}</th><th scope="col">{t('ops.status')}</th><th scope="col">{t('ops.actions')}</th></tr></thead>
            <tbody>
              {clients.data.items.map((c: any) => <ClientRow key={c.client_id} client={c} api={api} t={t} roleNames={roleNames} onSecret={(s) => setSecret({ clientId: c.client_id, secret: s })} onChanged={clients.reload} />)}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function NewClient({ api, t, roleNames, onCreated }: Pick<PageProps, 'api' | 't'> & { roleNames: string[]; onCreated: (client: any) => void }) {
  const [clientId, setClientId] = useState('');
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<string[]>([]);
  const [areas, setAreas] = useState('');
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const created = await action.run(() => api.post('/api/v1/clients', { client_id: clientId, name, roles, ...(listOf(areas) ? { areas: listOf(areas) } : {}) }));
    if (created) (setClientId(''), setName(''), setRoles([]), setAreas(''), onCreated(created));
  };
  return (
    <details class="panel">
      <summary>{t('clients.new')}</summary>
      <form onSubmit={submit}>
        <ErrorNotice error={action.error} />
        <div class="grid-2">
          <Field id="client-id" label={t('clients.id')} error={fieldError(action.error, 'body.client_id')}>
            <input id="client-id" required value={clientId} onInput={(e) => setClientId((e.target as HTMLInputElement).value)} />
          </Field>
          <Field id="client-name" label={t('clients.name')} error={fieldError(action.error, 'body.name')}>
            <input id="client-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </Field>
          <Field id="client-areas" label={t('users.areas')} hint={t('users.areas_hint')} error={fieldError(action.error, 'body.areas')}>
            <input id="client-areas" value={areas} onInput={(e) => setAreas((e.target as HTMLInputElement).value)} />
          </Field>
        </div>
        <RolePicker id="client-roles" label={t('users.roles')} all={roleNames} chosen={roles} onChange={setRoles} error={fieldError(action.error, 'body.roles')} />
        <Button type="submit" disabled={action.busy || roles.length === 0}>{t('clients.create')}</Button>
      </form>
    </details>
  );
}

function ClientRow({ client: c, api, t, roleNames, onSecret, onChanged }: Pick<PageProps, 'api' | 't'> & { client: any; roleNames: string[]; onSecret: (s: string) => void; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [roles, setRoles] = useState<string[]>(c.roles);
  const [areas, setAreas] = useState((c.areas ?? []).join(', '));
  const action = useAction();
  const patch = async (body: Record<string, unknown>) => {
    if (await action.run(() => api.patch(`/api/v1/clients/${c.client_id}`, body), t('ops.saved'))) (setEditing(false), onChanged());
  };
  const rotate = async () => {
    const answer = await action.run(() => api.post(`/api/v1/clients/${c.client_id}/secret`));
    if (answer) (onSecret(answer.client_secret), onChanged());
  };
  return (
    <tr data-testid="client-row" data-client-id={c.client_id}>
      <td data-label={t('clients.id')}><code>{c.client_id}</code></td>
      <td data-label={t('clients.name')}>{c.name}</td>
      <td data-label={t('users.roles')}>{editing ? <RolePicker id={`croles-${c.client_id}`} label={t('users.roles')} all={roleNames} chosen={roles} onChange={setRoles} /> : c.roles.join(', ')}</td>
      <td data-label={t('users.areas')}>{editing
        ? <Field id={`careas-${c.client_id}`} label={t('users.areas')} error={fieldError(action.error, 'body.areas')}><input id={`careas-${c.client_id}`} value={areas} onInput={(e) => setAreas((e.target as HTMLInputElement).value)} /></Field>
        : (c.areas ?? [t('users.all_areas')]).join(', ')}</td>
      <td data-label={t('clients.auth')}>{c.auth_methods.join(', ')}{c.secret_rotated_at ? <><br /><span class="muted">{formatDateTime(c.secret_rotated_at)}</span></> : null}</td>
      <td data-label={t('ops.status')}>{c.disabled ? <Badge kind="bad">{t('users.disabled')}</Badge> : <Badge kind="ok">{t('users.active')}</Badge>}</td>
      <td data-label={t('ops.actions')} class="row-actions">
        {action.message && <Notice kind="success">{action.message}</Notice>}
        <ErrorNotice error={action.error} />
        {editing ? (
          <>
            <Button onClick={() => patch({ roles, areas: listOf(areas) ?? null })} disabled={action.busy || roles.length === 0}>{t('ops.save')}</Button>
            <Button variant="secondary" onClick={() => setEditing(false)}>{t('ops.cancel')}</Button>
          </>
        ) : (
          <>
            <Button variant="secondary" onClick={() => setEditing(true)}>{t('ops.edit')}</Button>
            {c.auth_methods.includes('client_secret') && <Button variant="secondary" onClick={rotate} disabled={action.busy}>{t('clients.rotate')}</Button>}
            <Button variant={c.disabled ? 'secondary' : 'danger'} onClick={() => patch({ disabled: !c.disabled })} disabled={action.busy}>{c.disabled ? t('users.enable') : t('users.disable')}</Button>
          </>
        )}
      </td>
    </tr>
  );
}
