// Shared by the portal's API and browser tests: a hub with authentication on, the notification connector sending to
// its simulated SMS gateway (an agreement lets it have people's phone numbers), two areas, and reading the one-time
// code a phone was sent from the gateway, as a person reads their SMS.
import { notificationSimulator } from '../../../connectors/notification/simulator.js';
import { configure, publishAgreement } from '../../connectors/national-id/helpers.js';
import { startTestHub, type TestHub } from '../../helpers/test-hub.js';

export interface PortalHub {
  t: TestHub;
  sim: { url: string; stop(): Promise<void> };
  admin: Record<string, string>;
  officer: Record<string, string>;
  /** The newest code sent to this phone (waits for the delivery queue to send it), or fails after `waitMs`. */
  codeSentTo(phone: string, waitMs?: number): Promise<string>;
  /** Forgets every message the gateway received (before asking for a new code). */
  clearMessages(): Promise<void>;
  /** The messages the gateway received for this phone. */
  messagesTo(phone: string): Promise<{ text: string }[]>;
  stop(): Promise<void>;
}

export async function startPortalHub(env: Record<string, string> = {}): Promise<PortalHub> {
  const t = await startTestHub({
    env: { SRHUB_AUTH: 'on', SRHUB_EGRESS_ALLOW: 'loopback', SRHUB_DELIVERY_BASE_DELAY_MS: '20', SRHUB_DELIVERY_MAX_DELAY_MS: '100', SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE: '100000', ...env },
  });
  const sim = await notificationSimulator.start({ port: 0 });
  const admin = (await t.as(['administrator'])).headers;
  const officer = (await t.as(['registry_officer'])).headers;
  for (const [code, parent] of [['AM-R1', undefined], ['AM-R1-D1', 'AM-R1']]) {
    await t.post('/api/v1/admin-areas', { code, name: `Area ${code}`, ...(parent ? { parent_code: parent } : {}) }, { headers: admin });
  }
  const asAdmin = { ...t, post: (p: string, b: unknown) => t.post(p, b, { headers: admin }) } as TestHub;
  await publishAgreement(asAdmin, { purpose: 'notification', recipients: ['connector:notification'], categories: ['contact'] });
  await configure(t, 'notification', notificationSimulator.demoConfiguration(sim.url));
  const messagesTo = async (phone: string) => (await (await fetch(`${sim.url}/messages?to=${encodeURIComponent(phone)}`)).json()).items as { text: string }[];
  return {
    t,
    sim,
    admin,
    officer,
    messagesTo,
    async clearMessages() {
      await fetch(`${sim.url}/messages`, { method: 'DELETE' });
    },
    async codeSentTo(phone, waitMs = 30_000) {
      const until = Date.now() + waitMs;
      while (Date.now() < until) {
        await t.hub.deliveries.drain();
        // the newest message that has a code: the household's registration notice goes to the same phone, and sent
        // side by side with the code it can arrive after it
        for (const message of await messagesTo(phone)) {
          const code = /code is (\d{6})|code à usage unique est (\d{6})/.exec(message.text);
          if (code) return code[1] ?? code[2];
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      // what the queue did with it, to tell a code never queued from one the gateway did not take
      const deliveries = await t.hub.db.query('select kind, status, attempts, last_status, last_error, next_attempt_at from delivery order by seq');
      const challenges = await t.hub.db.query('select purpose, person_id is not null as known, created_at from portal_otp_challenge order by created_at');
      // and what the database's sessions were doing (a code queued late waited for something)
      const sessions = await t.hub.db
        .query(`select pid, state, wait_event_type, wait_event, now() - xact_start as in_transaction, left(query, 160) as query
                from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`)
        .catch((err: Error) => err.message);
      throw new Error(`no code reached the phone; deliveries ${JSON.stringify(deliveries)}; challenges ${JSON.stringify(challenges)}; sessions ${JSON.stringify(sessions)}`);
    },
    async stop() {
      await sim.stop();
      await t.stop();
    },
  };
}
