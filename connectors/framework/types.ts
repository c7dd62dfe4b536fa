// The contract between the hub's connector runner and each connector (connectors/<id>/index.ts default-exports a
// Connector). Connectors code against this file only; the runner (connectors/framework/) provides HubOperations.
import type { Db } from '../../core/db/index.js';
import type { Ctx } from '../../core/server/context.js';

/** The OpenFn state a job's operations pass along: configuration (secrets opened), the trigger's input, references. */
export type State = { configuration: Record<string, unknown>; data: any; references: unknown[]; [k: string]: unknown };

/** An OpenFn operation, as @openfn/language-common's (fn, each, combine, field, dataValue ...) return. */
export type Operation = (state: State) => State | Promise<State>;

export type ConnectorKind = 'verify' | 'enrich' | 'pull' | 'push';

export interface JobTriggers {
  /** Cron expression (5 fields, UTC); the default, overridable in the configuration (`schedules.<job>`). */
  schedule?: string;
  /** Outbox topics that start the job; data = the events' payloads (an array). */
  events?: string[];
  /** May be started by POST /api/v1/connectors/{id}/runs (and by runNow). */
  onDemand?: boolean;
}

export interface JobManifest {
  description: string;
  triggers: JobTriggers;
  /** The whole run's time limit; default the hub's connector timeout. */
  timeoutMs?: number;
  /** Whether the job sends or receives personal data (it must call disclose() before sending any out). */
  personalData: boolean;
}

export interface Manifest {
  id: string;
  name: string;
  version: string;
  kinds: ConnectorKind[];
  description: string;
  /** JSON Schema of the configuration (non-secret and secret keys together). */
  configSchema: object;
  /** Configuration keys stored sealed and never returned. */
  secretKeys: string[];
  jobs: Record<string, JobManifest>;
  /** Workflow check name -> job name, e.g. {'id-verification': 'verify'}; the job's result() is the CheckResult. */
  checks?: Record<string, string>;
  /** Runs of this connector at once, across instances (default 1). */
  concurrency?: number;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  /** One attempt's limit; default the job's remaining time, at most the hub's HTTP timeout. */
  timeoutMs?: number;
  /** Retry this request on retryable failures (network, timeout, 408/429/5xx). Default true for GET/PUT/DELETE/HEAD, and for POST only when set. */
  retry?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: any;
}

export interface DisclosureRequestInput {
  personIds: string[];
  /** Purpose code the consent agreements name (e.g. 'identity_verification'). */
  purpose: string;
  /** Categories the job wants to send; the answer keeps only those allowed (all allowed ones when omitted). */
  categories?: string[];
}

export interface DisclosureAllowed {
  personId: string;
  categories: string[];
}

/** What the hub offers a running job; bound to the run. */
export interface HubOperations {
  /** A system context whose principal is `connector:<id>` (audit included). */
  ctx: Ctx;
  connectorId: string;
  jobName: string;
  runId: string;
  /** A database transaction (the hub's, joined if already in one). */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  checkpoint: {
    /** Inside hub.transaction pass its tx (PGlite runs one transaction at a time: a read outside it would wait forever). */
    get<T = unknown>(name: string, tx?: Db): Promise<T | undefined>;
    /** Set in the same transaction as the changes it covers, so a change is applied once. */
    set(tx: Db, name: string, value: unknown): Promise<void>;
  };
  /**
   * An operation: runs op for each item of items(state); a failing item is dead-lettered (sealed, with its error) and
   * counted ('failed'), the rest continue ('succeeded' counted per item).
   */
  eachItem<I = unknown>(items: (state: State) => I[], op: (item: I, state: State) => Promise<void>): Operation;
  /** The external call: the job's timeout, retries with backoff + jitter, the connector's circuit breaker. */
  http(request: HttpRequest): Promise<HttpResponse>;
  /** decideDisclosure with this connector as recipient (audited); the persons allowed and their categories. */
  disclose(request: DisclosureRequestInput): Promise<DisclosureAllowed[]>;
  /** Adds to the run's counts. */
  count(name: string, n?: number): void;
  /** The run's log: never personal data (ids of hub records are fine). */
  log(message: string, fields?: Record<string, unknown>): void;
  /** Sets the job's result (a workflow check's CheckResult; any JSON for other jobs). */
  result(value: unknown): void;
}

export interface SimulatorHandle {
  url: string;
  stop(): Promise<void>;
}

export interface Simulator {
  start(opts: { port?: number; host?: string }): Promise<SimulatorHandle>;
  /** The configuration (secrets included) that points the connector at a running simulator. */
  demoConfiguration(simulatorUrl: string): Record<string, unknown>;
}

export interface Connector {
  manifest: Manifest;
  jobs: Record<string, (hub: HubOperations) => Operation[]>;
  simulator?: Simulator;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'partial';
export type RunTrigger = 'schedule' | 'event' | 'on_demand' | 'check' | 'rerun';

/** A recorded run, as the API returns it. */
export interface RunRecord {
  id: string;
  connectorId: string;
  job: string;
  status: RunStatus;
  trigger: RunTrigger;
  rerunOf?: string;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  attempts: number;
  counts: Record<string, number>;
  error?: string;
  result?: unknown;
  log?: { at: string; message: string; fields?: Record<string, unknown> }[];
  deadLetters?: number;
}

/** hub.connectors: what the rest of the hub (and tests) use. */
export interface Connectors {
  /** Loaded connectors by id. */
  readonly loaded: ReadonlyMap<string, Connector>;
  /** Records and runs a job now, in this process, and waits for it (workflow checks, tests). */
  runNow(connectorId: string, job: string, data?: unknown, options?: { trigger?: RunTrigger; timeoutMs?: number }): Promise<RunRecord>;
  /** Records a queued run and hands it to the queue; returns the queued run. */
  enqueue(connectorId: string, job: string, data?: unknown, options?: { trigger?: RunTrigger }): Promise<RunRecord>;
  /** Sets configuration (validated against the manifest; secrets sealed) and optionally enables it. */
  configure(connectorId: string, configuration: Record<string, unknown>, options?: { enabled?: boolean }): Promise<void>;
  setEnabled(connectorId: string, enabled: boolean): Promise<void>;
  /** Waits until no run is queued or running in this hub's queue (tests). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}
