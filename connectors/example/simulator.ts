// A stand-in for the price-monitoring API (docs/connectors.md, "The simulator"): GET /prices (paged by id),
// POST /announcements (idempotent by Idempotency-Key), an API key, and switches for tests: POST /_control
// {outage, delayMs} and POST /_prices to publish new observations.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Simulator } from '../framework/types.js';
import type { PriceObservation } from './jobs.js';

export const DEMO_API_KEY = 'example-demo-key';
const MARKETS = ['central', 'riverside', 'hilltop'];
const COMMODITIES = ['maize', 'beans', 'rice', 'oil'];

/** Twelve observations, the same on every start (ids p0001...). */
export function initialPrices(): PriceObservation[] {
  return Array.from({ length: 12 }, (_, i) => ({
    id: `p${String(i + 1).padStart(4, '0')}`,
    market: MARKETS[i % MARKETS.length],
    commodity: COMMODITIES[i % COMMODITIES.length],
    price: 100 + i * 7,
    observed_at: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
  }));
}

export interface PriceApiState {
  prices: PriceObservation[];
  announcements: Map<string, { household_id: string; area_code: string | null }>;
  outage: boolean;
  delayMs: number;
  requests: number;
}

export function startPriceApi(opts: { port?: number; host?: string; apiKey?: string }) {
  const apiKey = opts.apiKey ?? DEMO_API_KEY;
  const state: PriceApiState = { prices: initialPrices(), announcements: new Map(), outage: false, delayMs: 0, requests: 0 };
  const server = createServer(async (req, res) => {
    try {
      await handle(req, res);
    } catch {
      send(res, 500, { error: 'internal' });
    }
  });
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sim');
    const body = await readBody(req);
    if (url.pathname === '/_control' && req.method === 'POST') {
      if (typeof body.outage === 'boolean') state.outage = body.outage;
      if (typeof body.delayMs === 'number') state.delayMs = body.delayMs;
      return send(res, 200, { outage: state.outage, delayMs: state.delayMs });
    }
    if (url.pathname === '/_prices' && req.method === 'POST') {
      state.prices.push(...(body.items as PriceObservation[]));
      state.prices.sort((a, b) => a.id.localeCompare(b.id));
      return send(res, 201, { count: state.prices.length });
    }
    state.requests++;
    if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
    if (state.outage) return send(res, 503, { error: 'unavailable' });
    if (req.headers['x-api-key'] !== apiKey) return send(res, 401, { error: 'bad api key' });
    if (url.pathname === '/prices' && req.method === 'GET') {
      const after = url.searchParams.get('after') ?? '';
      const limit = Math.min(500, Number(url.searchParams.get('limit') ?? 50));
      const rest = state.prices.filter((p) => p.id > after);
      return send(res, 200, { items: rest.slice(0, limit), next: rest.length > limit });
    }
    if (url.pathname === '/announcements' && req.method === 'POST') {
      const key = String(req.headers['idempotency-key'] ?? '');
      if (!key || typeof body.household_id !== 'string') return send(res, 400, { error: 'household_id and Idempotency-Key are required' });
      const seen = state.announcements.has(key);
      state.announcements.set(key, { household_id: body.household_id, area_code: (body.area_code as string) ?? null });
      return send(res, seen ? 200 : 201, { received: true });
    }
    return send(res, 404, { error: 'not found' });
  }
  return new Promise<{ url: string; state: PriceApiState; stop(): Promise<void> }>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
        state,
        stop: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += chunk;
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export const simulator: Simulator = {
  start: (opts) => startPriceApi(opts),
  demoConfiguration: (url) => ({ baseUrl: url, apiKey: DEMO_API_KEY }),
};
