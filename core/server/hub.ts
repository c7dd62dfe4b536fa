// Starts the hub: database (migrated), cache and bus, the API, the HTTP server; stops them in reverse order.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAudit, type Audit } from '../audit/audit.js';
import { auditRoutes } from '../audit/routes.js';
import { createAuthenticator } from '../auth/authenticate.js';
import { authRoutes } from '../auth/routes.js';
import { tokenRoutes } from '../auth/token-endpoint.js';
import { initCache, type Bus, type Cache } from '../cache/index.js';
import type { Config } from '../config.js';
import { initDb, type Db } from '../db/index.js';
import { startConsentExpiry } from '../../consent/expiry.js';
import { consentRoutes } from '../../consent/routes.js';
import { dciClientRoutes } from '../dci/client-settings-routes.js';
import { startDci, type Dci } from '../dci/index.js';
import { purgeDelivered } from '../delivery/queue.js';
import { createDeliveries, type Deliveries } from '../delivery/worker.js';
import { createOutbox, purgeConsumedEvents, type Outbox } from '../outbox/dispatcher.js';
import { KeyStore } from '../keys/key-store.js';
import { loadMasterKey } from '../keys/master-key.js';
import { createSecrets, type Secrets } from '../keys/secrets.js';
import { createLogger, type Logger } from '../log.js';
import { registryRoutes } from '../registry/routes.js';
import { createApp } from './app.js';
import { systemContext } from './context.js';
import { docsRoutes } from './docs.js';
import { loadHubDocument } from './hub-document.js';
import type { Handlers } from './handlers.js';
import { createMetrics, type HttpMetrics } from './metrics.js';
import { expireIdempotencyKeys } from './idempotency.js';
import { Api } from './openapi.js';
import { operationsRoutes } from './operations.js';
import { SYSTEM_PRINCIPAL } from './principal.js';
import { rateLimiter } from './protection.js';


export interface Hub {
  url: string;
  config: Config;
  db: Db;
  cache: Cache;
  bus: Bus;
  api: Api;
  log: Logger;
  secrets: Secrets;
  keys: KeyStore;
  audit: Audit;
  /** Registry events to consumers (subscriptions, connectors), in commit order. */
  outbox: Outbox;
  /** The durable queue of outgoing HTTP messages. */
  deliveries: Deliveries;
  /** The DCI Social Registry API (core/dci). */
  dci: Dci;
  stop(): Promise<void>;
}

export async function startHub(config: Config, log: Logger = createLogger(config.logLevel)): Promise<Hub> {
  const secrets = createSecrets(await loadMasterKey(config, log));
  const db = await initDb(config);
  const closers: (() => Promise<void>)[] = [() => db.close()];
  let closing: Promise<void> | undefined;
  // stopping twice (a second SIGTERM, a test's cleanup) waits for the first stop
  const closeAll = () =>
    (closing ??= (async () => {
      for (const close of closers.reverse()) await close().catch((err) => log.error({ err: err.message }, 'close failed'));
    })());
  try {
    // stopped after the server (requests in flight finish) and before the database: what is queued gets written
    const audit = createAudit(db, { log });
    closers.push(() => audit.stop());
    const { cache, bus } = await initCache(config);
    closers.push(() => cache.close(), () => bus.close());
    const api = await Api.load(await loadHubDocument());
    const metrics = createMetrics();
    const keys = new KeyStore(db, secrets.masterKey);
    await keys.signingKey(); // the first start creates the hub's signing key
    // stopped after the server, so work the last requests committed is still handed on
    const authenticate = await createAuthenticator({ config, db, keys, bus });
    const limiter = rateLimiter(cache, config);
    const outbox = createOutbox(db, log);
    const deliveries = createDeliveries(db, secrets, log, config.delivery);
    closers.push(() => outbox.stop(), () => deliveries.stop());
    // registers its preparers and outbox consumer before anything is awaited: the worker's first round comes after
    const dci = await startDci({ config, db, secrets, keys, log, audit, cache, bus, authenticate, limiter, outbox, deliveries });
    closers.push(() => dci.stop());
    const app = createApp({
      api,
      handlers: Object.assign({}, ...Object.values(routeMaps({ config, db, cache, bus, keys, metrics }))),
      db,
      audit,
      keys,
      cache,
      bus,
      secrets,
      config,
      log,
      metrics,
      authenticate,
      limiter,
      extraRoutes: docsRoutes(api, await loadHubDocument()),
      dci: dci.router,
    });
    const server = await listen(app, config.port, config.host);
    closers.push(() => closeServer(server, config.shutdownTimeoutMs));
    const housekeeping = startHousekeeping(db, config, log);
    closers.push(async () => clearInterval(housekeeping));
    const consentExpiry = startConsentExpiry(systemContext(config, db, secrets, log, SYSTEM_PRINCIPAL, { audit, keys, cache, bus }));
    closers.push(async () => clearInterval(consentExpiry));
    const { port } = server.address() as AddressInfo;
    const url = config.publicUrl ?? `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
    log.info({ url, database: db.engine, cache: cache.engine }, 'hub started');
    return { url, config, db, cache, bus, api, log, secrets, keys, audit, outbox, deliveries, dci, stop: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The handlers of every operation, by capability; tests/openapi checks each operation is in exactly one map. */
export function routeMaps(deps: { config: Config; db: Db; cache: Cache; bus: Bus; keys: KeyStore; metrics: HttpMetrics }): Record<string, Handlers> {
  const { config, db, cache, bus, keys, metrics } = deps;
  return {
    operations: operationsRoutes({ db, cache, metrics }),
    token: tokenRoutes({ config, db, cache, keys }),
    auth: authRoutes(keys, bus),
    dciClients: dciClientRoutes,
    registry: registryRoutes,
    audit: auditRoutes,
    consent: consentRoutes,
  };
}

const HOUSEKEEPING_MS = 60 * 60 * 1000;

/** Hourly upkeep; every instance may run it (each delete is idempotent). */
function startHousekeeping(db: Db, config: Config, log: Logger): NodeJS.Timeout {
  const run = async () => {
    try {
      const expired = await expireIdempotencyKeys(db, config.idempotencyKeyDays);
      const delivered = await purgeDelivered(db, config.outboxRetentionDays);
      const events = await purgeConsumedEvents(db, config.outboxRetentionDays);
      if (expired || delivered || events) log.info({ expired, delivered, events }, 'housekeeping done');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'housekeeping failed');
    }
  };
  void run();
  const timer = setInterval(run, HOUSEKEEPING_MS);
  timer.unref();
  return timer;
}

function listen(app: RequestListener, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(app);
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Stops accepting connections, lets requests in flight finish, and cuts what is left after the timeout. */
function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
