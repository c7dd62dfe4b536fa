// The runner's limits for one connector: defaults, overridden per connector by the `settings` an administrator sets
// (PUT /api/v1/connectors/{id}), e.g. a slow national ID system gets a longer timeout.
import type { Manifest } from './types.js';

export interface RunnerSettings {
  /** A whole run's limit (default: the job's manifest timeoutMs, else 5 minutes). */
  timeoutMs?: number;
  /** One HTTP attempt's limit. */
  httpTimeoutMs: number;
  /** Extra attempts of a retryable HTTP failure. */
  retries: number;
  /** First backoff; doubled per attempt, with full jitter, capped at maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Consecutive failed calls that open the breaker. */
  breakerFailures: number;
  /** How long the breaker stays open before one probe call is let through. */
  breakerCooldownMs: number;
  /** Runs of the connector at once, across instances. */
  concurrency: number;
}

export const DEFAULT_SETTINGS: Omit<RunnerSettings, 'concurrency'> = {
  httpTimeoutMs: 10_000,
  retries: 3,
  backoffMs: 500,
  maxBackoffMs: 15_000,
  breakerFailures: 5,
  breakerCooldownMs: 30_000,
};

export const DEFAULT_RUN_TIMEOUT_MS = 5 * 60_000;

/** JSON Schema of the settings an administrator may set (all optional). */
export const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    timeoutMs: { type: 'integer', minimum: 100, maximum: 86_400_000 },
    httpTimeoutMs: { type: 'integer', minimum: 50, maximum: 600_000 },
    retries: { type: 'integer', minimum: 0, maximum: 20 },
    backoffMs: { type: 'integer', minimum: 0, maximum: 600_000 },
    maxBackoffMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
    breakerFailures: { type: 'integer', minimum: 1, maximum: 1000 },
    breakerCooldownMs: { type: 'integer', minimum: 10, maximum: 86_400_000 },
    concurrency: { type: 'integer', minimum: 1, maximum: 100 },
  },
} as const;

export function effectiveSettings(manifest: Manifest, stored: Partial<RunnerSettings> | undefined): RunnerSettings {
  return { ...DEFAULT_SETTINGS, concurrency: manifest.concurrency ?? 1, ...stored };
}

export function runTimeoutMs(manifest: Manifest, job: string, settings: RunnerSettings): number {
  return settings.timeoutMs ?? manifest.jobs[job]?.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
}
