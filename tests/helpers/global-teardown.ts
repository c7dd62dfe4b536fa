import { removePgliteTemplate } from './pglite-template.js';

export default async function globalTeardown(): Promise<void> {
  await removePgliteTemplate();
  for (const container of globalThis.__srhubContainers ?? []) await container.stop();
}
