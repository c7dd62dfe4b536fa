// Sign-in (needs the network): the password grant as a field worker. The session is kept in IndexedDB with its
// expiry, so the app keeps working offline; once it expires, collecting goes on and syncing waits for a new sign-in.
import { useState } from 'preact/hooks';
import { navigate } from '../../shared/router.js';
import { passwordSignIn, sessionFromToken } from '../../shared/session.js';
import { Button, Field, Notice } from '../../shared/ui.js';
import { t } from '../i18n/index.js';
import { changed, startSync, update, useAppState } from '../state.js';
import { store } from '../store.js';
import { bootstrap } from '../sync.js';
import { transaction } from '../db.js';

export function SignInPage() {
  const state = useAppState();
  const [username, setUsername] = useState(state.session?.username ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setBusy(t('signin.busy'));
    try {
      const session = sessionFromToken(await passwordSignIn(username, password), username.toLowerCase());
      if (!session.scopes.includes('sync.push')) throw new Error(session.scopes.length === 0 ? t('signin.change_password') : t('signin.not_field_worker'));
      const meta = await store.sync();
      const queued = (await store.queue()).length;
      // a device's queue is its worker's: another account pushing it would sign someone else's work
      if (meta.username && meta.username !== session.username && queued > 0) throw new Error(t('signin.other_worker', { name: meta.username, n: queued }));
      const fresh = meta.username !== session.username || !meta.cursor;
      if (fresh) {
        // the app opens on the new worker's data only once it is all on the device
        setBusy(t('signin.downloading'));
        await transaction(['results'], 'readwrite', (tx) => void tx.objectStore('results').clear());
        await bootstrap(session);
      }
      await store.saveSession(session);
      update({ session });
      changed();
      if (!fresh) void startSync();
      navigate('/');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section class="signin">
      <h1>{t('signin.title')}</h1>
      <p>{t('signin.intro')}</p>
      {!state.online && <Notice kind="info">{t('signin.offline')}</Notice>}
      {error && <Notice kind="error"><p data-testid="signin-error">{error}</p></Notice>}
      <form onSubmit={submit}>
        <Field id="username" label={t('signin.username')}>
          <input id="username" name="username" autocomplete="username" autocapitalize="none" required value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="password" label={t('signin.password')}>
          <input id="password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </Field>
        <Button type="submit" disabled={!!busy || !state.online} data-testid="signin-submit">{busy ?? t('signin.submit')}</Button>
      </form>
    </section>
  );
}

/** Signs out and removes the worker's data from the device; refused while submissions wait to be synced. */
export async function signOut(): Promise<void> {
  const queued = (await store.queue()).length;
  if (queued > 0) {
    alert(t('signout.queued', { n: queued }));
    return;
  }
  if (!confirm(t('signout.confirm'))) return;
  await transaction(['meta', 'forms', 'households', 'results'], 'readwrite', (tx) => {
    for (const name of ['forms', 'households', 'results'] as const) tx.objectStore(name).clear();
    tx.objectStore('meta').delete('session');
    tx.objectStore('meta').delete('sync');
  });
  update({ session: undefined, last: undefined });
  navigate('/');
}
