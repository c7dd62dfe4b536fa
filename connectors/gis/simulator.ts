// A Nominatim-compatible geocoder over the fictional gazetteer (gazetteer.ts), on a real port: GET /search?q=
// &format=jsonv2 and GET /reverse?lat=&lon=&format=jsonv2 answer as Nominatim does (lat/lon as strings, an
// {"error": ...} object when nothing is at a point). Tests and the demo steer it through /_control: outages (503),
// slow answers, and a count of the lookups it served (to see the hub's cache at work).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatorHandle } from '../framework/types.js';
import { buildGazetteer, reverseGazetteer, searchGazetteer, type Gazetteer, type GazetteerEntry } from './gazetteer.js';

export interface GeocoderBehaviour {
  /** normal: answers; outage: 503 to every lookup; slow: answers after delayMs. */
  mode: 'normal' | 'outage' | 'slow';
  delayMs: number;
}

export interface GeocoderSimulator extends SimulatorHandle {
  behave(behaviour: Partial<GeocoderBehaviour>): void;
  /** Lookups served (search and reverse), including failed ones. */
  readonly lookups: { search: number; reverse: number };
  /** The queries received (tests check what left the hub). */
  readonly queries: string[];
}

const LICENCE = 'Data (c) the Republic of Amaru survey office (fictional)';

export async function startGeocoderSimulator(opts: { port?: number; host?: string; gazetteer?: Gazetteer } = {}): Promise<GeocoderSimulator> {
  const gazetteer = opts.gazetteer ?? buildGazetteer();
  const behaviour: GeocoderBehaviour = { mode: 'normal', delayMs: 0 };
  const lookups = { search: 0, reverse: 0 };
  const queries: string[] = [];
  // slow answers wait on timers that stop() clears, so a stopped simulator holds no process open
  const timers = new Set<NodeJS.Timeout>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  const sockets = new Set<import('node:net').Socket>();

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, { error: (err as Error).message }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    if ((url.pathname === '/_control' || url.pathname === '/_control/behaviour') && req.method === 'POST') {
      const body = JSON.parse((await readBody(req)) || '{}') as Partial<GeocoderBehaviour>;
      Object.assign(behaviour, body);
      return send(res, 200, behaviour);
    }
    if (url.pathname === '/_control' && req.method === 'GET') return send(res, 200, { ...behaviour, lookups });
    if (url.pathname === '/status') return send(res, 200, { status: 0, message: 'OK' });
    const kind = url.pathname === '/search' ? 'search' : url.pathname === '/reverse' ? 'reverse' : undefined;
    if (!kind || req.method !== 'GET') return send(res, 404, { error: 'unknown endpoint' });
    lookups[kind]++;
    if (behaviour.mode === 'outage') return send(res, 503, { error: 'service unavailable (simulated outage)' });
    if (behaviour.mode === 'slow') await pause(behaviour.delayMs);
    if (url.searchParams.get('format') !== 'jsonv2') return send(res, 400, { error: 'format=jsonv2 is the only format this simulator speaks' });
    if (kind === 'search') {
      const q = url.searchParams.get('q');
      if (!q) return send(res, 400, { error: 'Nothing to search for.' });
      queries.push(q);
      const codes = url.searchParams.get('countrycodes');
      if (codes && !codes.toLowerCase().split(',').includes(gazetteer.countryCode)) return send(res, 200, []);
      const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 10) || 10, 1), 40);
      const hits = searchGazetteer(gazetteer, q, limit);
      return send(res, 200, hits.map((h) => place(h.entry, h.latitude, h.longitude, h.street)));
    }
    const lat = Number(url.searchParams.get('lat'));
    const lon = Number(url.searchParams.get('lon'));
    if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      return send(res, 400, { error: { code: 400, message: 'Parameter lat/lon must be a number.' } });
    }
    queries.push(`${lat},${lon}`);
    const entry = reverseGazetteer(gazetteer, lat, lon);
    if (!entry) return send(res, 200, { error: 'Unable to geocode' });
    return send(res, 200, { ...place(entry, entry.latitude, entry.longitude), address: address(entry) });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    behave: (b) => Object.assign(behaviour, b),
    lookups,
    queries,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function place(e: GazetteerEntry, latitude: number, longitude: number, street?: string) {
  const type = { country: 'country', region: 'state', district: 'county', place: 'town' }[e.kind];
  const names = [street, e.name, e.kind === 'place' ? e.district : undefined, e.kind === 'place' || e.kind === 'district' ? e.region : undefined, e.kind === 'country' ? undefined : e.country];
  return {
    place_id: e.id * 1000 + (street ? 1 + street.length : 0),
    licence: LICENCE,
    osm_type: 'relation',
    osm_id: e.id,
    lat: String(latitude),
    lon: String(longitude),
    category: street ? 'highway' : 'boundary',
    type: street ? 'residential' : type,
    place_rank: { country: 4, region: 8, district: 12, place: 16 }[e.kind] + (street ? 10 : 0),
    importance: { country: 0.9, region: 0.7, district: 0.5, place: 0.4 }[e.kind],
    addresstype: street ? 'road' : type,
    name: street ?? e.name,
    display_name: names.filter(Boolean).join(', '),
    boundingbox: [String(e.box.south), String(e.box.north), String(e.box.west), String(e.box.east)],
  };
}

function address(e: GazetteerEntry) {
  return {
    ...(e.kind === 'place' ? { town: e.name } : {}),
    ...(e.district ? { county: e.district } : {}),
    ...(e.region ? { state: e.region } : {}),
    country: e.country,
    country_code: 'am',
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
