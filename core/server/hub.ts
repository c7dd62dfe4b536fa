// Starts the hub: database (migrated), cache and bus, the API, the HTTP server; stops them in reverse order.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refreshFeatures } from '../assessment/features-store.js';
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
import { EgressPolicy } from '../net/egress.js';
import { registryRoutes } from '../registry/routes.js';
import { dedupRoutes } from '../dedup/routes.js';
import { formRoutes } from '../forms/routes.js';
import { installDefaultForms } from '../forms/service.js';
import { attachmentBodies } from '../sync/attachments.js';
import { syncRoutes } from '../sync/routes.js';
import { startReports } from '../reports/index.js';
import { reportsRoutes } from '../reports/routes.js';
import { startAssessment, type Assessment } from '../assessment/index.js';
import { assessmentRoutes } from '../assessment/routes.js';
import { programRoutes } from '../programs/routes.js';
import { programSystemRoutes } from '../programs/systems-routes.js';
import { simulationRoutes } from '../simulation/routes.js';
import { startSimulationWorker, type SimulationWorker } from '../simulation/worker.js';
import { startWorkflow, type Workflow } from '../workflow/workflow.js';
import { workflowRoutes } from '../workflow/routes.js';
import { portalRoutes } from '../portal/routes.js';
import { portalOidcRoutes } from '../portal/oidc-routes.js';
import { selfRegistrationCheck } from '../portal/registration.js';
import { startConnectors, type ConnectorService } from '../../connectors/framework/index.js';
import { NOTIFICATION_KIND, notificationPreparer } from '../../connectors/notification/send.js';
import { connectorRoutes } from '../../connectors/framework/routes.js';
import { verificationRoutes } from '../verification/routes.js';
import { areaGeoRoutes } from '../registry/areas/routes.js';
import { createApp } from './app.js';
import { systemContext } from './context.js';
import { docsRoutes } from './docs.js';
import { webRoutes } from './web.js';
import { loadHubDocument } from './hub-document.js';
import type { Handlers } from './handlers.js';
import { createMetrics, type HttpMetrics } from './metrics.js';
import { expireIdempotencyKeys } from './idempotency.js';
import { Api } from './openapi.js';
import { answerClientError } from './client-error.js';
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
  /** Scores and eligibility kept current (core/assessment): settle() runs scoring jobs to the end (tests). */
  assessment: Assessment;
  /** Queued policy simulations computed in the background (core/simulation/worker.ts): settle() for tests. */
  simulations: SimulationWorker;
  /** The registration workflow (core/workflow): cases, checks (connectors add theirs), settle() for tests. */
  workflow: Workflow;
  /** Connectors to external systems (connectors/framework): runs, triggers, workflow checks. */
  connectors: ConnectorService;
  /** The listening HTTP server (tests watch its requests). */
  server: Server;
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
    await installDefaultForms(db); // the default questionnaire, the first time (idempotent)
    // stopped after the server, so work the last requests committed is still handed on
    const authenticate = await createAuthenticator({ config, db, keys, bus });
    const limiter = rateLimiter(cache, config);
    const outbox = createOutbox(db, log);
    const deliveries = createDeliveries(db, secrets, log, { ...config.delivery, egress: new EgressPolicy(config.egressAllow) });
    closers.push(() => outbox.stop(), () => deliveries.stop());
    // registers its preparers and outbox consumer before anything is awaited: the worker's first round comes after
    const dci = await startDci({ config, db, secrets, keys, log, audit, cache, bus, authenticate, limiter, outbox, deliveries });
    closers.push(() => dci.stop());
    // the dashboard cache's invalidation (an outbox consumer) and the periodic data-quality check
    const reports = startReports({ config, db, cache, log, outbox });
    closers.push(() => reports.stop());
    // re-scores from the outbox and runs scoring jobs; stopped before the outbox and the database
    const assessment = startAssessment({ db, log, outbox }, { eligibility: config.eligibility });
    closers.push(() => assessment.stop());
    // computes queued simulations (claimed once across instances); stopped before the database
    const simulations = startSimulationWorker({ db, log, bus });
    closers.push(() => simulations.stop());
    // before the connectors (they add their checks to it); stopped after them, before the outbox
    const workflow = startWorkflow({ config, db, secrets, log, audit, keys, cache, bus, outbox });
    workflow.checks.add(selfRegistrationCheck); // online self-registrations wait for an officer (core/portal)
    closers.push(() => workflow.stop());
    // stopped before the outbox and the database: runs going finish first
    const connectors = await startConnectors({ config, db, secrets, log, audit, keys, cache, bus, outbox, checks: workflow.checks });
    // notifications (SMS, e-mail, one-time codes) go out through the delivery queue, to the gateway configured then
    deliveries.prepare(NOTIFICATION_KIND, notificationPreparer(db, secrets));
    closers.push(() => connectors.stop());
    const app = createApp({
      api,
      handlers: Object.assign({}, ...Object.values(routeMaps({ config, db, cache, bus, keys, metrics, connectors }))),
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
      extraRoutes: attachmentBodies(config.syncChunkMaxBytes, docsRoutes(api, await loadHubDocument()).use(webRoutes())),
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
    return { url, config, db, cache, bus, api, log, secrets, keys, audit, outbox, deliveries, dci, assessment, simulations, connectors, workflow, server, stop: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The handlers of every operation, by capability; tests/openapi checks each operation is in exactly one map. */
export function routeMaps(deps: { config: Config; db: Db; cache: Cache; bus: Bus; keys: KeyStore; metrics: HttpMetrics; connectors?: ConnectorService }): Record<string, Handlers> {
  const { config, db, cache, bus, keys, metrics } = deps;
  return {
    operations: operationsRoutes({ db, cache, metrics }),
    token: tokenRoutes({ config, db, cache, keys }),
    auth: authRoutes(keys, bus),
    dciClients: dciClientRoutes,
    registry: registryRoutes,
    reports: reportsRoutes,
    assessment: assessmentRoutes,
    programs: programRoutes,
    programSystems: programSystemRoutes,
    simulations: simulationRoutes,
    verification: verificationRoutes,
    areaGeo: areaGeoRoutes,
    audit: auditRoutes,
    consent: consentRoutes,
    forms: formRoutes,
    sync: syncRoutes,
    workflow: workflowRoutes,
    portal: portalRoutes,
    portalOidc: portalOidcRoutes,
    dedup: dedupRoutes,
    connectors: connectorRoutes(() => deps.connectors ?? unavailableConnectors()),
  };
}

function unavailableConnectors(): never {
  throw new Error('routeMaps() was built without hub.connectors');
}

const HOUSEKEEPING_MS = 60 * 60 * 1000;

/** Hourly upkeep; every instance may run it (each delete is idempotent). */
function startHousekeeping(db: Db, config: Config, log: Logger): NodeJS.Timeout {
  const run = async () => {
    try {
      const expired = await expireIdempotencyKeys(db, config.idempotencyKeyDays);
      const delivered = await purgeDelivered(db, config.outboxRetentionDays);
      const events = await purgeConsumedEvents(db, config.outboxRetentionDays);
      // the stored features' stale marks are one row per write: folded in hourly even where nothing reads them
      const features = (await db.transaction((tx) => refreshFeatures(tx))).recomputed;
      if (expired || delivered || events || features) log.info({ expired, delivered, events, features }, 'housekeeping done');
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
    server.on('clientError', answerClientError);
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
