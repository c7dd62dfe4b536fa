// The workflow as the hub runs it (hub.workflow): the registered checks, the change rules, the runner woken by the
// outbox (registration.submitted, change.approved) and by a slow poll (claims that ran out), settle() for tests.
import type { Audit } from '../audit/audit.js';
import type { Bus, Cache } from '../cache/index.js';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { KeyStore } from '../keys/key-store.js';
import type { Secrets } from '../keys/secrets.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/dispatcher.js';
import { systemContext } from '../server/context.js';
import type { Principal } from '../server/principal.js';
import { BUILTIN_CHECKS } from './builtin-checks.js';
import { directRegistrations } from './direct.js';
import { createCheckRegistry, type CheckRegistry } from './checks.js';
import type { ChangeRule } from './rules.js';
import { runOne, type RunnerDeps } from './runner.js';
import { caseStore } from './store.js';

export interface Workflow {
  /** Registration checks: built-ins (form validation, duplicates) plus what connectors add. */
  checks: CheckRegistry;
  /** The change-request rules (first match decides); set() replaces them for this hub. */
  rules: { get(): ChangeRule[]; set(rules: ChangeRule[]): void };
  /** Runs the runner until no case waits for it (tests; also handy before a shutdown). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** The principal of the workflow's own work (checks, transitions by the runner). */
export const WORKFLOW_PRINCIPAL: Principal = { id: 'workflow', kind: 'system', scopes: new Set(['registry.read', 'registry.write', 'registry.search']), areas: null };

const POLL_MS = 5_000;

export interface WorkflowDeps {
  config: Config;
  db: Db;
  secrets: Secrets;
  log: Logger;
  audit: Audit;
  keys: KeyStore;
  cache: Cache;
  bus: Bus;
  outbox: Outbox;
}

export function startWorkflow(deps: WorkflowDeps): Workflow {
  const { config, db, secrets, log, audit, keys, cache, bus, outbox } = deps;
  const checks = createCheckRegistry(BUILTIN_CHECKS);
  const runner: RunnerDeps = {
    db,
    ctx: () => systemContext(config, db, secrets, log, WORKFLOW_PRINCIPAL, { audit, keys, cache, bus }),
    checks,
    autoRegister: () => config.workflow.autoRegister,
    checkTimeoutMs: () => config.workflow.checkTimeoutMs,
  };
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  /** Drains the waiting cases; one drain at a time in this process (a wake-up during one runs another after). */
  function wake(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        while (!stopped && (await runOne(runner).catch((err) => (log.error({ err: err?.name, code: err?.code }, 'workflow runner failed'), false))));
      } while (again && !stopped);
    })().finally(() => (running = undefined));
    return running;
  }

  function poll(): void {
    timer = setTimeout(async () => {
      await wake();
      if (!stopped) poll();
    }, POLL_MS);
    timer.unref();
  }

  outbox.register({
    name: 'workflow',
    topics: ['registration.submitted', 'change.approved'],
    // nothing to write here: the cases themselves are the queue; the events only say when to look
    async handle() {
      setImmediate(() => void wake());
    },
  });
  outbox.register(directRegistrations(runner.ctx));
  poll();

  return {
    checks,
    rules: {
      get: () => config.workflow.changeRules,
      set: (rules) => {
        config.workflow.changeRules = rules;
      },
    },
    async settle() {
      for (let round = 0; round < 1000; round++) {
        await outbox.drain();
        await wake();
        if ((await caseStore.pending(db)) === 0) return;
        // a claim held elsewhere (another instance, or a crashed run's lease): give it a moment
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('workflow.settle(): cases are still waiting after 1000 rounds');
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (running) await running;
    },
  };
}
