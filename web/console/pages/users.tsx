// Users (GET /api/v1/users): create one (a one-time password shown once unless one is set), change roles and areas,
// disable or enable, reset the password (the new one-time password shown once).
import { useState } from 'preact/hooks';
import type { PageProps } from '../context.js';
import { formatDateTime } from '../../shared/i18n.js';
import { Button, ErrorNotice, Field, Loading, Notice, useAsync } from '../../shared/ui.js';
import { Badge, fieldError, listOf, OnceSecret, useAction } from './kit.js';

export function UsersPage({ api, t }: PageProps) {
  const users = useAsync(() => api.get('/api/v1/users'), []);
  const roles = useAsync(() => api.get('/api/v1/roles'), []);
  const [secret, setSecret] = useState<{ username: string; password: string }>();
  const roleNames: string[] = (roles.data?.items ?? []).map((r: any) => r.name).filter((n: string) => n !== 'beneficiary' && n !== 'dci_client');
  return (
    <>
      <h1>{t('users.title')}</h1>
      {secret && <OnceSecret label={t('users.one_time', { username: secret.username })} value={secret.password} note={t('users.one_time_note')} dismiss={t('ops.dismiss')} onDismiss={() => setSecret(undefined)} />}
      <ErrorNotice error={users.error ?? roles.error} />
      <NewUser api={api} t={t} roleNames={roleNames} onCreated={(u) => (u.one_time_password && setSecret({ username: u.username, password: u.one_time_password }), users.reload())} />
      {users.loading && !users.data ? <Loading label={t('loading')} /> : users.data && (
        <div class="table-wrap">
          <table class="stack" data-testid="users-table">
            <thead><tr><th scope="col">{t('users.username')}</th><th scope="col">{t('users.display_name')}</th><th scope="col">{t('users.roles')}</th><th scope="col">{t('users.areas')}</th><th scope="col">{t('ops.status')}</th><th scope="col">{t('ops.actions')}</th></tr></thead>
            <tbody>
              {users.data.items.map((u: any) => <UserRow key={u.id} user={u} api={api} t={t} roleNames={roleNames} onSecret={(password) => setSecret({ username: u.username, password })} onChanged={users.reload} />)}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function NewUser({ api, t, roleNames, onCreated }: Pick<PageProps, 'api' | 't'> & { roleNames: string[]; onCreated: (user: any) => void }) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [roles, setRoles] = useState<string[]>([]);
  const [areas, setAreas] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = { username, roles, ...(displayName ? { display_name: displayName } : {}), ...(listOf(areas) ? { areas: listOf(areas) } : {}), ...(password ? { password } : {}) };
    const created = await action.run(() => api.post('/api/v1/users', body));
    if (created) {
      setUsername(''), setDisplayName(''), setRoles([]), setAreas(''), setPassword('');
      onCreated(created);
    }
  };
  return (
    <details class="panel" open>
      <summary>{t('users.new')}</summary>
      <form onSubmit={submit} data-testid="new-user-form">
        <ErrorNotice error={action.error} />
        <div class="grid-2">
          <Field id="user-username" label={t('users.username')} error={fieldError(action.error, 'body.username')}>
            <input id="user-username" required autocomplete="off" value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
          </Field>
          <Field id="user-display" label={t('users.display_name')} error={fieldError(action.error, 'body.display_name')}>
            <input id="user-display" value={displayName} onInput={(e) => setDisplayName((e.target as HTMLInputElement).value)} />
          </Field>
          <Field id="user-areas" label={t('users.areas')} hint={t('users.areas_hint')} error={fieldError(action.error, 'body.areas')}>
            <input id="user-areas" value={areas} onInput={(e) => setAreas((e.target as HTMLInputElement).value)} />
          </Field>
          <Field id="user-password" label={t('users.password')} hint={t('users.password_hint')} error={fieldError(action.error, 'body.password')}>
            <input id="user-password" type="password" autocomplete="new-password" minLength={12} value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
          </Field>
        </div>
        <RolePicker id="user-roles" label={t('users.roles')} all={roleNames} chosen={roles} onChange={setRoles} error={fieldError(action.error, 'body.roles')} />
        <Button type="submit" disabled={action.busy || roles.length === 0} data-testid="create-user">{t('users.create')}</Button>
      </form>
    </details>
  );
}

export function RolePicker(props: { id: string; label: string; all: string[]; chosen: string[]; onChange: (roles: string[]) => void; error?: string }) {
  return (
    <fieldset class="field choices" id={props.id}>
      <legend>{props.label}</legend>
      {props.all.map((role) => (
        <label class="choice"><input type="checkbox" name={props.id} value={role} checked={props.chosen.includes(role)}
          onChange={(e) => props.onChange((e.target as HTMLInputElement).checked ? [...props.chosen, role] : props.chosen.filter((r) => r !== role))} /> {role}</label>
      ))}
      {props.error && <p class="field-error" role="alert">{props.error}</p>}
    </fieldset>
  );
}

function UserRow({ user, api, t, roleNames, onSecret, onChanged }: Pick<PageProps, 'api' | 't'> & { user: any; roleNames: string[]; onSecret: (p: string) => void; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [roles, setRoles] = useState<string[]>(user.roles);
  const [areas, setAreas] = useState((user.areas ?? []).join(', '));
  const action = useAction();
  const patch = async (body: Record<string, unknown>) => {
    const done = await action.run(() => api.patch(`/api/v1/users/${user.id}`, body), t('ops.saved'));
    if (done) (setEditing(false), onChanged());
  };
  const reset = async () => {
    const answer = await action.run(() => api.post(`/api/v1/users/${user.id}/password-reset`));
    if (answer) onSecret(answer.one_time_password);
  };
  return (
    <tr data-testid="user-row" data-username={user.username}>
      <td data-label={t('users.username')}>{user.username}</td>
      <td data-label={t('users.display_name')}>{user.display_name ?? '—'}</td>
      <td data-label={t('users.roles')}>{editing ? <RolePicker id={`roles-${user.id}`} label={t('users.roles')} all={roleNames} chosen={roles} onChange={setRoles} error={fieldError(action.error, 'body.roles')} /> : user.roles.join(', ')}</td>
      <td data-label={t('users.areas')}>{editing
        ? <Field id={`areas-${user.id}`} label={t('users.areas')} error={fieldError(action.error, 'body.areas')}><input id={`areas-${user.id}`} value={areas} onInput={(e) => setAreas((e.target as HTMLInputElement).value)} /></Field>
        : (user.areas ?? [t('users.all_areas')]).join(', ')}</td>
      <td data-label={t('ops.status')}>{user.disabled ? <Badge kind="bad">{t('users.disabled')}</Badge> : <Badge kind="ok">{t('users.active')}</Badge>}{user.must_change_password && <Badge kind="warn">{t('users.must_change')}</Badge>}
        <br /><span class="muted">{formatDateTime(user.created_at)}</span></td>
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
            <Button variant="secondary" onClick={reset} disabled={action.busy}>{t('users.reset_password')}</Button>
            <Button variant={user.disabled ? 'secondary' : 'danger'} onClick={() => patch({ disabled: !user.disabled })} disabled={action.busy}>{user.disabled ? t('users.enable') : t('users.disable')}</Button>
          </>
        )}
      </td>
    </tr>
  );
}
