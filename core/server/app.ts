// Assembles the express app: request ids, logs and metrics, JSON bodies, the operations of the API documents,
// 404/405 for everything else, and one problem handler.
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Audit } from '../audit/audit.js';
import type { Authenticator } from '../auth/authenticate.js';
import type { Bus, Cache } from '../cache/index.js';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { KeyStore } from '../keys/key-store.js';
import type { Secrets } from '../keys/secrets.js';
import type { Logger } from '../log.js';
import { authorize } from './authorize.js';
import { bodyBudget } from './body-budget.js';
import { checkJsonBody, checkUtf8Body, unstorableText } from './body-checks.js';
import { requestContext } from './context.js';
import { HubError, invalid, problemHandler } from './errors.js';
import type { ApiRequest, Handlers } from './handlers.js';
import type { HttpMetrics } from './metrics.js';
import { corsAllowList, ipRateLimit, securityHeaders, type RateLimiter } from './protection.js';
import type { Api, ApiOperation } from './openapi.js';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

export interface AppDeps {
  api: Api;
  handlers: Handlers;
  db: Db;
  secrets: Secrets;
  config: Config;
  log: Logger;
  metrics: HttpMetrics;
  authenticate: Authenticator;
  limiter: RateLimiter;
  audit: Audit;
  keys: KeyStore;
  cache: Cache;
  bus: Bus;
  /** Routes outside the API document (docs pages), mounted before the API. */
  extraRoutes?: express.Router;
  /** The DCI API (core/dci): its own router with DCI-shaped errors, mounted at config.dciBasePath before the JSON parser. */
  dci?: express.Router;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** Bodies from this size on share the budget of bytes in flight (a bulk import's batches; a form post never waits). */
const LARGE_BODY_BYTES = 1024 * 1024;

export function createApp(deps: AppDeps): express.Express {
  const { api, handlers, log, metrics } = deps;
  checkHandlers(api, handlers);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // ETags carry record versions, set by the handlers
  app.set('query parser', 'simple');
  // behind a reverse proxy, its X-Forwarded-For gives the caller's address (for rate limits and the audit trail)
  if (deps.config.trustProxy) app.set('trust proxy', /^\d+$/.test(deps.config.trustProxy) ? Number(deps.config.trustProxy) : deps.config.trustProxy.split(','));

  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    req.id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.log = log.child({ req_id: req.id });
    res.set('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // the route template, never the URL: paths and queries can hold identifiers and names
      const route = (res.locals.route as string | undefined) ?? 'unmatched';
      metrics.observe(req.method, route, res.statusCode, seconds);
      req.log.info({ method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    });
    next();
  });

  app.use(securityHeaders());
  app.use(corsAllowList(deps.config));
  app.use(ipRateLimit(deps.limiter));
  app.use(bodyBudget({ budgetBytes: deps.config.bodyBytesInFlight, thresholdBytes: LARGE_BODY_BYTES, maxWaitMs: deps.config.bodyWaitMs, largestBodyBytes: deps.config.bodyLimitBytes }));
  if (deps.dci) app.use(deps.config.dciBasePath || '/', deps.dci);
  app.use(express.json({ limit: deps.config.bodyLimitBytes, type: ['application/json', 'application/*+json'], verify: checkJsonBody }));
  app.use(express.urlencoded({ extended: false, limit: deps.config.bodyLimitBytes, parameterLimit: 100, verify: checkUtf8Body }));
  if (deps.extraRoutes) app.use(deps.extraRoutes);

  app.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const match = api.match(req.method, req.path);
      if (!match) throw new HubError(404, 'route.not_found', `There is no ${req.path} in this API; see /docs.`);
      if ('allowed' in match) {
        res.set('Allow', match.allowed.join(', '));
        throw new HubError(405, 'method.not_allowed', `${req.method} is not allowed here; use ${match.allowed.join(' or ')}.`);
      }
      const { operation, params } = match;
      res.locals.route = operation.path;
      const principal = await authorize(deps, operation, req.headers);
      requireJsonBody(req, operation);
      const unstorable = [...unstorableText(params, 'path'), ...unstorableText(req.query, 'query'), ...unstorableText(req.body, 'body')];
      if (unstorable.length) throw invalid(unstorable);
      const validation = api.validateRequest(
        { method: req.method, path: req.path, headers: req.headers, query: req.query as Record<string, unknown>, body: req.body },
        operation,
      );
      if (validation.errors.length) throw invalid(validation.errors);
      const ctx = requestContext(deps, req, principal);
      const apiRequest: ApiRequest = {
        operationId: operation.operationId,
        params,
        query: validation.query,
        body: req.body,
        header: (name) => req.header(name),
      };
      await handlers[operation.operationId](ctx, apiRequest, res);
    } catch (err) {
      next(err);
    }
  });

  app.use(problemHandler);
  return app;
}

function requireJsonBody(req: Request, operation: ApiOperation): void {
  const content = (operation.operation.requestBody as { content?: Record<string, unknown> } | undefined)?.content;
  // an empty body (Content-Length: 0, as fetch sends for a bodyless POST) has no media type to check
  if (!content || (Number(req.headers['content-length'] ?? 0) === 0 && !req.headers['transfer-encoding'])) return;
  const accepted = Object.keys(content);
  if (!req.is(accepted.map((type) => (type === 'application/json' ? 'application/*+json' : type)).concat(accepted))) {
    throw new HubError(415, 'request.unsupported_media_type', `Send the body as ${accepted.join(' or ')}.`);
  }
}

/** Every operation of the document has a handler and every handler an operation: checked once at start. */
function checkHandlers(api: Api, handlers: Handlers): void {
  const missing = [...api.operations.keys()].filter((id) => !handlers[id]);
  const unknown = Object.keys(handlers).filter((id) => !api.operations.has(id));
  if (missing.length || unknown.length) {
    throw new Error(`API handlers out of step with the document: missing ${missing.join(', ') || 'none'}; unknown ${unknown.join(', ') || 'none'}`);
  }
}
