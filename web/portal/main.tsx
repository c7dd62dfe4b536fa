// The beneficiary portal: people see their own record, consents and who looked at their data, ask for corrections,
// and register online. Phone-first: large text, one column, few requests, English and French.
import { render, type JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import '../shared/base.css';
import './portal.css';
import { createApi } from '../shared/api.js';
import type { PageProps } from './context.js';
import { useLanguage } from '../shared/i18n.js';
import { href, navigate, useRoute } from '../shared/router.js';
import { LanguagePicker, Loading, Notice } from '../shared/ui.js';
import { t } from './i18n/index.js';
import { completeOidc, OidcReturnError } from './oidc.js';
import { AccessLogPage } from './pages/access-log.js';
import { ApplicationsPage } from './pages/applications.js';
import { ConsentsPage } from './pages/consents.js';
import { CorrectionPage } from './pages/correction.js';
import { HouseholdPage } from './pages/household.js';
import { RegisterPage } from './pages/register.js';
import { RequestsPage } from './pages/requests.js';
import { SignInPage } from './pages/sign-in.js';
import { portalSession, sessionFrom, type PortalSession } from './session.js';

const PERSON_PAGES: { path: string; label: string; component: (props: PageProps) => JSX.Element }[] = [
  { path: '', label: 'nav.household', component: HouseholdPage },
  { path: 'consents', label: 'nav.consents', component: ConsentsPage },
  { path: 'access', label: 'nav.access', component: AccessLogPage },
  { path: 'requests', label: 'nav.requests', component: RequestsPage },
];

const returningFromProvider = () => /[?&](code|error)=/.test(location.search);

function App() {
  useLanguage();
  const route = useRoute();
  const [session, setSession] = useState(portalSession.load());
  const [checking, setChecking] = useState(returningFromProvider());
  const [oidcError, setOidcError] = useState<string>();
  const signedIn = (s: PortalSession) => {
    portalSession.save(s);
    setSession(s);
    navigate('/');
  };
  const signOut = () => {
    portalSession.clear();
    setSession(undefined);
    navigate('/');
  };
  const api = useMemo(() => createApi(() => session?.token, signOut), [session?.token]);

  useEffect(() => {
    if (!checking) return;
    completeOidc()
      .then((answer) => answer && signedIn(sessionFrom(answer)))
      .catch((error) => setOidcError(error instanceof OidcReturnError ? error.message : 'error'))
      .finally(() => setChecking(false));
  }, []);

  let content;
  if (checking) content = <Loading label={t('signin.oidc_checking')} />;
  else if (!session) content = <SignInPage register={route.parts[0] === 'register'} oidcError={oidcError} onSession={signedIn} />;
  else if (session.kind === 'applicant') content = route.parts[0] === 'applications' ? <ApplicationsPage api={api} session={session} /> : <RegisterPage api={api} session={session} />;
  else if (route.parts[0] === 'correct') content = <CorrectionPage api={api} session={session} />;
  else {
    const Page = PERSON_PAGES.find((p) => p.path === (route.parts[0] ?? ''))?.component;
    content = Page ? <Page api={api} session={session} /> : <Notice kind="error">{t('page.not_found')}</Notice>;
  }

  return (
    <>
      <a class="skip-link" href="#content" onClick={(e) => (e.preventDefault(), document.getElementById('content')?.focus())}>{t('skip')}</a>
      <header class="app-header portal-header">
        <a class="brand" href={href('/')}>{t('app.name')}</a>
        <LanguagePicker label={t('header.language')} />
        {session && <button type="button" class="linklike" data-testid="sign-out" onClick={signOut}>{t('header.signout')}</button>}
      </header>
      {session?.kind === 'person' && (
        <nav class="app-nav portal-nav" aria-label={t('nav.label')}>
          {PERSON_PAGES.map((p) => (
            <a href={href(`/${p.path}`)} aria-current={p.path === (route.parts[0] ?? '') ? 'page' : undefined}>{t(p.label)}</a>
          ))}
        </nav>
      )}
      {session?.kind === 'applicant' && (
        <nav class="app-nav portal-nav" aria-label={t('nav.label')}>
          <a href={href('/')} aria-current={route.parts[0] !== 'applications' ? 'page' : undefined}>{t('nav.register')}</a>
          <a href={href('/applications')} aria-current={route.parts[0] === 'applications' ? 'page' : undefined}>{t('nav.applications')}</a>
        </nav>
      )}
      <main id="content" tabIndex={-1}>{content}</main>
    </>
  );
}


const root = document.getElementById('app')!;
// the server's "Loading…" placeholder: preact would keep it above the app
root.replaceChildren();
render(<App />, root);
