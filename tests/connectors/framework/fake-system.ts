// An external system for the framework's tests: answers are scripted per path (status codes in turn, delays,
// refusals of given items), and every request is counted, so tests see exactly what the runner sent.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSystem {
  url: string;
  /** Requests per path (query left out). */
  hits: Map<string, number>;
  /** Statuses answered in turn for a path (then 200). */
  script(path: string, statuses: number[]): void;
  /** Every request fails (503) while true. */
  outage: boolean;
  /** Milliseconds to wait before answering a path. */
  delays: Map<string, number>;
  /** Items (by n) that POST /apply refuses with 422. */
  refused: Set<number>;
  /** The change feed GET /changes?after= serves. */
  changes: { id: number }[];
  stop(): Promise<void>;
}

export async function startFakeSystem(): Promise<FakeSystem> {
  const scripts = new Map<string, number[]>();
  const system: Omit<FakeSystem, 'url' | 'stop'> = {
    hits: new Map(),
    script: (path, statuses) => scripts.set(path, [...statuses]),
    outage: false,
    delays: new Map(),
    refused: new Set(),
    changes: [],
  };
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://fake');
    system.hits.set(url.pathname, (system.hits.get(url.pathname) ?? 0) + 1);
    const delay = system.delays.get(url.pathname);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const reply = (status: number, json: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    if (system.outage) return reply(503, { error: 'down' });
    const scripted = scripts.get(url.pathname)?.shift();
    if (scripted) return reply(scripted, { scripted });
    if (url.pathname === '/apply') {
      const { n } = JSON.parse(body || '{}') as { n: number };
      return system.refused.has(n) ? reply(422, { error: `item refused` }) : reply(200, { applied: n });
    }
    if (url.pathname === '/changes') {
      const after = Number(url.searchParams.get('after') ?? 0);
      return reply(200, { items: system.changes.filter((c) => c.id > after) });
    }
    if (url.pathname.startsWith('/details/')) return reply(200, { id: Number(url.pathname.split('/')[2]) });
    return reply(200, { ok: true, path: url.pathname });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(system, {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  }) as FakeSystem;
}
