// An SMS/e-mail gateway on a real port, for tests and the demo: POST /messages (bearer key, idempotent by message
// id) keeps each message; GET /messages (JSON, ?to= filters) and GET / (an HTML page) show them, so the portal's
// one-time codes can be read in demo mode. Faults on demand through POST /control.
import express from 'express';
import type { Simulator } from '../framework/types.js';
import { createFaults, listenApp } from '../national-id/faults.js';

export const DEMO_GATEWAY_KEY = 'demo-gateway-key';
const KEEP = 1000;

export interface StoredMessage {
  id: string;
  channel: 'sms' | 'email';
  to: string;
  sender: string;
  subject?: string;
  text: string;
  received_at: string;
}

export function createNotificationSimulatorApp() {
  const messages: StoredMessage[] = [];
  const faults = createFaults();
  const app = express();
  app.use(express.json({ limit: '256kb' }));

  app.post('/messages', faults.middleware, (req, res) => {
    if (req.header('authorization') !== `Bearer ${DEMO_GATEWAY_KEY}`) {
      res.status(401).json({ error: 'invalid API key' });
      return;
    }
    const m = req.body ?? {};
    const errors: string[] = [];
    if (typeof m.id !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(m.id)) errors.push('id');
    if (!['sms', 'email'].includes(m.channel)) errors.push('channel');
    if (m.channel === 'sms' && !(typeof m.to === 'string' && /^\+?[0-9][0-9 ()./-]{5,30}$/.test(m.to))) errors.push('to');
    if (m.channel === 'email' && !(typeof m.to === 'string' && /^[^@\s]+@[^@\s]+$/.test(m.to))) errors.push('to');
    if (typeof m.text !== 'string' || m.text.length === 0 || m.text.length > 2000) errors.push('text');
    if (errors.length) {
      res.status(422).json({ error: 'invalid message', fields: errors });
      return;
    }
    const existing = messages.find((s) => s.id === m.id);
    if (existing) {
      res.status(200).json({ id: m.id, status: 'accepted', duplicate: true });
      return;
    }
    messages.push({ id: m.id, channel: m.channel, to: m.to, sender: String(m.sender ?? ''), ...(m.subject ? { subject: String(m.subject) } : {}), text: m.text, received_at: new Date().toISOString() });
    if (messages.length > KEEP) messages.shift();
    res.status(202).json({ id: m.id, status: 'accepted', duplicate: false });
  });

  app.get('/messages', (req, res) => {
    const to = typeof req.query.to === 'string' ? req.query.to : undefined;
    res.json({ items: messages.filter((m) => !to || m.to === to).slice().reverse() });
  });
  app.delete('/messages', (_req, res) => {
    messages.length = 0;
    res.status(204).end();
  });
  const control = express.Router();
  faults.routes(control, () => ({ messages: messages.length }));
  app.use(control);
  app.get('/', (_req, res) => {
    const rows = messages.slice().reverse().slice(0, 100)
      .map((m) => `<tr><td>${esc(m.received_at)}</td><td>${m.channel}</td><td>${esc(m.to)}</td><td>${esc(m.subject ?? '')}</td><td>${esc(m.text)}</td></tr>`).join('');
    res.type('html').send(`<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>SMS/e-mail gateway simulator</title>
<h1>Messages sent (simulated gateway)</h1><p>${messages.length} kept; JSON at <a href="/messages">/messages</a>.</p>
<table border="1" cellpadding="4"><tr><th>Received</th><th>Channel</th><th>To</th><th>Subject</th><th>Text</th></tr>${rows}</table>`);
  });
  return { app, faults, messages };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const notificationSimulator: Simulator = {
  async start(opts) {
    const { app, faults } = createNotificationSimulatorApp();
    return listenApp(app, opts, () => faults.release());
  },
  demoConfiguration(simulatorUrl) {
    return { baseUrl: simulatorUrl, apiKey: DEMO_GATEWAY_KEY, sender: 'Amaru Registry', channels: ['sms', 'email'] };
  },
};
