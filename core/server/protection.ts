// Protection every request passes through: security headers, the CORS allow-list, and rate limits per caller
// and per address (counted in the Cache: Redis across instances, memory in one process).
import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { Cache } from '../cache/index.js';
import type { Config } from '../config.js';
import { HubError } from './errors.js';

const WINDOW_S = 60;

export function securityHeaders(): RequestHandler {
  // the API serves JSON and one server-rendered docs page with inline styles only
  return helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], imgSrc: ["'self'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
}

/** Browsers may call the API only from the configured origins (none by default). */
export function corsAllowList(config: Pick<Config, 'corsOrigins'>): RequestHandler {
  const allowed = new Set(config.corsOrigins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'Idempotency-Key', 'X-Request-Id', 'X-Purpose'],
    exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After', 'Idempotent-Replayed'],
    maxAge: 600,
  });
}

export interface RateLimiter {
  /** Counts a request of this caller (or address); throws 429 with Retry-After past the limit. */
  check(kind: 'principal' | 'ip', id: string): Promise<void>;
}

export function rateLimiter(cache: Cache, config: Pick<Config, 'rateLimitPerMinute' | 'rateLimitPerIpPerMinute'>): RateLimiter {
  return {
    async check(kind, id) {
      const limit = kind === 'ip' ? config.rateLimitPerIpPerMinute : config.rateLimitPerMinute;
      const window = Math.floor(Date.now() / 1000 / WINDOW_S);
      let count: number;
      try {
        count = await cache.increment(`ratelimit:${kind}:${id}:${window}`, WINDOW_S * 2);
      } catch {
        return; // the cache is down: serve rather than refuse everyone (readiness reports the outage)
      }
      if (count > limit) {
        const retryAfter = (window + 1) * WINDOW_S - Math.floor(Date.now() / 1000);
        throw new HubError(429, 'rate_limited', `Too many requests; at most ${limit} a minute. Retry after ${retryAfter} s.`, {}, { 'Retry-After': String(Math.max(retryAfter, 1)) });
      }
    },
  };
}

/** The per-address limit, before any work is done for the request. */
export function ipRateLimit(limiter: RateLimiter): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    limiter.check('ip', req.ip ?? 'unknown').then(() => next(), next);
  };
}
