// A program management system (MIS) on a real port, for tests and the demo: it accepts enrolments (idempotent per
// program and household, or per Idempotency-Key) and reports their statuses, changed over time or on demand.
//   POST /api/v1/programs/{code}/enrolments          -> 201 {enrolment_id, status: 'pending', updated_at} (200 when known)
//   GET  /api/v1/programs/{code}/enrolments?updated_since=&after=&limit=   statuses changed after the cursor, in order
//   POST /control/enrolments/{enrolment_id}/status {status}   GET /control/enrolments   POST /control (faults)
// It is also a DCI subscriber of the hub's eligibility notifications (dci-subscriber.ts: /control/dci/*, /dci/registry/*).
import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Simulator } from '../framework/types.js';
import { createFaults, listenApp } from '../national-id/faults.js';
import { dciSubscriberRoutes } from './dci-subscriber.js';

export const DEMO_MIS_KEY = 'demo-mis-key';
const STATUSES = ['pending', 'enrolled', 'active', 'suspended', 'exited', 'rejected'];

export interface Enrolment {
  enrolment_id: string;
  program: string;
  household_ref: string;
  status: string;
  updated_at: string;
  /** What the hub sent, kept so tests can see that only consented data arrived. */
  received: Record<string, unknown>;
}

export function createProgramMisSimulatorApp() {
  const enrolments = new Map<string, Enrolment>();
  const byKey = new Map<string, string>();
  const queries: Record<string, unknown>[] = [];
  let clock = 0;
  // strictly increasing times, so a cursor of (updated_at, id) never skips a change made in the same millisecond
  const tick = () => new Date((clock = Math.max(Date.now(), clock + 1))).toISOString();
  const faults = createFaults();
  const app = express();
  app.use(express.json({ limit: '2mb' }));

  const authorised: express.RequestHandler = (req, res, next) => {
    if (req.header('authorization') !== `Bearer ${DEMO_MIS_KEY}`) {
      res.status(401).json({ error: 'invalid API key' });
      return;
    }
    next();
  };
  const api = express.Router();
  api.post('/api/v1/programs/:code/enrolments', faults.middleware, authorised, (req, res) => {
    const program = req.params.code as string;
    const body = req.body ?? {};
    if (typeof body.household_ref !== 'string' || !Array.isArray(body.members)) {
      res.status(422).json({ error: 'household_ref and members are required' });
      return;
    }
    const key = req.header('idempotency-key') ?? `${program}:${body.household_ref}`;
    const known = byKey.get(key) ?? [...enrolments.values()].find((e) => e.program === program && e.household_ref === body.household_ref)?.enrolment_id;
    if (known) {
      const e = enrolments.get(known)!;
      res.status(200).json({ enrolment_id: e.enrolment_id, status: e.status, updated_at: e.updated_at });
      return;
    }
    const e: Enrolment = { enrolment_id: `ENR-${randomUUID().slice(0, 13)}`, program, household_ref: body.household_ref, status: 'pending', updated_at: tick(), received: body };
    enrolments.set(e.enrolment_id, e);
    byKey.set(key, e.enrolment_id);
    res.status(201).json({ enrolment_id: e.enrolment_id, status: e.status, updated_at: e.updated_at });
  });
  api.get('/api/v1/programs/:code/enrolments', faults.middleware, authorised, (req, res) => {
    const since = typeof req.query.updated_since === 'string' ? req.query.updated_since : '';
    const after = typeof req.query.after === 'string' ? req.query.after : '';
    const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 100) || 100));
    queries.push({ program: req.params.code, updated_since: since || null, after: after || null, limit });
    const items = [...enrolments.values()]
      .filter((e) => e.program === req.params.code)
      .filter((e) => !since || e.updated_at > since || (e.updated_at === since && e.enrolment_id > after))
      .sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.enrolment_id.localeCompare(b.enrolment_id));
    const page = items.slice(0, limit).map(({ received: _r, ...e }) => e);
    res.json({ items: page, has_more: items.length > limit });
  });
  app.use(api);

  const control = express.Router();
  faults.routes(control, () => ({ enrolments: enrolments.size }));
  control.get('/control/enrolments', (_req, res) => {
    res.json({ items: [...enrolments.values()] });
  });
  control.get('/control/queries', (_req, res) => {
    res.json({ items: queries });
  });
  control.post('/control/enrolments/:id/status', (req, res) => {
    const e = enrolments.get(req.params.id);
    if (!e) {
      res.status(404).json({ error: 'no such enrolment' });
      return;
    }
    if (!STATUSES.includes(req.body?.status)) {
      res.status(400).json({ error: `status must be one of ${STATUSES.join(', ')}` });
      return;
    }
    Object.assign(e, { status: req.body.status, updated_at: tick() });
    res.json({ enrolment_id: e.enrolment_id, status: e.status, updated_at: e.updated_at });
  });
  app.use(control);
  const dci = dciSubscriberRoutes();
  app.use(dci.router);
  app.get('/', (_req, res) => {
    const rows = [...enrolments.values()].map((e) => `<tr><td>${e.enrolment_id}</td><td>${e.program}</td><td>${e.household_ref}</td><td>${e.status}</td><td>${e.updated_at}</td></tr>`).join('');
    res.type('html').send(`<!doctype html><meta charset="utf-8"><title>Program MIS simulator</title><h1>Enrolments</h1>
<table border="1" cellpadding="4"><tr><th>Enrolment</th><th>Program</th><th>Household</th><th>Status</th><th>Updated</th></tr>${rows}</table>`);
  });
  return { app, faults, enrolments, queries, dciMessages: dci.received };
}

export const programMisSimulator: Simulator = {
  async start(opts) {
    const { app, faults } = createProgramMisSimulatorApp();
    return listenApp(app, opts, () => faults.release());
  },
  demoConfiguration(simulatorUrl) {
    return { baseUrl: simulatorUrl, apiKey: DEMO_MIS_KEY, programs: ['cash-transfer'] };
  },
};
