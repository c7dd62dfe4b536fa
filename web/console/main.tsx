// The staff console: sign in, then the pages the user's scopes allow (routes.tsx), in English or French.
import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import '../shared/base.css';
import './console.css';
import { createApi } from '../shared/api.js';
import { useLanguage } from '../shared/i18n.js';
import { href, useRoute } from '../shared/router.js';
import { passwordSignIn, sessionFromToken, sessionStore, tokenClaims, type Session } from '../shared/session.js';
import { Button, ErrorNotice, Field, LanguagePicker, Notice } from '../shared/ui.js';
import { hasScope } from './context.js';
import { t } from './i18n/index.js';
import { ROUTES } from './routes.js';

const store = sessionStore('console');

function App() {
  useLanguage();
  const [session, setSession] = useState(store.load());
  const signOut = () => {
    store.clear();
    setSession(undefined);
  };
  const api = useMemo(() => createApi(() => session?.token, signOut), [session?.token]);
  if (!session) return <SignIn onSignedIn={(s) => (store.save(s), setSession(s))} />;
  return <Shell session={session} api={api} onSignOut={signOut} />;
}

function Shell({ session, api, onSignOut }: { session: Session; api: ReturnType<typeof createApi>; onSignOut: () => void }) {
  const route = useRoute();
  const visible = ROUTES.filter((r) => r.scopes.length === 0 || hasScope(session, ...r.scopes));
  const current = visible.find((r) => r.path === (route.parts[0] ?? ''));
  const Page = current?.component;
  return (
    <>
      <a class="skip-link" href="#content" onClick={(e) => (e.preventDefault(), document.getElementById('content')?.focus())}>{t('skip')}</a>
      <header class="app-header">
        <a class="brand" href={href('/')}>{t('app.name')}</a>
        <LanguagePicker label={t('header.language')} />
        <span data-testid="signed-in-user">{session.username}</span>
        <button type="button" class="linklike" onClick={onSignOut}>{t('header.signout')}</button>
      </header>
      <nav class="app-nav" aria-label="Console">
        {visible.filter((r) => r.path && !r.hidden).map((r) => (
          <a href={href(`/${r.path}`)} aria-current={r.path === current?.path ? 'page' : undefined}>{t(r.label)}</a>
        ))}
      </nav>
      <main id="content" tabIndex={-1}>
        {Page ? <Page api={api} session={session} route={route} t={t} /> : <Notice kind="error">{t('page.not_found')}</Notice>}
      </main>
    </>
  );
}


function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // a one-time password (a new account, a reset) must be replaced before anything else works
  const [changeToken, setChangeToken] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await passwordSignIn(username, password);
      if (tokenClaims(answer.access_token).pwd_change) setChangeToken(answer.access_token);
      else onSignedIn(sessionFromToken(answer, username));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (changeToken) {
    return (
      <ChangePassword
        token={changeToken}
        currentPassword={password}
        onChanged={async (newPassword) => onSignedIn(sessionFromToken(await passwordSignIn(username, newPassword), username))}
      />
    );
  }
  return (
    <main class="signin">
      <h1>{t('app.name')}</h1>
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h2 id="signin-title">{t('signin.title')}</h2>
        {error && <Notice kind="error">{error}</Notice>}
        <Field id="username" label={t('signin.username')}>
          <input id="username" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="password" label={t('signin.password')}>
          <input id="password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </Field>
        <Button type="submit" disabled={busy}>{busy ? t('signin.busy') : t('signin.submit')}</Button>
        <LanguagePicker label={t('header.language')} />
      </form>
    </main>
  );
}

/** Replaces a one-time password (POST /api/v1/me/password with the restricted token), then signs in with the new one. */
function ChangePassword({ token, currentPassword, onChanged }: { token: string; currentPassword: string; onChanged: (newPassword: string) => Promise<void> }) {
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (next !== again) return setError(new Error(t('password.mismatch')));
    setBusy(true);
    setError(undefined);
    try {
      await createApi(() => token).post('/api/v1/me/password', { current_password: currentPassword, new_password: next });
      await onChanged(next);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>{t('app.name')}</h1>
      <form onSubmit={submit} aria-labelledby="password-title">
        <h2 id="password-title">{t('password.title')}</h2>
        <Notice>{t('password.explain')}</Notice>
        <ErrorNotice error={error} />
        <Field id="new-password" label={t('password.new')}>
          <input id="new-password" type="password" autocomplete="new-password" required value={next} onInput={(e) => setNext((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="new-password-again" label={t('password.again')}>
          <input id="new-password-again" type="password" autocomplete="new-password" required value={again} onInput={(e) => setAgain((e.target as HTMLInputElement).value)} />
        </Field>
        <Button type="submit" disabled={busy}>{t('password.submit')}</Button>
      </form>
    </main>
  );
}

const root = document.getElementById('app')!;
// the server's "Loading…" placeholder: preact would keep it above the app
root.replaceChildren();
render(<App />, root);
