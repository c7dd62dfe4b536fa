// Demo mode (`npm start`): each connector that ships a simulator gets it started on a free loopback port and is
// configured against it (demoConfiguration) and enabled, so the hub works end to end on one machine. The
// simulators stop with the hub. Each start points the configuration at the new port; schedules and settings stay.
import type { Logger } from '../../core/log.js';
import type { ConnectorService } from './index.js';

export interface DemoConnector {
  id: string;
  url: string;
}

export async function startDemoConnectors(connectors: ConnectorService, log: Logger): Promise<DemoConnector[]> {
  const started: DemoConnector[] = [];
  for (const connector of connectors.loaded.values()) {
    const { simulator, manifest } = connector;
    if (!simulator) continue;
    try {
      const handle = await simulator.start({ host: '127.0.0.1', port: 0 });
      connectors.onStop(() => handle.stop());
      await connectors.configure(manifest.id, simulator.demoConfiguration(handle.url), { enabled: true });
      started.push({ id: manifest.id, url: handle.url });
    } catch (err) {
      // one broken simulator leaves the others (and the hub) running
      log.error({ connector: manifest.id, err: (err as Error).message }, 'demo: connector simulator not started');
    }
  }
  if (started.length) log.info({ connectors: started }, 'demo: connector simulators started and connectors enabled');
  return started;
}
