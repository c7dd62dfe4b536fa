// hub.connectors: loads the connectors, runs their jobs from a queue (BullMQ on Redis, or in process), fires their
// triggers (cron slots claimed in the database, outbox events, on demand) and adds their workflow checks.
import { randomUUID } from 'node:crypto';
import type { Audit } from '../../core/audit/audit.js';
import type { Bus, Cache } from '../../core/cache/index.js';
import type { Config } from '../../core/config.js';
import type { Db } from '../../core/db/index.js';
import type { KeyStore } from '../../core/keys/key-store.js';
import type { Secrets } from '../../core/keys/secrets.js';
import type { Logger } from '../../core/log.js';
import type { Outbox } from '../../core/outbox/dispatcher.js';
import { systemContext, type Ctx } from '../../core/server/context.js';
import { HubError, notFound } from '../../core/server/errors.js';
import type { Principal } from '../../core/server/principal.js';
import { syncWorkflowChecks, type CheckRegistryLike } from './checks.js';
import { configStore, putConfiguration, setEnabled, type ConfigurationInput } from './configuration.js';
import { loadConnectors, type LoadedConnectors } from './loader.js';
import { bullQueue, memoryQueue, type RunQueue } from './queue.js';
import { createRunner } from './runner.js';
import { deadLetterStore, runStore, toRunRecord } from './store.js';
import { createTriggers } from './triggers.js';
import type { Connector, Connectors, RunRecord, RunTrigger } from './types.js';

export type { Connectors } from './types.js';

export interface ConnectorDeps {
  config: Config;
  db: Db;
  secrets: Secrets;
  log: Logger;
  audit: Audit;
  keys: KeyStore;
  cache: Cache;
  bus: Bus;
  outbox: Outbox;
  /** hub.workflow.checks, when the workflow is there (core/workflow). */
  checks?: CheckRegistryLike;
  /** Where to look for connectors (tests); default the connectors/ folder. */
  dir?: string;
  /** How often schedules and the sweeper run (default 15 s). */
  tickMs?: number;
}

/** The service behind hub.connectors (the Connectors contract plus what the API and the demo use). */
export interface ConnectorService extends Connectors {
  readonly rejected: LoadedConnectors['rejected'];
  readonly queue: RunQueue;
  /** The connector or a 404. */
  get(connectorId: string): Connector;
  /** Re-runs the dead-lettered items of a run as a new run (queued). */
  rerun(connectorId: string, runId: string, requestedBy: string): Promise<RunRecord>;
  /** Fires due schedules and re-queues lost runs now (the timer does this every tickMs). */
  tick(): Promise<void>;
  /** Adds or removes the workflow checks after a connector was enabled or disabled (anywhere). */
  syncChecks(): Promise<void>;
  /** The principal a connector's jobs act as. */
  principalOf(connectorId: string): Principal;
  /** Work to stop with the connectors (the demo's simulators), after the queue. */
  onStop(close: () => Promise<void>): void;
}

const CHANGED_CHANNEL = 'connectors.changed';
// scopes a connector's jobs act with: reading and changing the registry, never administering users or the audit
const CONNECTOR_SCOPES = ['registry.read', 'registry.write', 'registry.search', 'consent.manage', 'assessment.manage', 'reports.read', 'sync.push'];
const SETTLE_TIMEOUT_MS = 60_000;

