// Faults on demand for the simulators (national ID, notification gateway, program MIS): an outage, slow answers, or
// the next n requests failing (with a status, a closed connection or a cut-off body), set through each simulator's
// control endpoint (POST /control) so tests and the demo can show the breaker, timeouts and retries against a real
// HTTP server.
import express from 'express';

export interface FaultSettings {
  /** normal: answer; outage: every request gets `status` (default 503); slow: answer after delayMs. */
  mode: 'normal' | 'outage' | 'slow';
  delayMs: number;
  status: number;
  /** The next n requests fail with `status`, then answers resume (a blip that retries ride out). */
  failNext: number;
  /** After this many more answered requests the service goes down (mode outage): a failure in the middle of a run. */
  outageAfter: number | null;
  /** After this many more answered requests the service turns slow (mode slow, delayMs): a run that hangs midway. */
  slowAfter: number | null;
  /** How a failing request (failNext, outage) fails: the status; the connection closed without an answer; or a
   *  200 whose JSON body is cut off (garbage). */
  failWith: 'status' | 'reset' | 'garbage';
}

export interface Faults {
  settings: FaultSettings;
  /** Requests the service endpoints received (control requests not counted). */
  requests: number;
  /** Middleware for the service routes: applies the faults. */
  middleware: express.RequestHandler;
  /** GET/POST /control and POST /control/reset. */
  routes(router: express.Router, extra?: () => Record<string, unknown>): void;
  /** Resolves pending slow answers (stop). */
  release(): void;
}

const NORMAL: FaultSettings = { mode: 'normal', delayMs: 0, status: 503, failNext: 0, outageAfter: null, slowAfter: null, failWith: 'status' };

function fail(s: FaultSettings, req: express.Request, res: express.Response, message: string): void {
  if (s.failWith === 'reset') req.socket.destroy();
  else if (s.failWith === 'garbage') res.status(200).type('application/json').send('{"items": [{"id": "');
  else res.status(s.status).json({ error: message });
}

export function createFaults(): Faults {
  const waiting = new Set<NodeJS.Timeout>();
  const faults: Faults = {
    settings: { ...NORMAL },
    requests: 0,
    middleware(req, res, next) {
      faults.requests += 1;
      const s = faults.settings;
      if (s.outageAfter !== null) {
        if (s.outageAfter <= 0) Object.assign(s, { mode: 'outage', outageAfter: null });
        else s.outageAfter -= 1;
      }
      if (s.slowAfter !== null) {
        if (s.slowAfter <= 0) Object.assign(s, { mode: 'slow', slowAfter: null });
        else s.slowAfter -= 1;
      }
      if (s.failNext > 0) {
        s.failNext -= 1;
        fail(s, req, res, 'simulated failure');
        return;
      }
      if (s.mode === 'outage') {
        fail(s, req, res, 'simulated outage');
        return;
      }
      if (s.mode === 'slow') {
        const timer = setTimeout(() => {
          waiting.delete(timer);
          next();
        }, s.delayMs);
        waiting.add(timer);
        return;
      }
      next();
    },
    routes(router, extra = () => ({})) {
      router.get('/control', (_req, res) => {
        res.json({ ...faults.settings, requests: faults.requests, ...extra() });
      });
      router.post('/control', (req, res) => {
        const body = (req.body ?? {}) as Partial<FaultSettings>;
        const errors = checkSettings(body);
        if (errors.length) {
          res.status(400).json({ errors });
          return;
        }
        faults.settings = { ...faults.settings, ...body };
        res.json(faults.settings);
      });
      router.post('/control/reset', (_req, res) => {
        faults.settings = { ...NORMAL };
        faults.requests = 0;
        res.json(faults.settings);
      });
    },
    release() {
      for (const timer of waiting) clearTimeout(timer);
      waiting.clear();
    },
  };
  return faults;
}

function checkSettings(body: Partial<FaultSettings>): string[] {
  const errors: string[] = [];
  if (body.mode !== undefined && !['normal', 'outage', 'slow'].includes(body.mode)) errors.push('mode must be normal, outage or slow');
  if (body.delayMs !== undefined && !(Number.isInteger(body.delayMs) && body.delayMs >= 0 && body.delayMs <= 120_000)) errors.push('delayMs must be 0..120000');
  if (body.status !== undefined && !(Number.isInteger(body.status) && body.status >= 400 && body.status <= 599)) errors.push('status must be 400..599');
  if (body.failNext !== undefined && !(Number.isInteger(body.failNext) && body.failNext >= 0)) errors.push('failNext must be a whole number');
  if (body.outageAfter !== undefined && body.outageAfter !== null && !(Number.isInteger(body.outageAfter) && body.outageAfter >= 0)) errors.push('outageAfter must be a whole number or null');
  if (body.slowAfter !== undefined && body.slowAfter !== null && !(Number.isInteger(body.slowAfter) && body.slowAfter >= 0)) errors.push('slowAfter must be a whole number or null');
  if (body.failWith !== undefined && !['status', 'reset', 'garbage'].includes(body.failWith)) errors.push('failWith must be status, reset or garbage');
  return errors;
}

/** Starts an express app on a real port (0: any free one); stop() closes it and its connections. */
export async function listenApp(app: express.Express, opts: { port?: number; host?: string }, onStop: () => void = () => undefined): Promise<{ url: string; stop(): Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        onStop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
