// Signing in (or verifying the phone before registering): a one-time code by SMS, or the national ID's sign-in when
// the hub offers it.
import { useEffect, useState } from 'preact/hooks';
import { createApi, ApiError } from '../../shared/api.js';
import { currentLanguage } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { Button, Field, Notice } from '../../shared/ui.js';
import { t } from '../i18n/index.js';
import { loadOidc, startOidc, type OidcSettings } from '../oidc.js';
import { sessionFrom, type PortalSession, type SessionAnswer } from '../session.js';

const publicApi = createApi(() => undefined);

/** A refusal of the one-time code endpoints in the reader's language. */
export function codeError(error: unknown): string {
  if (!(error instanceof ApiError)) return t('error.network');
  const left = (error.body as { attempts_left?: number } | undefined)?.attempts_left;
  const known: Record<string, string> = {
    'otp.wrong': t('otp.wrong', { left: left ?? 0 }),
    'otp.expired': t('otp.expired'),
    'otp.attempts_exhausted': t('otp.attempts_exhausted'),
    'otp.invalid': t('otp.invalid'),
    'otp.rate_limited': t('otp.rate_limited'),
    rate_limited: t('otp.rate_limited'),
    'request.invalid': t('otp.phone_invalid'),
  };
  return known[error.code] ?? error.message;
}

export function CodeSignIn(props: { purpose: 'sign_in' | 'register'; onSession: (session: PortalSession) => void }) {
  const [phone, setPhone] = useState('');
  const [challenge, setChallenge] = useState<string>();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const sendCode = async (event?: Event) => {
    event?.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await publicApi.post<{ challenge_id: string }>('/api/v1/portal/otp', { phone: phone.trim(), purpose: props.purpose, language: currentLanguage() });
      setChallenge(answer.challenge_id);
      setCode('');
    } catch (e) {
      setError(codeError(e));
    } finally {
      setBusy(false);
    }
  };
  const submitCode = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await publicApi.post<SessionAnswer>('/api/v1/portal/session', { challenge_id: challenge, code: code.trim() });
      props.onSession(sessionFrom(answer, phone.trim()));
    } catch (e) {
      setError(codeError(e));
    } finally {
      setBusy(false);
    }
  };

  if (!challenge) {
    return (
      <form onSubmit={sendCode} class="portal-form" noValidate>
        <Field id="phone" label={t('signin.phone')} hint={t(props.purpose === 'register' ? 'register.phone_hint' : 'signin.phone_hint')} error={error}>
          <input id="phone" type="tel" inputMode="tel" autoComplete="tel" required value={phone} data-testid="phone-input"
            aria-describedby="phone-hint" onInput={(e) => setPhone((e.target as HTMLInputElement).value)} />
        </Field>
        <button type="submit" class="btn btn-primary btn-wide" disabled={busy || phone.trim().length < 5} data-testid="send-code">{t('signin.send_code')}</button>
      </form>
    );
  }
  return (
    <form onSubmit={submitCode} class="portal-form" noValidate>
      <Notice>{t('signin.code_sent', { phone })}</Notice>
      <Field id="code" label={t('signin.code')} hint={t('signin.code_hint')} error={error}>
        <input id="code" type="text" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]*" maxLength={6} required value={code}
          data-testid="code-input" aria-describedby="code-hint" onInput={(e) => setCode((e.target as HTMLInputElement).value.replace(/\D/g, ''))} />
      </Field>
      <button type="submit" class="btn btn-primary btn-wide" disabled={busy || code.length !== 6} data-testid="submit-code">{t(props.purpose === 'register' ? 'register.verify' : 'signin.submit')}</button>
      <p class="portal-actions">
        <button type="button" class="linklike" disabled={busy} onClick={() => sendCode()}>{t('signin.resend')}</button>
        <button type="button" class="linklike" onClick={() => (setChallenge(undefined), setError(undefined))}>{t('signin.other_number')}</button>
      </p>
    </form>
  );
}

export function SignInPage(props: { register: boolean; oidcError?: string; onSession: (session: PortalSession) => void }) {
  const [oidc, setOidc] = useState<OidcSettings>();
  useEffect(() => {
    if (!props.register) void loadOidc().then(setOidc);
  }, [props.register]);

  if (props.register) {
    return (
      <section aria-labelledby="register-title">
        <h1 id="register-title">{t('register.title')}</h1>
        <p class="lead">{t('register.intro')}</p>
        <CodeSignIn purpose="register" onSession={props.onSession} />
        <p><a href={href('/')}>{t('register.have_record')}</a></p>
      </section>
    );
  }
  return (
    <section aria-labelledby="signin-title">
      <h1 id="signin-title">{t('signin.title')}</h1>
      <p class="lead">{t('signin.intro')}</p>
      {props.oidcError && <Notice kind="error">{t(props.oidcError === 'portal.not_registered' ? 'signin.oidc_not_registered' : 'signin.oidc_failed')}</Notice>}
      <CodeSignIn purpose="sign_in" onSession={props.onSession} />
      {oidc && (
        <div class="portal-or">
          <p>{t('signin.or')}</p>
          <Button variant="secondary" class="btn-wide" data-testid="oidc-signin" onClick={() => void startOidc(oidc, currentLanguage())}>{t('signin.national_id')}</Button>
        </div>
      )}
      <div class="portal-card">
        <h2>{t('signin.not_registered')}</h2>
        <p>{t('signin.not_registered_text')}</p>
        <a class="btn btn-secondary btn-wide" href={href('/register')} data-testid="register-link">{t('signin.register')}</a>
      </div>
    </section>
  );
}
