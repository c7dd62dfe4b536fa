// The field app (/field/): an installable PWA for field workers. Signs in online, keeps what it needs in IndexedDB,
// registers and updates households offline with the forms' own rules, and syncs the queue when the network is back.
import { render, type ComponentChildren } from 'preact';
import '../shared/base.css';
import './field.css';
import { formatDateTime, useLanguage } from '../shared/i18n.js';
import { href, navigate, useRoute } from '../shared/router.js';
import { Button, LanguagePicker, Loading, Notice } from '../shared/ui.js';
import { t } from './i18n/index.js';
import { EditHousehold, RegisterHousehold } from './pages/collect.js';
import { HomePage } from './pages/home.js';
import { HouseholdsPage } from './pages/households.js';
import { SignInPage, signOut } from './pages/signin.js';
import { initState, update, useAppState } from './state.js';
import { sessionValid } from './sync.js';

function App() {
  useLanguage();
  const state = useAppState();
  const route = useRoute();
  if (!state.loaded) return <main><Loading label={t('loading')} /></main>;
  const [first, second] = route.parts;
  // before the first sign-in there is nothing to work with; afterwards the app works with an expired session too
  if (!state.session || first === 'signin') return <Frame><SignInPage /></Frame>;
  let page;
  if (first === 'register') page = <RegisterHousehold from={route.query.get('from') ?? undefined} />;
  else if (first === 'households' && second) page = <EditHousehold id={second} />;
  else if (first === 'households') page = <HouseholdsPage />;
  else page = <HomePage />;
  return <Frame>{page}</Frame>;
}

function Frame(props: { children: ComponentChildren }) {
  const state = useAppState();
  const route = useRoute();
  const current = route.parts[0] ?? '';
  const session = state.session;
  const expired = session && !sessionValid(session);
  return (
    <>
      <a class="skip-link" href="#content" onClick={(e) => (e.preventDefault(), document.getElementById('content')?.focus())}>{t('skip')}</a>
      <header class="app-header">
        <a class="brand" href={href('/')}>{t('app.name')}</a>
        <span class={`badge ${state.online ? 'badge-online' : 'badge-offline'}`} data-testid="network" data-online={String(state.online)}>
          {state.online ? t('network.online') : t('network.offline')}
        </span>
        <LanguagePicker label={t('header.language')} />
        {session && <span data-testid="signed-in-user">{session.username}</span>}
        {session && <button type="button" class="linklike" onClick={() => void signOut()} data-testid="sign-out">{t('header.signout')}</button>}
      </header>
      {session && current !== 'signin' && (
        <nav class="app-nav" aria-label={t('nav.label')}>
          {[['', 'nav.home'], ['register', 'nav.register'], ['households', 'nav.households']].map(([path, label]) => (
            <a href={href(`/${path}`)} aria-current={current === path ? 'page' : undefined}>{t(label)}</a>
          ))}
        </nav>
      )}
      <main id="content" tabIndex={-1}>
        {expired && current !== 'signin' && (
          <Notice kind="info">
            <p data-testid="session-expired">{t('session.expired', { at: formatDateTime(new Date(session.expiresAt).toISOString()) })}</p>
            <Button variant="secondary" onClick={() => navigate('/signin')} disabled={!state.online} data-testid="signin-again">{t('session.signin_again')}</Button>
          </Notice>
        )}
        {props.children}
        <p class="offline-ready" data-testid="offline-ready" data-ready={String(state.offlineReady)}>
          {state.offlineReady ? t('offline.ready') : t('offline.not_ready')}
        </p>
      </main>
    </>
  );
}


async function registerWorker(): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' });
    await navigator.serviceWorker.ready;
    update({ offlineReady: true });
  } catch {
    // without a service worker the app still works while the page stays open
  }
}

void initState();
void registerWorker();
const root = document.getElementById('app')!;
root.textContent = ''; // the shell's "Loading…"
render(<App />, root);
