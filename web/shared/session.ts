// Who is signed in to an app: the access token from POST /oauth2/token, kept in sessionStorage (gone when the tab
// closes; the field app keeps its own copy for offline use) and the account from GET /api/v1/me.

export interface Session {
  token: string;
  expiresAt: number;
  username?: string;
  roles: string[];
  scopes: string[];
  areas: string[] | null;
  /** The person a beneficiary's token speaks for. */
  personId?: string;
}

export interface TokenAnswer {
  access_token: string;
  expires_in: number;
  scope?: string;
}

/** A session kept in storage under `srhub.<app>.session`, forgotten once expired (each app has its own shape). */
export function sessionStore<T extends { expiresAt: number } = Session>(app: string, storage: Storage = sessionStorage) {
  const key = `srhub.${app}.session`;
  return {
    load(): T | undefined {
      try {
        const session = JSON.parse(storage.getItem(key) ?? 'null') as T | null;
        return session && session.expiresAt > Date.now() ? session : undefined;
      } catch {
        return undefined;
      }
    },
    save(session: T): void {
      storage.setItem(key, JSON.stringify(session));
    },
    clear(): void {
      storage.removeItem(key);
    },
  };
}

/** The password grant: the console's and field app's sign-in. Throws the token endpoint's error message. */
export async function passwordSignIn(username: string, password: string): Promise<TokenAnswer> {
  const res = await fetch('/oauth2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error_description ?? body.detail ?? 'Sign-in failed.');
  return body as TokenAnswer;
}

/** The claims of a JWT access token, read without verifying (the hub verifies; the app only adapts its pages). */
export function tokenClaims(token: string): Record<string, any> {
  const payload = token.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(decodeURIComponent([...json].map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join('')));
}

export function sessionFromToken(answer: TokenAnswer, username?: string): Session {
  const claims = tokenClaims(answer.access_token);
  return {
    token: answer.access_token,
    expiresAt: Date.now() + answer.expires_in * 1000,
    username,
    roles: claims.roles ?? [],
    scopes: (answer.scope ?? claims.scope ?? '').split(' ').filter(Boolean),
    areas: claims.areas ?? null,
    personId: claims.person_id ?? claims.subject ?? undefined,
  };
}
