// Shared by the national ID, notification and program MIS connector tests: configuring a connector with fast runner
// limits, publishing the data agreement a connector relies on, and talking to a simulator's control endpoint.
import { putConfiguration } from '../../../connectors/framework/configuration.js';
import type { RunnerSettings } from '../../../connectors/framework/settings.js';
import type { TestHub } from '../../helpers/test-hub.js';

/** Few retries, short backoff, a breaker that opens after 2 failed calls and lets a probe through after 300 ms. */
export const FAST: Partial<RunnerSettings> = { retries: 1, backoffMs: 5, maxBackoffMs: 20, breakerFailures: 2, breakerCooldownMs: 300, httpTimeoutMs: 2000 };

export async function configure(t: TestHub, id: string, configuration: Record<string, unknown>, settings: Partial<RunnerSettings> = FAST): Promise<void> {
  await t.hub.db.transaction((tx) => putConfiguration(tx, t.hub.secrets, t.hub.connectors.get(id), { configuration, enabled: true, settings }, 'test'));
  await t.hub.connectors.syncChecks();
}

/** A published agreement letting `recipients` receive `categories` for `purpose` (lawful basis: public task unless given). */
export async function publishAgreement(t: TestHub, input: { purpose: string; recipients: string[]; categories: string[]; lawfulBasis?: string }): Promise<string> {
  const created = await t.post('/api/v1/consent/agreements', {
    code: `a-${Math.random().toString(36).slice(2, 10)}`,
    purpose_code: input.purpose,
    purpose_text: { en: input.purpose },
    lawful_basis: input.lawfulBasis ?? 'public_task',
    categories: input.categories,
    recipients: input.recipients,
    controller: { name: 'Registry' },
    retention_days: 365,
    max_validity_days: 365,
  });
  if (created.status !== 201) throw new Error(`agreement not created: ${JSON.stringify(created.body)}`);
  const published = await t.post(`/api/v1/consent/agreements/${created.body.id}/publish`, {});
  if (published.status !== 200) throw new Error(`agreement not published: ${JSON.stringify(published.body)}`);
  return created.body.id;
}

export async function control(simulatorUrl: string, body: Record<string, unknown> = {}, path = '/control'): Promise<any> {
  const res = await fetch(simulatorUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`control ${path} answered ${res.status}`);
  return res.json();
}

export async function requestsSeen(simulatorUrl: string): Promise<number> {
  return (await (await fetch(`${simulatorUrl}/control`)).json()).requests;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
