// One error type with an HTTP status and a stable code; the problem handler turns it into RFC 9457 problem+json.
import type { NextFunction, Request, Response } from 'express';
import { isDatabaseUnavailable } from '../db/db.js';
import { BodyRejected, MAX_JSON_DEPTH } from './body-checks.js';

import type { FieldError } from './field-error.js';

export type { FieldError } from './field-error.js';

export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string, // stable and documented: 'person.not_found'
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HubError(404, `${what}.not_found`, `No such ${what}.`);

export const invalid = (errors: FieldError[], message = 'The request is not valid.') =>
  new HubError(400, 'request.invalid', message, { errors });

export const unprocessable = (code: string, errors: FieldError[], message: string) =>
  new HubError(422, code, message, { errors });

export const conflict = (code: string, message: string, details: Record<string, unknown> = {}) =>
  new HubError(409, code, message, details);

export const ifMatchRequired = () =>
  new HubError(428, 'precondition.required', 'Send If-Match with the ETag of the version you edited.', {
    errors: [{ field: 'header.if-match', message: 'is required' }],
  });

export const staleVersion = (what: string, currentVersion: number) =>
  new HubError(
    412,
    `${what}.version_mismatch`,
    `The ${what} has changed since you read it (now version ${currentVersion}); read it again and reapply your change.`,
    { current_version: currentVersion },
    { ETag: `"${currentVersion}"` },
  );

export const unauthorized = (message: string) =>
  new HubError(401, 'auth.unauthorized', message, {}, { 'WWW-Authenticate': 'Bearer realm="srhub"' });

export const forbidden = (message: string) => new HubError(403, 'auth.forbidden', message);

export const unavailable = (message: string) =>
  new HubError(503, 'service.unavailable', message, {}, { 'Retry-After': '5' });

/** The database is down, restarting or has no free connection: nothing was done, the same request may be sent again. */
export const databaseUnavailable = () => unavailable('The database is not available right now; retry shortly (a write retried with its Idempotency-Key is not applied twice).');

/** Express's own errors (body parser) that are the client's fault, as HubErrors. */
function fromExpressError(err: unknown): HubError | undefined {
  const e = err as { type?: string; status?: number; limit?: number };
  if (e?.type === 'entity.parse.failed') {
    return new HubError(400, 'request.malformed_json', 'The request body is not valid JSON.', {
      errors: [{ field: 'body', message: 'is not valid JSON' }],
    });
  }
  if (err instanceof BodyRejected) {
    return new HubError(400, err.type === 'entity.invalid_utf8' ? 'request.invalid_utf8' : 'request.too_deep', err.message, {
      errors: [{ field: 'body', message: err.type === 'entity.invalid_utf8' ? 'is not valid UTF-8' : `nests deeper than ${MAX_JSON_DEPTH} levels` }],
    });
  }
  if (e?.type === 'entity.too.large') {
    return new HubError(413, 'request.too_large', `The request body is larger than the limit of ${e.limit} bytes.`);
  }
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new HubError(415, 'request.unsupported_encoding', 'Send the body as UTF-8 JSON.');
  }
  if (err instanceof URIError && e?.status === 400) {
    // express's router could not decode a path parameter of a route mounted outside the API document
    return new HubError(400, 'request.invalid_path', 'A path segment is not valid percent-encoding.', {
      errors: [{ field: 'path', message: 'is not valid percent-encoding' }],
    });
  }
  if (e?.status === 400 && e?.type) {
    return new HubError(400, 'request.malformed', 'The request could not be read.');
  }
  return undefined;
}

// PostgreSQL chose this transaction as a deadlock's victim, or could not serialise it: it was rolled back whole
const CONTENTION = new Set(['40P01', '40001']);

/** The database was unavailable or undid the transaction for a concurrent one: 503, the request may be sent again. */
export function retryableDbError(err: unknown): HubError | undefined {
  if (isDatabaseUnavailable(err)) return databaseUnavailable();
  const code = (err as { code?: string })?.code;
  if (code === undefined || !CONTENTION.has(code)) return undefined;
  return new HubError(503, 'database.contention', 'The request met a concurrent one on the same records and was undone whole; send it again.', {}, { 'Retry-After': '1' });
}

/** No database or a contended one (retryable), or a unique violation that slipped past the checks (a race). */
function fromDbError(err: unknown): HubError | undefined {
  const retryable = retryableDbError(err);
  if (retryable) return retryable;
  if ((err as { code?: string })?.code !== '23505') return undefined;
  return new HubError(409, 'conflict.concurrent', 'A concurrent request registered the same data first; read it and retry.');
}

/** The last middleware: HubError -> problem+json; anything else is a bug -> 500 without internals. */
export function problemHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const known = err instanceof HubError ? err : (fromExpressError(err) ?? fromDbError(err));
  const e = known ?? new HubError(500, 'internal', 'Something went wrong on our side; it has been logged.');
  if (!known) req.log?.error({ err: { message: (err as Error)?.message, stack: (err as Error)?.stack } }, 'unhandled');
  else if (!(err instanceof HubError) && e.status === 503) req.log?.warn({ err: (err as Error)?.message, code: e.code }, 'database unavailable or contended');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.set(e.headers);
  if (e.status === 400 && OAUTH_TOKEN_PATHS.has(req.path)) {
    sendOAuthError(res, e);
    return;
  }
  sendProblem(res, e, req.id);
}

// OAuth clients read RFC 6749 errors from the token endpoints, also for a request the parsers or validation refused
const OAUTH_TOKEN_PATHS = new Set(['/oauth2/token', '/oauth2/client/token']);

function sendOAuthError(res: Response, e: HubError): void {
  const fields = ((e.details.errors ?? []) as FieldError[]).map((f) => `${f.field} ${f.message}`);
  res.set({ 'Cache-Control': 'no-store' });
  res.status(400).json({ error: 'invalid_request', error_description: fields.length ? `${e.message} ${fields.join('; ')}.` : e.message });
}

export function sendProblem(res: Response, e: HubError, requestId?: string): void {
  res
    .status(e.status)
    .type('application/problem+json')
    .json({ type: `/problems/${e.code}`, title: e.message, status: e.status, code: e.code, request_id: requestId, ...e.details });
}
