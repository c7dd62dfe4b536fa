// Health, readiness and metrics handlers.
import type { Cache } from '../cache/index.js';
import type { Db } from '../db/index.js';
import type { Handlers } from './handlers.js';
import type { HttpMetrics } from './metrics.js';

const READY_TIMEOUT_MS = 2000;

async function answers(check: () => Promise<unknown>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS)));
  try {
    const ok = await Promise.race([check().then((r) => r !== false), timeout]);
    return ok ? 'up' : 'down';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

export function operationsRoutes(deps: { db: Db; cache: Cache; metrics: HttpMetrics }): Handlers {
  return {
    getHealth: (_ctx, _req, res) => {
      res.json({ status: 'up' });
    },
    getReady: async (_ctx, _req, res) => {
      const [database, cache] = await Promise.all([answers(() => deps.db.query('select 1')), answers(() => deps.cache.ping())]);
      // without Redis the hub still serves (rate limits and caches skip it, queues fall back to the database):
      // only the database decides, the cache's state is reported
      const ready = database === 'up';
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { database, cache } });
    },
    getMetrics: async (_ctx, _req, res) => {
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    },
  };
}
