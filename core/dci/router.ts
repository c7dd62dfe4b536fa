// The DCI API's own express router, mounted before the hub API at SRHUB_DCI_BASE_PATH: the same authentication,
// rate limits and openapi-backend validation as the hub API, but DCI-shaped errors: 401/403/413/415/429 as
// {errors: [{code, message}]}, unreadable or refused messages as an ACK with ack_status ERR (never problem+json).
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Authenticator } from '../auth/authenticate.js';
import { authorize } from '../server/authorize.js';
import { BodyRejected, checkJsonBody, unstorableText } from '../server/body-checks.js';
import { requestContext } from '../server/context.js';
import { HubError, retryableDbError } from '../server/errors.js';
import type { ApiRequest, Handlers } from '../server/handlers.js';
import type { Api } from '../server/openapi.js';
import type { RateLimiter } from '../server/protection.js';
import { ack, DciError, newId } from './envelope.js';
import type { DciDeps } from './transactions.js';

export interface DciRouterDeps extends DciDeps {
  api: Api;
  handlers: Handlers;
  authenticate: Authenticator;
  limiter: RateLimiter;
}

const HTTP_CODES: Record<number, string> = {
  401: 'err.request.unauthorized',
  403: 'err.request.forbidden',
  404: 'err.request.not_found',
  405: 'err.request.bad',
  413: 'err.request.bad',
  415: 'err.request.bad',
  429: 'err.request.too_many_requests',
  503: 'err.service.unavailable',
};

export function dciRouter(deps: DciRouterDeps): express.Router {
  const { api, handlers } = deps;
  const router = express.Router();
  router.use(express.json({ limit: deps.config.bodyLimitBytes, type: ['application/json', 'application/*+json'], verify: checkJsonBody }));

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    const match = api.match(req.method, req.path);
    if (!match) return next(); // not a DCI path: the hub API's 404
    try {
      if ('allowed' in match) {
        res.set('Allow', match.allowed.join(', '));
        throw new HubError(405, 'method.not_allowed', `${req.method} is not allowed here; use ${match.allowed.join(' or ')}.`);
      }
      const { operation, params } = match;
      res.locals.route = operation.path;
      const principal = await authorize(deps, operation, req.headers);
      if (!req.is(['application/json', 'application/*+json'])) throw new HubError(415, 'request.unsupported_media_type', 'Send the message as application/json.');
      const unstorable = unstorableText(req.body, 'body');
      if (unstorable.length) throw new DciError(400, 'err.request.bad', `The message is not valid: ${unstorable.map((e) => `${e.field.replace(/^body\./, '')} ${e.message}`).join('; ')}.`);
      // on a copy: validation fills in defaults, and the signature covers the message exactly as it was sent
      const validation = api.validateRequest({ method: req.method, path: req.path, headers: req.headers, query: req.query as Record<string, unknown>, body: structuredClone(req.body) }, operation);
      // a wrong header.action is answered with the standard's rjct.action.invalid by the header checks
      const errors = validation.errors.filter((e) => e.field !== 'body.header.action');
      if (errors.length) {
        throw new DciError(400, 'err.request.bad', `The message is not valid: ${errors.slice(0, 5).map((e) => `${e.field.replace(/^body\./, '')} ${e.message}`).join('; ')}.`);
      }
      const ctx = requestContext(deps, req, principal);
      const apiRequest: ApiRequest = { operationId: operation.operationId, params, query: validation.query, body: req.body, header: (name) => req.header(name) };
      await handlers[operation.operationId](ctx, apiRequest, res);
    } catch (err) {
      next(err);
    }
  });

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return res.destroy();
    if (!api.match(req.method, req.path)) return next(err);
    sendDciError(req, res, err);
  });
  return router;
}

/** DciError -> ERR ACK; HubError (auth, rate limit, body parser) -> {errors}; anything else -> 500 without internals. */
function sendDciError(req: Request, res: Response, err: unknown): void {
  if (err instanceof DciError) {
    // 401/403 (signature, sender) are HTTP errors in the standard: {errors}; the others an ERR ACK
    if (err.status === 401 || err.status === 403) res.status(err.status).json({ errors: [{ code: err.code, message: err.message }] });
    else res.status(err.status).json(ack(correlationOf(req), 'ERR', { code: err.code, message: err.message.slice(0, 999) }));
    return;
  }
  const parsed = err as { type?: string; status?: number };
  let e: HubError | undefined = err instanceof HubError ? err : undefined;
  if (!e && err instanceof BodyRejected) {
    res.status(400).json(ack(correlationOf(req), 'ERR', { code: 'err.request.bad', message: err.message }));
    return;
  }
  if (!e && parsed?.type === 'entity.parse.failed') {
    res.status(400).json(ack(correlationOf(req), 'ERR', { code: 'err.request.bad', message: 'The body is not valid JSON.' }));
    return;
  }
  if (!e && parsed?.type === 'entity.too.large') e = new HubError(413, 'request.too_large', 'The message is larger than the body limit.');
  if (!e && parsed?.status && parsed.status < 500) e = new HubError(400, 'request.malformed', 'The request could not be read.');
  if (!e) e = retryableDbError(err);
  if (!e) {
    req.log?.error({ err: { message: (err as Error)?.message, stack: (err as Error)?.stack } }, 'unhandled');
    e = new HubError(500, 'internal', 'Something went wrong on our side; it has been logged.');
  }
  res.set(e.headers);
  if (e.status === 400) {
    res.status(400).json(ack(correlationOf(req), 'ERR', { code: 'err.request.bad', message: e.message }));
    return;
  }
  res.status(e.status).json({ errors: [{ code: HTTP_CODES[e.status] ?? 'err.service.unavailable', message: e.message }] });
}

/** The correlation id of an answer to a message that was not accepted: new, as nothing was recorded. */
const correlationOf = (_req: Request) => newId();