export async function startConnectors(deps: ConnectorDeps): Promise<ConnectorService> {
  const { config, db, secrets, log } = deps;
  const loaded = await loadConnectors(log, deps.dir ?? config.connectorsDir);
  const { connectors } = loaded;
  const instanceId = randomUUID();
  const queue: RunQueue = config.redisUrl ? bullQueue(config.redisUrl, config.redisKeyPrefix, log) : memoryQueue(log);
  const principalOf = (id: string): Principal => ({ id: `connector:${id}`, kind: 'system', scopes: new Set(CONNECTOR_SCOPES), areas: null });
  const contextFor = (id: string): Ctx =>
    systemContext(config, db, secrets, log, principalOf(id), { audit: deps.audit, keys: deps.keys, cache: deps.cache, bus: deps.bus });
  const ids = [...connectors.keys()];
  const runner = createRunner({ db, secrets, log, connectors, instanceId, contextFor, leaseMs: config.connectorLeaseMs });
  let stopped = false;
  let stopping: Promise<void> | undefined;
  const onStop: (() => Promise<void>)[] = [];

  const get = (id: string): Connector => {
    const connector = connectors.get(id);
    if (!connector) throw notFound('connector');
    return connector;
  };
  const jobOf = (id: string, job: string) => {
    const connector = get(id);
    if (!Object.hasOwn(connector.manifest.jobs, job)) {
      throw new HubError(422, 'connector.job_unknown', `Connector ${id} has no job ${job}.`, { errors: [{ field: 'body.job', message: `is not a job of ${id}` }] });
    }
    return connector;
  };

  // a run the connector has no room for goes back to the queue a little later
  queue.start(async (runId) => {
    if (stopped) return;
    const outcome = await runner.execute(runId);
    if (outcome === 'busy') await queue.add(runId, 500 + Math.floor(Math.random() * 500));
  });

  const triggers = createTriggers({ db, secrets, log, connectors, queue, outbox: deps.outbox, tickMs: deps.tickMs });

  const checks = async () => {
    if (deps.checks) await syncWorkflowChecks(deps.checks, service, db);
  };
  const unsubscribe = await deps.bus.subscribe(CHANGED_CHANNEL, () => void checks().catch((err) => log.warn({ err: err.message }, 'connector checks not updated')));
  const changed = async () => {
    await checks();
    await deps.bus.publish(CHANGED_CHANNEL, 'changed');
  };

  async function insertRun(connectorId: string, job: string, data: unknown, trigger: RunTrigger, requestedBy: string) {
    return runStore.insert(db, secrets, { connectorId, job, trigger, input: data, requestedBy });
  }

  const service: ConnectorService = {
    loaded: connectors,
    rejected: loaded.rejected,
    queue,
    get,
    principalOf,

    async enqueue(connectorId, job, data, options = {}) {
      jobOf(connectorId, job);
      const row = await insertRun(connectorId, job, data, options.trigger ?? 'on_demand', 'system');
      await queue.add(row.id);
      return toRunRecord(row);
    },

    async runNow(connectorId, job, data, options = {}) {
      jobOf(connectorId, job);
      const row = await insertRun(connectorId, job, data, options.trigger ?? 'on_demand', 'system');
      const deadline = Date.now() + (options.timeoutMs ?? 60_000);
      for (;;) {
        const outcome = await runner.execute(row.id, { timeoutMs: options.timeoutMs });
        if (outcome && outcome !== 'busy') return { ...toRunRecord(outcome.row), result: outcome.result };
        if (outcome === undefined) break; // refused (disabled), or a worker took it: read how it ends
        if (Date.now() >= deadline) {
          await runStore.refuse(db, row.id, 'The connector had no free slot (concurrency limit) before the time limit.');
          break;
        }
        await sleep(50 + Math.floor(Math.random() * 100));
      }
      return waitForEnd(row.id, connectorId, deadline + 30_000);
    },

    async configure(connectorId, configuration, options = {}) {
      const connector = get(connectorId);
      await db.transaction((tx) => putConfiguration(tx, secrets, connector, { configuration, enabled: options.enabled }, 'system'));
      await changed();
    },

    async setEnabled(connectorId, enabled) {
      const connector = get(connectorId);
      await db.transaction((tx) => setEnabled(tx, secrets, connector, enabled, 'system'));
      await changed();
    },

    async rerun(connectorId, runId, requestedBy) {
      get(connectorId);
      const original = await runStore.byId(db, connectorId, runId);
      if (!original) throw notFound('run');
      if (original.status === 'queued' || original.status === 'running') {
        throw new HubError(409, 'connector.run_not_finished', 'The run has not finished; re-run its failed items once it has.');
      }
      const row = await db.transaction(async (tx) => {
        const rerun = await runStore.insert(tx, secrets, { connectorId, job: original.job, trigger: 'rerun', input: [], requestedBy, rerunOf: runId });
        const items = await deadLetterStore.takeForRerun(tx, secrets, connectorId, runId, rerun.id);
        if (items.length === 0) {
          throw new HubError(409, 'connector.nothing_to_rerun', 'The run has no dead-lettered items left to re-run.');
        }
        // the re-run's input is the items themselves, sealed like any input
        await tx.query('update connector_run set input_sealed = $2 where id = $1', [rerun.id, secrets.seal(JSON.stringify(items), `connector_run_input:${connectorId}`)]);
        return { ...rerun, counts: { items: items.length } };
      });
      await queue.add(row.id);
      return toRunRecord(row);
    },

    tick: () => triggers.tick(),
    syncChecks: checks,

    async settle() {
      const end = Date.now() + SETTLE_TIMEOUT_MS;
      for (;;) {
        await deps.outbox.drain();
        await triggers.flushPending();
        for (const id of await runStore.queuedIds(db, 0, ids)) await queue.add(id);
        if ((await runStore.openCount(db, ids)) === 0 && (await queue.idle())) return;
        if (Date.now() > end) throw new Error('connector runs did not settle within 60 s');
        await sleep(25);
      }
    },

    onStop(close) {
      onStop.push(close);
    },

    stop() {
      // a second stop (the hub's, after a test's) waits for the first
      stopping ??= (async () => {
        stopped = true;
        await triggers.stop();
        await unsubscribe().catch(() => undefined);
        await queue.close();
        for (const close of onStop.reverse()) await close().catch((err) => log.warn({ err: (err as Error).message }, 'connector simulator did not stop'));
      })();
      return stopping;
    },
  };

  async function waitForEnd(runId: string, connectorId: string, until: number): Promise<RunRecord> {
    for (;;) {
      const row = await runStore.byId(db, connectorId, runId);
      if (!row) throw notFound('run');
      if (row.status !== 'queued' && row.status !== 'running') return { ...toRunRecord(row), result: runStore.openResult(secrets, row) };
      if (Date.now() > until) return toRunRecord(row);
      await sleep(50);
    }
  }

  triggers.start();
  await checks();
  log.info({ connectors: [...connectors.keys()], queue: queue.engine }, 'connectors loaded');
  return service;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { configStore };
export type { ConfigurationInput };
