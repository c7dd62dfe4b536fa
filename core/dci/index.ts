// The DCI Social Registry API (docs/dci.md): its router, the preparers of its outgoing messages, the subscription
// consumer on the outbox and the scheduler of subscriptions with a frequency.
import type express from 'express';
import type { Authenticator } from '../auth/authenticate.js';
import type { Deliveries } from '../delivery/worker.js';
import type { Outbox } from '../outbox/dispatcher.js';
import { Api } from '../server/openapi.js';
import type { RateLimiter } from '../server/protection.js';
import { MESSAGE_WINDOW_MS } from './envelope.js';
import { NOTIFY_KIND, notifyPreparer, runSchedules, subscriptionConsumer } from './notify.js';
import { dciRouter } from './router.js';
import { dciPreparers, dciRoutes } from './routes.js';
import { DCI_API_FILE } from './schemas.js';
import { dciStore } from './store.js';
import type { DciDeps } from './transactions.js';

export interface Dci {
  api: Api;
  router: express.Router;
  /** Runs the due schedules now (tests). */
  runSchedules(): Promise<number>;
  stop(): Promise<void>;
}

const SCHEDULE_MS = 30_000;

export async function startDci(deps: DciDeps & { authenticate: Authenticator; limiter: RateLimiter; outbox: Outbox; deliveries: Deliveries }): Promise<Dci> {
  // before the first await: a delivery claimed without its preparer would go out unsigned and unbuilt
  for (const [kind, prepare] of Object.entries(dciPreparers(deps))) deps.deliveries.prepare(kind, prepare);
  deps.deliveries.prepare(NOTIFY_KIND, notifyPreparer(deps));
  deps.outbox.register(subscriptionConsumer(deps));
  const api = await Api.load(DCI_API_FILE);
  const tick = async () => {
    try {
      await runSchedules(deps);
      await dciStore.pruneMessages(deps.db, MESSAGE_WINDOW_MS * 2);
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'DCI schedules failed');
    }
  };
  const timer = setInterval(tick, SCHEDULE_MS);
  timer.unref();
  return {
    api,
    router: dciRouter({ ...deps, api, handlers: dciRoutes }),
    runSchedules: () => runSchedules(deps),
    async stop() {
      clearInterval(timer);
    },
  };
}
