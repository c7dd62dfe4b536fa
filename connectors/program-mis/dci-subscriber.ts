// The program MIS simulator as a DCI subscriber: on request (control API) it subscribes to a program's eligibility
// changes at the hub (SPDCI subscribe, reg_event_type ELIGIBILITY, docs/dci.md) and unsubscribes, and it receives the
// hub's on-subscribe, on-unsubscribe and notify callbacks on its own port, checking each signature against the hub's
// JWKS and keeping one copy per message_id (a repeat is counted, not kept).
//   POST /control/dci/subscribe {hubUrl, senderId, accessToken?, program, purpose, recordType?, filter?}
//   POST /control/dci/unsubscribe {codes?}      GET /control/dci/messages
//   POST /dci/registry/{on-subscribe | on-unsubscribe | notify}     (the hub's callbacks)
import { randomUUID } from 'node:crypto';
import express from 'express';
import type { JWK } from 'jose';
import { verifyEnvelope } from '../../core/dci/signature.js';

export interface ReceivedDciMessage {
  action: string;
  message_id: string;
  /** The hub's signature checked against its published keys. */
  signature_valid: boolean;
  signature: string | undefined;
  header: Record<string, unknown>;
  message: Record<string, any>;
}

interface HubLink {
  hubUrl: string;
  senderId: string;
  accessToken?: string;
}

// a filter every household matches: the program's eligibility decides what is notified
const EVERY_GROUP = { expression: { collection: 'Group', query: { group_size: { $gte: 0 } } } };

export function dciSubscriberRoutes(): { router: express.Router; received: ReceivedDciMessage[]; reset(): void } {
  const received: ReceivedDciMessage[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let link: HubLink | undefined;
  const router = express.Router();

  const send = async (path: string, action: string, message: Record<string, unknown>, items: number, senderUri: string) => {
    const body = {
      header: { version: '1.0.0', message_id: randomUUID(), message_ts: new Date().toISOString(), action, sender_id: link!.senderId, sender_uri: senderUri, total_count: items },
      message,
    };
    const res = await fetch(`${link!.hubUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(link!.accessToken ? { authorization: `Bearer ${link!.accessToken}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  };
  const ownBase = (req: express.Request) => `${req.protocol}://${req.get('host')}/dci/registry`;

  router.post('/control/dci/subscribe', async (req, res) => {
    const b = req.body ?? {};
    if (typeof b.hubUrl !== 'string' || typeof b.senderId !== 'string' || typeof b.program !== 'string' || typeof b.purpose !== 'string') {
      res.status(400).json({ error: 'hubUrl, senderId, program and purpose are required' });
      return;
    }
    link = { hubUrl: b.hubUrl.replace(/\/+$/, ''), senderId: b.senderId, accessToken: b.accessToken };
    const answer = await send('/registry/subscribe', 'subscribe', {
      transaction_id: randomUUID(),
      subscribe_request: [{
        reference_id: `eligibility-${b.program}`,
        timestamp: new Date().toISOString(),
        subscribe_criteria: {
          reg_event_type: 'ELIGIBILITY',
          program: b.program,
          notify_record_type: b.recordType ?? 'Group',
          filter_type: 'expression',
          filter: b.filter ?? EVERY_GROUP,
          authorize: { purpose: { code: b.purpose } },
        },
      }],
    }, 1, ownBase(req));
    res.status(answer.status === 202 ? 202 : 502).json(answer);
  });

  router.post('/control/dci/unsubscribe', async (req, res) => {
    if (!link) {
      res.status(409).json({ error: 'not subscribed' });
      return;
    }
    const codes: string[] = Array.isArray(req.body?.codes) ? req.body.codes : subscriptionCodes(received);
    const answer = await send('/registry/unsubscribe', 'unsubscribe', { transaction_id: randomUUID(), timestamp: new Date().toISOString(), subscription_codes: codes }, codes.length, ownBase(req));
    res.status(answer.status === 202 ? 202 : 502).json(answer);
  });

  router.get('/control/dci/messages', (_req, res) => {
    res.json({ items: received, duplicates, subscriptions: subscriptionCodes(received) });
  });

  for (const action of ['on-subscribe', 'on-unsubscribe', 'notify']) {
    router.post(`/dci/registry/${action}`, async (req, res) => {
      const envelope = req.body ?? {};
      const messageId = String(envelope.header?.message_id ?? '');
      if (seen.has(messageId)) duplicates += 1;
      else {
        seen.add(messageId);
        received.push({ action, message_id: messageId, signature_valid: await signedByHub(envelope), signature: envelope.signature, header: envelope.header, message: envelope.message });
      }
      res.json({ message: { ack_status: 'ACK', timestamp: new Date().toISOString(), correlation_id: randomUUID() } });
    });
  }

  /** The hub's keys from its JWKS; a message it did not sign (or that was changed) fails. */
  async function signedByHub(envelope: { signature?: unknown; header?: unknown; message?: unknown }): Promise<boolean> {
    if (!link) return false;
    try {
      const jwks = (await (await fetch(`${link.hubUrl}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
      const check = await verifyEnvelope({ signature: envelope.signature as string, header: envelope.header as never, message: envelope.message }, jwks, { required: true });
      return check.ok;
    } catch {
      return false;
    }
  }

  return {
    router,
    received,
    reset() {
      received.length = 0;
      seen.clear();
      duplicates = 0;
    },
  };
}

/** The codes of the subscriptions the hub confirmed in on-subscribe. */
function subscriptionCodes(received: ReceivedDciMessage[]): string[] {
  return received
    .filter((m) => m.action === 'on-subscribe')
    .flatMap((m) => (m.message?.subscribe_response ?? []) as { status: string; subscriptions?: { code: string }[] }[])
    .filter((r) => r.status === 'succ')
    .flatMap((r) => (r.subscriptions ?? []).map((s) => s.code));
}
