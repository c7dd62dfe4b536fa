// HubOperations: what the hub offers a job, bound to one run (its connector, counts, log, dead letters, time limit).
import { decideDisclosure } from '../../consent/policy.js';
import { withChainWritesLast } from '../../core/audit/writes-last.js';
import type { Db } from '../../core/db/index.js';
import type { Secrets } from '../../core/keys/secrets.js';
import type { Ctx } from '../../core/server/context.js';
import { EgressPolicy } from '../../core/net/egress.js';
import { createBreaker } from './breaker.js';
import { httpCall } from './http.js';
import type { RunnerSettings } from './settings.js';
import { checkpointStore, deadLetterStore, type LogLine } from './store.js';
import type { HubOperations, Operation, State } from './types.js';

export class RunAbortedError extends Error {
  constructor() {
    super('The run timed out; its remaining work was stopped.');
  }
}

/** A dead-lettered item as stored: which eachItem of the job it came from (so a re-run hands it back to that one). */
export interface DeadItem {
  step: number;
  item: unknown;
}

export interface RunScope {
  ctx: Ctx;
  db: Db;
  secrets: Secrets;
  connectorId: string;
  jobName: string;
  runId: string;
  settings: RunnerSettings;
  signal: AbortSignal;
  deadline: number;
  /** Set for a re-run: the dead-lettered items it takes again. */
  rerunItems?: DeadItem[];
}

const MAX_LOG_LINES = 500;
const MAX_ERROR_LENGTH = 500;

export interface RunRecorder {
  ops: HubOperations;
  counts: Record<string, number>;
  log: LogLine[];
  result: () => unknown;
}

export const errorText = (err: unknown) => String((err as Error)?.message ?? err).slice(0, MAX_ERROR_LENGTH);

export function createHubOperations(scope: RunScope): RunRecorder {
  const { ctx, db, secrets, connectorId, jobName, runId, signal } = scope;
  const counts: Record<string, number> = {};
  const log: LogLine[] = [];
  let result: unknown;
  let steps = 0;
  const breaker = createBreaker(db, connectorId, { failures: scope.settings.breakerFailures, cooldownMs: scope.settings.breakerCooldownMs });
  const egress = new EgressPolicy(scope.ctx.config.egressAllow);
  const live = () => {
    if (signal.aborted) throw new RunAbortedError();
  };
  const count = (name: string, n = 1) => {
    counts[name] = (counts[name] ?? 0) + n;
  };

  const ops: HubOperations = {
    ctx,
    connectorId,
    jobName,
    runId,
    async transaction(fn) {
      live();
      // audit entries and events last: a connector's change spans several services (deadlock-free: core/audit/writes-last.ts)
      return db.transaction((tx) =>
        withChainWritesLast(tx, async () => {
          const value = await fn(tx);
          live(); // a run past its time commits nothing more
          return value;
        }),
      );
    },
    checkpoint: {
      get: (name, tx) => checkpointStore.get(tx ?? db, connectorId, name),
      set: (tx, name, value) => checkpointStore.set(tx, connectorId, name, value),
    },
    eachItem<I>(items: (state: State) => I[], op: (item: I, state: State) => Promise<void>): Operation {
      const step = steps++;
      return async (state) => {
        const list: I[] = scope.rerunItems ? (scope.rerunItems.filter((d) => d.step === step).map((d) => d.item) as I[]) : items(state) ?? [];
        for (const item of list) {
          live();
          try {
            await op(item, state);
            count('succeeded');
          } catch (err) {
            if (signal.aborted) throw new RunAbortedError();
            await deadLetterStore.add(db, secrets, { id: runId, connectorId, job: jobName }, { step, item } satisfies DeadItem, errorText(err));
            count('failed');
          }
        }
        return state;
      };
    },
    http: (request) =>
      httpCall(request, { breaker, egress, settings: scope.settings, signal, count, remainingMs: () => scope.deadline - Date.now() }),
    async disclose({ personIds, purpose, categories }) {
      live();
      const decisions = await decideDisclosure(ctx, { purpose, recipient: `connector:${connectorId}`, personIds });
      const allowed = [...decisions.values()]
        .filter((d) => d.allowed)
        .map((d) => ({ personId: d.personId, categories: [...d.categories].filter((c) => !categories || categories.includes(c)).sort() }))
        .filter((d) => d.categories.length > 0 || !categories);
      count('disclosure.allowed', allowed.length);
      count('disclosure.refused', decisions.size - allowed.length);
      return allowed;
    },
    count,
    log(message, fields) {
      if (log.length < MAX_LOG_LINES) log.push({ at: new Date().toISOString(), message, ...(fields ? { fields } : {}) });
      ctx.log.info({ connector: connectorId, job: jobName, run: runId, ...fields }, message);
    },
    result(value) {
      result = value;
    },
  };
  return { ops, counts, log, result: () => result };
}
