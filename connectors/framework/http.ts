// A connector's calls to its external system: a time limit per attempt, retries of retryable failures (network,
// timeout, 408/429/5xx) with exponential backoff and full jitter, and the connector's circuit breaker around each
// attempt. Answers below 500 (other than 408/429) are returned for the job to judge; a failure that survives the
// retries throws an HttpCallError.
import { EgressRefused, egressRequest, type EgressPolicy } from '../../core/net/egress.js';
import type { Breaker } from './breaker.js';
import type { RunnerSettings } from './settings.js';
import type { HttpRequest, HttpResponse } from './types.js';

export class HttpCallError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryable = true,
    /** The system's Retry-After, in ms (0 when it gave none). */
    readonly retryAfterMs = 0,
  ) {
    super(message);
  }
}

export interface HttpCallDeps {
  breaker: Breaker;
  /** Which addresses the system may be at (private and loopback ones only when allow-listed: SSRF). */
  egress: EgressPolicy;
  settings: Pick<RunnerSettings, 'httpTimeoutMs' | 'retries' | 'backoffMs' | 'maxBackoffMs'>;
  /** Aborted when the run times out: the call stops and is not retried. */
  signal: AbortSignal;
  count(name: string, n?: number): void;
  /** Milliseconds left of the run (an attempt never outlives its run). */
  remainingMs(): number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const RETRYABLE_STATUS = (s: number) => s === 408 || s === 429 || s >= 500;

/** Full jitter (AWS architecture blog): a uniform wait in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export async function httpCall(request: HttpRequest, deps: HttpCallDeps): Promise<HttpResponse> {
  const method = request.method.toUpperCase();
  const mayRetry = request.retry ?? IDEMPOTENT.has(method);
  const attempts = 1 + (mayRetry ? deps.settings.retries : 0);
  const sleep = deps.sleep ?? abortableSleep;
  let last: HttpCallError | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) {
      // the system's Retry-After wins over a shorter backoff, within the cap
      const delay = Math.min(deps.settings.maxBackoffMs, Math.max(last?.retryAfterMs ?? 0, backoffDelay(attempt - 1, deps.settings.backoffMs, deps.settings.maxBackoffMs)));
      if (delay >= deps.remainingMs()) break; // the run would end while waiting
      deps.count('http.retries');
      await sleep(delay, deps.signal);
    }
    if (deps.signal.aborted) throw new HttpCallError('The run timed out.', undefined, false);
    await deps.breaker.admit(); // throws BreakerOpenError: no call goes out
    deps.count('http.calls');
    try {
      const response = await attemptOnce(deps.egress, method, request, Math.min(request.timeoutMs ?? deps.settings.httpTimeoutMs, Math.max(1, deps.remainingMs())), deps.signal);
      if (RETRYABLE_STATUS(response.status)) {
        // a 5xx counts against the breaker; 408/429 mean the system is up but wants us slower
        if (response.status >= 500) {
          await deps.breaker.failure();
          deps.count('http.failures');
        } else await deps.breaker.success();
        last = new HttpCallError(`${method} ${origin(request.url)} answered ${response.status}`, response.status, true, retryAfterMs(response.headers['retry-after']));
        continue;
      }
      await deps.breaker.success(); // the system answered: it is up
      return response;
    } catch (err) {
      if (deps.signal.aborted) throw new HttpCallError('The run timed out.', undefined, false);
      // a forbidden address says nothing about the system's health, and asking again will not change it
      if (err instanceof EgressRefused) throw new HttpCallError(err.message, undefined, false);
      await deps.breaker.failure();
      deps.count('http.failures');
      last = new HttpCallError(`${method} ${origin(request.url)} failed: ${(err as Error).name === 'TimeoutError' ? 'timed out' : 'no answer'}`);
    }
  }
  throw last ?? new HttpCallError(`${method} ${origin(request.url)} was not attempted: the run is out of time`, undefined, false);
}

async function attemptOnce(egress: EgressPolicy, method: string, request: HttpRequest, timeoutMs: number, runSignal: AbortSignal): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.body !== undefined) {
    if (typeof request.body === 'string') body = request.body;
    else {
      body = JSON.stringify(request.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
  }
  const res = await egressRequest(egress, request.url, { method, headers, body, timeoutMs, signal: runSignal });
  const responseHeaders: Record<string, string> = {};
  for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) responseHeaders[key] = Array.isArray(value) ? value.join(', ') : value;
  let parsed: unknown = res.body;
  if ((responseHeaders['content-type'] ?? '').includes('json') && res.body) {
    try {
      parsed = JSON.parse(res.body);
    } catch {
      parsed = res.body;
    }
  }
  return { status: res.status, headers: responseHeaders, body: parsed };
}

function retryAfterMs(value: string | undefined): number {
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 0;
}

/** Only the origin goes into messages and logs: paths and queries may carry identifiers. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new HttpCallError('The run timed out.', undefined, false));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new HttpCallError('The run timed out.', undefined, false));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
