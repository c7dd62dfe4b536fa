// Sends fuzzed requests to a running hub, a few at a time, each with a time limit, and tallies the answers per
// operation and per kind of breakage.
import { request as httpRequest } from 'node:http';
import type { Answer } from './checks.js';
import type { FuzzRequest } from './requests.js';

export interface Failure {
  request: FuzzRequest;
  problems: string[];
  status?: number;
}

export class Tally {
  readonly perOperation = new Map<string, { requests: number; statuses: Map<number, number> }>();
  readonly perKind = new Map<string, number>();
  total = 0;
  slowest = { ms: 0, what: '' };

  add(request: FuzzRequest, answer: Answer | undefined): void {
    this.total += 1;
    const op = this.perOperation.get(request.operationId) ?? { requests: 0, statuses: new Map() };
    op.requests += 1;
    const status = answer?.status ?? 0;
    op.statuses.set(status, (op.statuses.get(status) ?? 0) + 1);
    this.perOperation.set(request.operationId, op);
    this.perKind.set(request.kind, (this.perKind.get(request.kind) ?? 0) + 1);
    if (answer && answer.ms > this.slowest.ms) this.slowest = { ms: answer.ms, what: `${request.method} ${request.url.slice(0, 80)} (${request.kind})` };
  }

  report(title: string): string {
    const lines = [...this.perOperation]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, s]) => `  ${id.padEnd(34)} ${String(s.requests).padStart(5)}  ${[...s.statuses].sort(([a], [b]) => a - b).map(([st, n]) => `${st}:${n}`).join(' ')}`);
    const kinds = [...this.perKind].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}=${n}`).join(' ');
    return `${title}: ${this.total} requests over ${this.perOperation.size} operations; slowest ${Math.round(this.slowest.ms)} ms (${this.slowest.what})\n  by kind: ${kinds}\n${lines.join('\n')}`;
  }
}

export const connectionRetries = { count: 0 };

/**
 * One request over HTTP; a timeout or a dropped connection comes back as an error. A reset is tried once more on
 * a connection of its own: a kept-alive socket the server closed while the request was being sent is a race of
 * the client's pool, not the hub's answer (a request that resets a fresh connection too is reported).
 */
export async function send(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<{ answer?: Answer; error?: string }> {
  const first = await sendOnce(baseUrl, request, timeoutMs);
  if (!first.error?.includes('ECONNRESET') && !first.error?.includes('other side closed')) return first;
  connectionRetries.count += 1;
  return sendOnFreshConnection(baseUrl, request, timeoutMs);
}

function sendOnFreshConnection(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<{ answer?: Answer; error?: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest(baseUrl + request.url, { method: request.method, headers: request.headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ answer: { status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started } }));
      res.on('error', (err) => resolve({ error: `request failed on a fresh connection: ${err.message}` }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms (hang)`)));
    req.on('error', (err) => resolve({ error: `request failed on a fresh connection: ${err.message}` }));
    req.end(request.body);
  });
}

async function sendOnce(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<{ answer?: Answer; error?: string }> {
  const started = performance.now();
  try {
    const res = await fetch(baseUrl + request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ? new Uint8Array(request.body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    const text = await res.text();
    return { answer: { status: res.status, type: res.headers.get('content-type') ?? '', text, ms: performance.now() - started } };
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return { error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms (hang)` : `request failed: ${e.message}${e.cause ? ` (${e.cause.message})` : ''}` };
  }
}

/** Runs `work` over the items with at most `concurrency` at a time, in order of start. */
export async function inParallel<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
