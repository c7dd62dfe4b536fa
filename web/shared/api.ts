// The hub's public API as the browser apps call it: JSON in and out, the bearer token of the signed-in user, and
// errors as ApiError carrying the problem document (RFC 9457) so forms can show the field that is wrong.

export interface FieldError {
  field?: string;
  name?: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
    readonly body: unknown = undefined,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  ifMatch?: number | string;
  idempotencyKey?: string;
  /** X-Purpose: why personal data is read (recorded in the audit trail and the person's access log). */
  purpose?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Api {
  request<T = any>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  /** Like request, with the answer's status and headers (a 202's Location). */
  send<T = any>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<{ status: number; headers: Headers; body: T }>;
  get<T = any>(path: string, options?: RequestOptions): Promise<T>;
  post<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  patch<T = any>(path: string, body: unknown, options?: RequestOptions): Promise<T>;
  put<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  delete<T = any>(path: string, options?: RequestOptions): Promise<T>;
}

/** An API client; `token()` gives the current access token (or none), `onUnauthorized` runs on a 401. */
export function createApi(token: () => string | undefined, onUnauthorized: () => void = () => {}): Api {
  const send = async <T>(method: string, path: string, body?: unknown, options: RequestOptions = {}) => {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const bearer = token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.ifMatch !== undefined) headers['if-match'] = typeof options.ifMatch === 'number' ? `"${options.ifMatch}"` : options.ifMatch;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    if (options.purpose) headers['x-purpose'] = options.purpose;
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: options.signal });
    const text = await res.text();
    const parsed = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    if (!res.ok) {
      if (res.status === 401) onUnauthorized();
      const problem = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, any>;
      const message = problem.detail ?? problem.title ?? problem.error_description ?? `${method} ${path} failed (${res.status})`;
      throw new ApiError(res.status, problem.code ?? problem.error ?? String(res.status), message, problem.errors ?? [], parsed);
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
  const request = async <T>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<T> =>
    (await send<T>(method, path, body, options)).body;
  return {
    request,
    send,
    get: (path, options) => request('GET', path, undefined, options),
    post: (path, body, options) => request('POST', path, body, options),
    patch: (path, body, options) => request('PATCH', path, body, options),
    put: (path, body, options) => request('PUT', path, body, options),
    delete: (path, options) => request('DELETE', path, undefined, options),
  };
}

/** A fresh UUID for Idempotency-Key and client-generated ids (crypto.randomUUID needs a secure context). */
export function newUuid(): string {
  if (typeof globalThis.crypto?.randomUUID === 'function' && isSecureContext) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
