// The connector service of a test hub (hub.connectors once the hub starts it; else one started here on the hub's own
// database, outbox, cache and audit), and a way to configure a connector with runner settings for a test.
import { startConnectors, type ConnectorService } from '../../../connectors/framework/index.js';
import { putConfiguration } from '../../../connectors/framework/configuration.js';
import type { RunnerSettings } from '../../../connectors/framework/settings.js';
import type { TestHub } from '../../helpers/test-hub.js';

export interface ConnectorsUnderTest {
  service: ConnectorService;
  configure(id: string, configuration: Record<string, unknown>, settings?: Partial<RunnerSettings>): Promise<void>;
  stop(): Promise<void>;
}

export async function connectorsOf(t: TestHub): Promise<ConnectorsUnderTest> {
  const own = (t.hub as unknown as { connectors?: ConnectorService }).connectors;
  const service =
    own ??
    (await startConnectors({
      config: t.hub.config,
      db: t.hub.db,
      secrets: t.hub.secrets,
      log: t.hub.log,
      audit: t.hub.audit,
      keys: t.hub.keys,
      cache: t.hub.cache,
      bus: t.hub.bus,
      outbox: t.hub.outbox,
      checks: (t.hub as unknown as { workflow?: { checks: never } }).workflow?.checks,
      tickMs: 3_600_000,
    }));
  return {
    service,
    async configure(id, configuration, settings) {
      await t.hub.db.transaction((tx) => putConfiguration(tx, t.hub.secrets, service.get(id), { configuration, enabled: true, settings }, 'test'));
      await service.syncChecks();
    },
    stop: async () => {
      if (!own) await service.stop();
    },
  };
}

/** Fast runner limits for tests: few retries, short backoff, a breaker that opens after 2 failures. */
export const FAST: Partial<RunnerSettings> = { retries: 1, backoffMs: 5, maxBackoffMs: 20, breakerFailures: 2, breakerCooldownMs: 200, httpTimeoutMs: 2000 };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
