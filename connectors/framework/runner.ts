// Runs one recorded run: claims its row (only one instance wins, within the connector's concurrency), builds the
// job's operations on the state, runs them in order under the run's time limit, and records how it ended.
import type { Db } from '../../core/db/index.js';
import type { Secrets } from '../../core/keys/secrets.js';
import type { Logger } from '../../core/log.js';
import type { Ctx } from '../../core/server/context.js';
import { configStore, openConfiguration, settingsOf } from './configuration.js';
import { createHubOperations, errorText, RunAbortedError, type DeadItem } from './operations.js';
import { runTimeoutMs } from './settings.js';
import { runStore, type RunRow } from './store.js';
import type { Connector, RunStatus, State } from './types.js';

export const MAX_CLAIMS = 3;

export interface RunnerDeps {
  db: Db;
  secrets: Secrets;
  log: Logger;
  connectors: ReadonlyMap<string, Connector>;
  instanceId: string;
  /** A running run holds a short lease that its instance renews (every third of it) while it works: when the instance
   * dies, the sweeper takes the run again within about this long, instead of after the run's whole time limit. */
  leaseMs: number;
  /** The context a job's operations use (principal connector:<id>). */
  contextFor(connectorId: string): Ctx;
}

export type RunOutcome = { row: RunRow; result: unknown } | 'busy' | undefined;

export interface Runner {
  /** Claims and runs the run; 'busy' when the connector is at its concurrency limit, undefined when not queued. */
  execute(runId: string, options?: { timeoutMs?: number }): Promise<RunOutcome>;
}

export function createRunner(deps: RunnerDeps): Runner {
  const { db, secrets, log } = deps;
  return {
    async execute(runId, options = {}) {
      const [peek] = await db.query<{ connector_id: string; job: string; status: string }>(
        'select connector_id, job, status from connector_run where id = $1',
        [runId],
      );
      if (!peek || peek.status !== 'queued') return undefined;
      const connector = deps.connectors.get(peek.connector_id);
      const config = await configStore.row(db, peek.connector_id);
      // an instance without this connector (another version during a rolling update) leaves it to one that has it
      if (!connector) return undefined;
      if (!Object.hasOwn(connector.jobs, peek.job)) {
        await runStore.refuse(db, runId, `Connector ${peek.connector_id} has no job ${peek.job}.`);
        return undefined;
      }
      if (!config?.enabled) {
        await runStore.refuse(db, runId, `Connector ${peek.connector_id} is disabled.`);
        return undefined;
      }
      const settings = settingsOf(connector, config);
      const timeoutMs = options.timeoutMs ?? runTimeoutMs(connector.manifest, peek.job, settings);
      const claimed = await runStore.claim(db, runId, deps.instanceId, settings.concurrency, deps.leaseMs);
      if (!claimed || claimed === 'busy') return claimed;
      return run(connector, claimed, timeoutMs);
    },
  };

  async function run(connector: Connector, row: RunRow, timeoutMs: number): Promise<{ row: RunRow; result: unknown }> {
    const controller = new AbortController();
    const deadline = Date.now() + timeoutMs;
    const config = await configStore.row(db, row.connector_id);
    const settings = settingsOf(connector, config);
    const input = runStore.openInput(secrets, row);
    const rerunItems = row.trigger === 'rerun' ? (input as DeadItem[]) : undefined;
    const recorder = createHubOperations({
      ctx: deps.contextFor(row.connector_id),
      db,
      secrets,
      connectorId: row.connector_id,
      jobName: row.job,
      runId: row.id,
      settings,
      signal: controller.signal,
      deadline,
      rerunItems,
    });
    let status: RunStatus = 'succeeded';
    let error: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const heartbeat = setInterval(() => {
      runStore.renewLease(db, row.id, deps.instanceId, deps.leaseMs).catch((err) => {
        // a missed renewal only risks another instance taking the run after the lease; the checkpoint keeps that safe
        log.warn({ run: row.id, err: (err as Error).message }, 'connector run lease not renewed');
      });
    }, deps.leaseMs / 3);
    heartbeat.unref();
    try {
      const state: State = {
        configuration: await openConfiguration(db, secrets, row.connector_id),
        data: rerunItems ? rerunItems.map((d) => d.item) : input,
        references: [],
        ...(rerunItems ? { rerun: true } : {}),
      };
      const operations = connector.jobs[row.job](recorder.ops);
      const work = (async () => {
        let s = state;
        for (const operation of operations) {
          if (controller.signal.aborted) throw new RunAbortedError();
          s = await operation(s);
        }
        return s;
      })();
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`The run timed out after ${timeoutMs} ms.`));
        }, timeoutMs);
      });
      work.catch(() => undefined); // after a timeout its rejection is expected and ignored
      await Promise.race([work, timedOut]);
      const failed = recorder.counts.failed ?? 0;
      if (failed > 0) status = (recorder.counts.succeeded ?? 0) > 0 ? 'partial' : 'failed';
      if (failed > 0) error = `${failed} item(s) failed and were dead-lettered; re-run them with POST .../runs/${row.id}/rerun.`;
    } catch (err) {
      status = 'failed';
      error = errorText(err);
      controller.abort(); // stops what is still going (HTTP calls, transactions not yet committed)
    } finally {
      clearTimeout(timer);
      clearInterval(heartbeat);
    }
    const finished = await runStore.finish(db, secrets, row, deps.instanceId, {
      status,
      counts: recorder.counts,
      error,
      log: recorder.log,
      result: recorder.result(),
    });
    log.info({ connector: row.connector_id, job: row.job, run: row.id, status, counts: recorder.counts }, 'connector run finished');
    return { row: finished ?? row, result: recorder.result() };
  }
}
